"""Nobody sees a stack trace or raw JSON: errors under /portal are pages; the API keeps its JSON."""
from engine import members
from tests.web.conftest import text_of


def test_an_unknown_portal_address_is_a_page_not_json(browser):
    response = browser.get("/portal/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Page not found" in text_of(response)


def test_a_wrong_method_on_a_portal_address_is_a_page_too(browser):
    response = browser.get("/portal/sign-out")
    assert response.status_code == 405 and response.mimetype == "text/html"


def test_the_api_still_answers_unknown_addresses_in_json(browser):
    response = browser.get("/v1/no-such-thing")
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_an_unexpected_failure_shows_a_calm_page_without_the_trace(browser, member_with_login, monkeypatch):
    member = member_with_login()
    browser.sign_in(member.email)

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals: connection string postgres://user:pw@db")
    monkeypatch.setattr("api.web.portal.get_member", broken)
    response = browser.get("/portal/")
    page = response.get_data(True)
    assert response.status_code == 500 and "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page and "RuntimeError" not in page


def test_a_refusal_the_page_did_not_expect_is_shown_as_a_sentence(browser, member_with_login, monkeypatch):
    member = member_with_login()
    browser.sign_in(member.email)
    monkeypatch.setattr("api.web.portal.update_profile",
                        lambda *a, **k: (_ for _ in ()).throw(members.Conflict("the profile is being changed",
                                                                               code="busy")))
    response = browser.submit("/portal/account", {"profiling": "yes"})
    assert response.status_code == 409 and "The profile is being changed." in text_of(response)
    assert "{" not in text_of(response)
