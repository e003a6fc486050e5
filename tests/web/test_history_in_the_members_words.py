"""The portal's history names where each posting came from as the member knows it: a reward
redeemed online is not a payment at a till, and a birthday bonus is not a correction."""
from datetime import UTC, datetime

import pytest

from api.web.pages import history_words
from engine.ledger.balances import HistoryItem

STORES = {"BER-01": "Berlin Mitte"}
REWARDS = {"COFFEE": "Free coffee"}


def words(kind: str, description: str) -> str:
    item = HistoryItem(1, kind, 10, datetime(2026, 12, 7, tzinfo=UTC), description, "someone")
    return history_words(item, STORES, REWARDS)


@pytest.mark.parametrize("kind, description, said", [
    ("earn", "purchase BER-01/BER-01-T1/R-1", "Purchase at Berlin Mitte"),
    ("refund", "refund of receipt BER-01/BER-01-T1/R-1", "Refund of a purchase at Berlin Mitte"),
    ("capture", "reward COFFEE", "Reward: Free coffee"),
    ("capture", "reward GONE", "Reward: GONE"),
    ("capture", "paid with points (hold H123)", "Paid with points"),
    ("adjust", "voucher V12345 cancelled", "Voucher cancelled: its points given back"),
    ("adjust", "birthday bonus", "Birthday bonus"),
    ("adjust", "opening balance", "Points brought over from the previous programme"),
    ("adjust", "referral bonus: receipt R-7", "Bonus for referring a friend"),
    ("adjust", "payment with points given back, its sale called off (hold H123)",
     "Points given back: the sale they paid for was called off"),
    ("adjust", "goodwill after a late delivery", "From our service team: goodwill after a late delivery"),
    ("expire", "expiry", "Points expired"),
])
def test_each_posting_is_named_by_where_it_came_from(kind, description, said):
    assert words(kind, description) == said


def test_a_correction_whose_reason_starts_like_a_voucher_is_still_the_service_teams():
    assert words("adjust", "voucher V1 was never handed over") == "From our service team: voucher V1 was never handed over"
