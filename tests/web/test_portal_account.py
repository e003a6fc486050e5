import json

from api.schemas.people import ExportSchema
from engine.member_data import member_data
from engine.members import get_member
from tests.web.conftest import PASSWORD, text_of


def test_a_member_gives_and_withdraws_consents(browser, member_with_login, database, clock):
    member = member_with_login(consents={"marketing_sms": True})
    browser.sign_in(member.email)
    response = browser.submit("/portal/account", {"marketing_email": "yes", "profiling": "yes"})
    assert response.status_code == 302
    assert get_member(database, member.public_id).consents == {"marketing_email": True, "marketing_sms": False,
                                                               "profiling": True}
    page = browser.get("/portal/account").get_data(True)
    assert "Your choices are saved." in page
    assert 'id="marketing_email" name="marketing_email" value="yes" aria-describedby="marketing_email-hint"\n' \
           '               checked>' in page


def test_the_consent_boxes_show_what_the_member_chose_with_labels(browser, member_with_login):
    member = member_with_login(consents={"profiling": True})
    browser.sign_in(member.email)
    html = browser.get("/portal/account").get_data(True)
    for name, label in (("marketing_email", "E-mails about offers"), ("marketing_sms", "Text messages about offers"),
                        ("profiling", "Personal offers")):
        assert f'<label for="{name}">{label}</label>' in html
    assert html.count("checked>") == 1


def test_a_member_downloads_all_their_data_as_the_api_exports_it(browser, member_with_login, earn, make_card,
                                                                 database, clock):
    member = member_with_login("Data Subject", points=30)
    earn(member, 1500)
    make_card(member)
    browser.sign_in(member.email)
    response = browser.get("/portal/my-data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="my-loyalty-data-{member.public_id}.json"'
    expected = ExportSchema().dump(member_data(database, member.public_id, now=clock()))
    assert json.loads(response.get_data()) == expected
    assert set(expected) == {"member", "cards", "balance", "history", "attributes", "segments", "vouchers",
                             "tier_changes", "messages", "referrals", "devices", "payment_codes"}
    assert len(expected["history"]) == 2 and expected["member"]["full_name"] == "Data Subject"


def test_the_account_page_links_to_password_and_download(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    page = browser.get("/portal/account").get_data(True)
    assert 'href="/portal/password"' in page and 'href="/portal/my-data.json" download' in page
    assert member.public_id in text_of(browser.get("/portal/account"))


def test_a_member_closes_their_account_with_their_password_and_a_ticked_box(browser, member_with_login, database,
                                                                             clock):
    member = member_with_login(points=150)
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/account/close"))
    assert "your 150 points (pending ones too) are given up" in page
    unticked = browser.submit("/portal/account/close", {"password": PASSWORD})
    assert unticked.status_code == 422 and "Tick the box" in text_of(unticked)
    wrong = browser.submit("/portal/account/close", {"password": "not my password", "confirm": "yes"})
    assert wrong.status_code == 422 and "Wrong password." in text_of(wrong)
    assert get_member(database, member.public_id).status == "active"
    closed = browser.submit("/portal/account/close", {"password": PASSWORD, "confirm": "yes"}, follow_redirects=True)
    assert "Your account is closed and your personal data erased." in text_of(closed)
    assert get_member(database, member.public_id).status == "closed"
    assert browser.get("/portal/").status_code == 302  # signed out
