"""Programme settings changed by several staff at one instant, each a different setting, on
a real PostgreSQL: the changes take turns, so none undoes another (a lost update before)."""
import pytest

from engine.settings import get_settings, update_settings
from tests.support.races import all_at_once

pytestmark = pytest.mark.postgres

CHANGES = [{"pending_days": 7}, {"expiry_months": 12}, {"redeem_points": 50}, {"pay_min_points": 10},
           {"birthday_bonus_points": 250}, {"hold_timeout_minutes": 20}, {"expiry_warning_days": 14},
           {"earn_points": 2}]


def test_different_settings_changed_at_once_all_stay_changed(postgres_db, clock):
    _, raised = all_at_once(lambda n: update_settings(postgres_db, CHANGES[n], now=clock()))
    assert raised == []
    settings = get_settings(postgres_db)
    assert {name: getattr(settings, name) for change in CHANGES for name in change} == {
        name: value for change in CHANGES for name, value in change.items()}
