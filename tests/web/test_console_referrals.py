"""Support records who referred a member on the console's member page (the programme's
bonuses); the page shows who referred the member and how many friends they referred."""
from tests.web.conftest import text_of


def test_support_records_who_referred_a_member_and_the_page_shows_both_sides(console_as, make_member):
    ada, grace = make_member(), make_member()
    support = console_as("support")
    page = f"/console/members/{grace.public_id}"
    assert "Referred by no one; referred 0 friends (0 bought)." in " ".join(text_of(support.get(page)).split())
    recorded = support.submit(page, {"referrer_id": ada.public_id}, to=f"{page}/referral")
    assert recorded.status_code == 302
    assert f"Referred by {ada.public_id}" in text_of(support.get(page))
    assert "referred 1 friend (0 bought)" in text_of(support.get(f"/console/members/{ada.public_id}"))
    assert 'id="referral-form"' not in support.get(page).get_data(as_text=True)  # referred once


def test_a_referral_the_engine_refuses_is_shown_at_the_field(console_as, make_member):
    grace = make_member()
    support = console_as("support")
    page = f"/console/members/{grace.public_id}"
    refused = support.submit(page, {"referrer_id": grace.public_id}, to=f"{page}/referral")
    assert refused.status_code == 422 and 'id="referrer_id-error"' in refused.get_data(as_text=True)
    unknown = support.submit(page, {"referrer_id": "MNOBODY"}, to=f"{page}/referral")
    assert unknown.status_code == 422 and "Referred by no one" in text_of(unknown)


def test_a_marketer_sees_referrals_but_records_none(console_as, make_member):
    marketer = console_as("marketer")
    page = marketer.get(f"/console/members/{make_member().public_id}").get_data(as_text=True)
    assert "Referrals" in page and 'id="referral-form"' not in page
