"""A suspended member on the web pages: support suspends with a reason on the console's
member page (CSRF, a one-time key) and reinstates with one button, and the page shows the
status, the reason, who and when; marketers see neither form. The member still signs in to
the portal and reads their points, is told the account is suspended and to contact
support, and is offered no Redeem button (a redeem posted anyway is refused)."""
import re

from engine.member_suspension import SuspendMember, suspend_member
from engine.members import get_member
from engine.rewards import create_reward, list_vouchers
from tests.conftest import new_key
from tests.web.conftest import text_of

FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


def test_support_suspends_a_member_with_a_reason_and_reinstates_them(console_as, make_member, database, clock):
    ada = make_member("Ada Lovelace", points=200)
    support = console_as("support", username="sam")
    page = f"/console/members/{ada.public_id}"
    assert "Suspend the account" in text_of(support.get(page))
    no_reason = support.submit(page, {"suspend_reason": "  "}, to=f"{page}/suspend")
    assert no_reason.status_code == 422 and "Say why" in text_of(no_reason)
    assert 'id="suspend_reason-error"' in no_reason.get_data(as_text=True)
    assert get_member(database, ada.public_id).status == "active"

    suspended = support.submit(page, {"suspend_reason": "card shared by a cashier", "form_key": "k1"},
                               to=f"{page}/suspend", follow_redirects=True)
    shown = text_of(suspended)
    assert f"The account of {ada.public_id} is suspended" in shown
    assert "Suspended since 2026-03-02 10:00:00 UTC by staff:sam: card shared by a cashier." in shown
    assert "Status suspended" in shown and "Reinstate the account" in shown and "Suspend the account" not in shown
    again = support.submit(page, {"suspend_reason": "card shared by a cashier", "form_key": "k1"},
                           to=f"{page}/suspend", follow_redirects=True)  # a double submit replays
    assert f"The account of {ada.public_id} is suspended" in text_of(again)

    reinstated = support.submit(page, {}, to=f"{page}/reinstate", follow_redirects=True)
    assert f"The account of {ada.public_id} is reinstated" in text_of(reinstated)
    assert "Status active" in text_of(reinstated) and "Suspended since" not in text_of(reinstated)
    twice = support.submit(page, {}, to=f"{page}/reinstate", follow_redirects=True)
    assert "Member " + ada.public_id + " is active, not suspended" in text_of(twice)
    assert get_member(database, ada.public_id).suspension is None


def test_the_suspend_form_needs_the_csrf_token_and_a_role_that_changes_members(console_as, make_member, database):
    ada = make_member()
    page = f"/console/members/{ada.public_id}"
    support = console_as("support")
    support.get(page)
    forged = support.client.post(f"{page}/suspend", data={"suspend_reason": "x"})
    assert forged.status_code == 400
    marketer = console_as("marketer")
    assert "Suspend the account" not in text_of(marketer.get(page))
    assert marketer.submit(page, {"suspend_reason": "x"}, to=f"{page}/suspend").status_code == 403
    assert marketer.submit(page, {}, to=f"{page}/reinstate").status_code == 403
    assert get_member(database, ada.public_id).status == "active"


def test_a_suspended_member_reads_their_points_in_the_portal_and_cannot_redeem(browser, member_with_login, database,
                                                                              clock):
    member = member_with_login(points=800)
    create_reward(database, code="MUG", name="Coffee mug", points_price=500, valid_from=clock(), now=clock())
    browser.sign_in(member.email)
    form_key = FORM_KEY.search(browser.get("/portal/").get_data(as_text=True)).group(1)
    suspend_member(database, SuspendMember(member.public_id, "under investigation", "staff:sam"), caller="staff:sam",
                   idempotency_key=new_key(), now=clock())

    home = browser.get("/portal/")
    assert home.status_code == 200
    shown = text_of(home)
    assert "Your account is suspended for now" in shown and "contact customer support" in shown
    assert "800" in shown and "under investigation" not in shown  # the reason is for staff
    assert "Redeem" not in shown
    redeemed = browser.submit("/portal/", {"form_key": form_key}, to="/portal/rewards/MUG/redeem",
                              follow_redirects=True)
    assert "That reward could not be redeemed: your account is suspended; please contact customer support." in \
        text_of(redeemed)
    assert list_vouchers(database, member.public_id) == []
    assert browser.get("/portal/history").status_code == 200
