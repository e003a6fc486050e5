"""The programme settings page: everyone who reads the programme sees every setting, under
headings; an admin changes them, what differs is checked and saved together or not at all,
each problem shown at its field; a marketer cannot save."""
from api.web.settings_form import SETTING_GROUPS, as_text
from engine.audit import list_audit
from engine.programme import ProgrammeSettings
from engine.settings import get_settings
from tests.web.conftest import text_of


def form(database) -> dict:
    """The form as the page fills it in."""
    return as_text(get_settings(database))


def test_the_page_shows_every_setting_once():
    shown = [name for _, settings in SETTING_GROUPS for name, _, _ in settings]
    assert sorted(shown) == sorted(ProgrammeSettings.field_names()) and len(shown) == len(set(shown))


def test_an_admin_changes_settings_and_only_what_differs_is_saved(console_as, database):
    admin = console_as("admin")
    page = admin.get("/console/settings")
    assert page.status_code == 200 and "Pending days" in text_of(page) and "Save changes" in text_of(page)
    changed = form(database) | {"pending_days": "30", "chip_cards_redeem_with_pin": "yes", "pay_max_points": "500"}
    saved = admin.submit("/console/settings", changed, follow_redirects=True)
    assert "Saved: chip_cards_redeem_with_pin, pay_max_points, pending_days." in text_of(saved)
    settings = get_settings(database)
    assert (settings.pending_days, settings.chip_cards_redeem_with_pin, settings.pay_max_points) == (30, True, 500)
    again = admin.submit("/console/settings", form(database), follow_redirects=True)
    assert "Nothing was changed." in text_of(again)


def test_the_audit_log_says_which_settings_an_admin_changed_from_what_to_what(console_as, database):
    before = form(database)
    console_as("admin").submit("/console/settings", before | {"adjustment_approval_threshold": "1000000000"})
    [entry] = list_audit(database, action="POST /console/settings")
    assert entry.outcome == "302"
    assert entry.detail == {"settings": {"adjustment_approval_threshold": {
        "from": before["adjustment_approval_threshold"], "to": "1000000000"}}}


def test_each_problem_is_shown_at_its_field_and_nothing_is_saved(console_as, database):
    before = get_settings(database)
    refused = console_as("admin").submit("/console/settings", form(database) | {
        "pending_days": "two weeks", "currency": "euro", "earn_points": "3"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="pending_days-error"' in page and 'id="currency-error"' in page
    assert "'two weeks' is not a whole number" in text_of(refused)
    assert get_settings(database) == before


def test_a_marketer_reads_the_settings_but_cannot_save_them(console_as, database):
    marketer = console_as("marketer")
    page = marketer.get("/console/settings")
    assert page.status_code == 200 and "Only an admin changes the programme settings." in text_of(page)
    refused = marketer.submit("/console/settings", form(database) | {"pending_days": "1"})
    assert refused.status_code == 403 and get_settings(database).pending_days != 1
