"""Who may see and do what through the portal: sign-in first, one's own data only, and no
form works without this session's CSRF token."""
import pytest

from engine.cards import get_card
from engine.members import get_member, member_row
from engine.orm.access import MemberLoginRow
from tests.web.conftest import PASSWORD, text_of

PAGES = ["/portal/", "/portal/history", "/portal/account", "/portal/password", "/portal/pin", "/portal/my-data.json"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_visitor_who_is_not_signed_in_to_sign_in(browser, path):
    response = browser.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/sign-in?next={path}"


def test_the_lost_card_page_needs_sign_in_too(browser, make_card):
    card = make_card()
    response = browser.get(f"/portal/cards/{card.number}/lost")
    assert response.status_code == 302 and response.headers["Location"].startswith("/portal/sign-in")


def test_a_forged_session_token_is_sent_to_sign_in(app):
    client = app.test_client()
    with client.session_transaction("/portal/") as session:
        session["member_token"] = "made-up-token"
    assert client.get("/portal/").status_code == 302


def test_a_member_sees_only_their_own_points_history_and_cards(browser, member_with_login, make_card, earn):
    me, other = member_with_login("Me Myself", points=11), member_with_login("Someone Else", points=999)
    earn(other, 4200)
    other_card = make_card(other)
    browser.sign_in(me.email)
    pages = " ".join(text_of(browser.get(path)) for path in PAGES[:3])
    assert "Someone Else" not in pages and "999" not in pages and "+42" not in pages
    assert other_card.number[-4:] not in pages
    exported = browser.get("/portal/my-data.json").get_data(True)
    assert other.public_id not in exported and me.public_id in exported


def test_a_member_cannot_block_another_members_card(browser, member_with_login, make_card, database):
    me, other = member_with_login(), member_with_login()
    other_card = make_card(other)
    browser.sign_in(me.email)
    assert browser.get(f"/portal/cards/{other_card.number}/lost").status_code == 404
    response = browser.submit("/portal/", {}, to=f"/portal/cards/{other_card.number}/lost")
    assert response.status_code == 404 and "Page not found" in text_of(response)
    assert get_card(database, other_card.number).status == "active"


def forms(member, card):
    """Every POST form of the portal with data that would change something."""
    return {
        "/portal/sign-in": {"email": member.email, "password": PASSWORD},
        "/portal/sign-out": {},
        f"/portal/cards/{card.number}/lost": {},
        "/portal/password": {"current_password": PASSWORD, "new_password": "a brand new passphrase",
                             "new_password_again": "a brand new passphrase"},
        "/portal/account": {"marketing_email": "yes", "marketing_sms": "yes", "profiling": "yes"},
        "/portal/pin": {"pin": "2468", "pin_again": "2468"},
    }


@pytest.mark.parametrize("token", [None, "", "not-the-token"], ids=["missing", "empty", "wrong"])
def test_every_form_without_this_sessions_csrf_token_is_refused_and_changes_nothing(
        browser, member_with_login, make_card, database, token):
    member = member_with_login()
    card = make_card(member)
    browser.sign_in(member.email)
    for path, data in forms(member, card).items():
        sent = data if token is None else {**data, "csrf_token": token}
        response = browser.client.post(path, data=sent)
        assert response.status_code == 400, path
        assert "This form has expired" in text_of(response), path
    assert get_card(database, card.number).status == "active"
    assert get_member(database, member.public_id).consents == {"marketing_email": False, "marketing_sms": False,
                                                               "profiling": False}
    with database.transaction() as session:
        assert session.get(MemberLoginRow, member_row(session, member.public_id).id).pin_hash is None
    assert browser.get("/portal/").status_code == 200  # still signed in: sign-out was refused too
    fresh = browser.client.application.test_client()
    assert fresh.post("/portal/sign-in", data={"email": member.email, "password": PASSWORD}).status_code == 400
    assert browser.sign_in(member.email, PASSWORD).status_code == 302  # the old password still works


def test_another_sessions_csrf_token_does_not_work(make_browser, member_with_login, make_card, database):
    member = member_with_login()
    card = make_card(member)
    victim, attacker = make_browser(), make_browser()
    victim.sign_in(member.email)
    attackers_token = attacker.csrf("/portal/sign-in")
    response = victim.client.post(f"/portal/cards/{card.number}/lost", data={"csrf_token": attackers_token})
    assert response.status_code == 400
    assert get_card(database, card.number).status == "active"


def test_a_member_whose_account_is_closed_is_signed_out_of_the_portal(browser, member_with_login, database):
    member = member_with_login()
    browser.sign_in(member.email)
    with database.transaction() as session:
        member_row(session, member.public_id).status = "closed"  # a suspended member stays signed in
    assert browser.get("/portal/").status_code == 302
