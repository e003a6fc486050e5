"""The console's Stores page, for admins: a store (a shop, or a web shop selling online) and a
terminal are added and listed with the store's channel; a terminal's new signing key is shown
once on the answer page (never in the session) and signs requests, a key is revoked once its
box is ticked; a refused store or terminal is answered at its field with the form kept and
nothing added; other roles neither see nor use the page. One test drives the page in a real
headless Chromium."""
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

from engine.access.terminal_keys import issue_terminal_key, list_terminal_keys, signing_key
from engine.errors import NotAuthenticated
from engine.stores import Store, Terminal, list_stores, list_terminals
from tests.web.conftest import PASSWORD, leaving_the_page, shoot, text_of

PAGE = "/console/stores"
TERMINALS = "/console/stores/terminals"
WEB_SHOP = {"code": "WEB", "name": "Web shop", "timezone": "Europe/Berlin", "group": "", "online": "yes"}


def session_text(app, browser) -> str:
    """What the browser's session cookie holds: as sent, and decoded."""
    cookie = browser.client.get_cookie("session").value
    return cookie + repr(app.session_interface.get_signing_serializer(app).loads(cookie))


def shown_key(answer) -> tuple[str, str]:
    """The key id and secret on a new key's answer page."""
    return (re.search(r'<code id="key-id">([^<]+)</code>', answer.text).group(1),
            re.search(r'<code id="secret">([^<]+)</code>', answer.text).group(1))


def test_an_admin_adds_an_online_store_and_its_terminal_and_sees_them_listed_with_the_channel(console_as, database,
                                                                                            till):
    admin = console_as("admin")
    added = admin.submit(PAGE, WEB_SHOP | {"group": "ONLINE"}, follow_redirects=True)
    assert "Store WEB (Web shop) is added, selling online" in text_of(added)
    assert list_stores(database) == [Store("S1", "Store 1", "Europe/Berlin", None, "store"),
                                     Store("WEB", "Web shop", "Europe/Berlin", "ONLINE", "online")]
    terminal = admin.submit(PAGE, {"terminal_code": "WEB-BACKEND", "store_code": "WEB", "terminal_name": ""},
                            to=TERMINALS)
    assert terminal.status_code == 302 and terminal.headers["Location"].endswith("#terminal-WEB-BACKEND")
    assert list_terminals(database, store_code="WEB") == [Terminal("WEB-BACKEND", "WEB", "WEB-BACKEND", "active")]
    page = admin.get(PAGE)
    assert "Terminal WEB-BACKEND is added to store WEB: give it a signing key" in text_of(page)
    web = text_of(page).split("WEB Web shop ")[1]
    assert web.startswith("online An online store: a web shop whose backend posts orders naming the member. "
                          "Time zone Europe/Berlin. Group ONLINE")
    assert "WEB-BACKEND WEB-BACKEND active None yet: the terminal cannot post anything." in web
    assert "S1 Store 1 store A shop: its tills read members' cards." in text_of(page)


def test_an_admin_issues_a_key_and_sees_its_secret_once_on_the_answer_page(app, console_as, database, till):
    admin = console_as("admin")
    answer = admin.submit(PAGE, {}, to=f"{TERMINALS}/S1-T1/keys")
    assert answer.status_code == 200 and "A new signing key" in text_of(answer)
    key_id, secret = shown_key(answer)
    assert "X-Loyalty-Key" in text_of(answer) and "it is not shown again" in text_of(answer)
    assert signing_key(database, key_id).secret == secret  # the secret shown is the one requests are checked with
    assert secret not in session_text(app, admin)
    listed = admin.get(PAGE)
    assert key_id in text_of(listed) and "Revoke" in text_of(listed)
    assert secret not in listed.text and secret not in session_text(app, admin)


def test_revoking_a_key_marks_it_revoked_once_its_box_is_ticked(console_as, database, clock, till):
    kept, old = (issue_terminal_key(database, "S1-T1", now=clock()) for _ in range(2))
    admin = console_as("admin")
    unticked = admin.submit(PAGE, {}, to=f"/console/stores/keys/{old.key_id}/revoke", follow_redirects=True)
    assert f"Key {old.key_id} is not revoked: tick the box" in text_of(unticked)
    assert [k.revoked_at for k in list_terminal_keys(database, "S1-T1")] == [None, None]
    clock.advance(minutes=1)
    revoked = admin.submit(PAGE, {"confirm": "yes"}, to=f"/console/stores/keys/{old.key_id}/revoke",
                           follow_redirects=True)
    assert f"Key {old.key_id} of terminal S1-T1 is revoked" in text_of(revoked)
    assert re.search(rf"{old.key_id} issued [^,]+, revoked \d{{4}}-", text_of(revoked))
    assert f'id="confirm-{old.key_id}"' not in revoked.text and f'id="confirm-{kept.key_id}"' in revoked.text
    assert {k.key_id: k.revoked_at for k in list_terminal_keys(database, "S1-T1")} == {old.key_id: clock(),
                                                                                      kept.key_id: None}
    with pytest.raises(NotAuthenticated):
        signing_key(database, old.key_id)
    assert signing_key(database, kept.key_id).secret == kept.secret


def test_retiring_a_terminal_stops_its_keys_once_its_box_is_ticked(console_as, database, clock, till):
    key = issue_terminal_key(database, "S1-T1", now=clock())
    admin = console_as("admin")
    unticked = admin.submit(PAGE, {}, to=f"{TERMINALS}/S1-T1/retire", follow_redirects=True)
    assert "Terminal S1-T1 is not retired: tick the box" in text_of(unticked)
    assert signing_key(database, key.key_id).secret == key.secret
    retired = admin.submit(PAGE, {"confirm": "yes"}, to=f"{TERMINALS}/S1-T1/retire", follow_redirects=True)
    assert "Terminal S1-T1 is retired" in text_of(retired)
    assert "S1-T1 S1-T1 retired" in text_of(retired) and 'id="retire-S1-T1"' not in retired.text
    assert list_terminals(database) == [Terminal("S1-T1", "S1", "S1-T1", "retired")]
    with pytest.raises(NotAuthenticated):
        signing_key(database, key.key_id)


@pytest.mark.parametrize("to, form, field, status, message", [
    (PAGE, WEB_SHOP | {"timezone": "Mars/Olympus"}, "timezone", 422,
     "'Mars/Olympus' is not an IANA time zone such as Europe/Berlin."),
    (PAGE, WEB_SHOP | {"code": "S1"}, "code", 409, "A store with code 'S1' already exists."),
    (PAGE, WEB_SHOP | {"code": "web shop"}, "code", 422, "'web shop' is not a valid code"),
    (TERMINALS, {"terminal_code": "S1-T1", "store_code": "S1", "terminal_name": "Till 9"}, "terminal_code", 409,
     "A terminal with code 'S1-T1' already exists."),
    (TERMINALS, {"terminal_code": "S1-T2", "store_code": "S9", "terminal_name": "Till 9"}, "store_code", 422,
     "Unknown store 'S9'."),
])
def test_a_refused_store_or_terminal_is_answered_at_its_field_with_the_form_kept_and_nothing_added(
        console_as, database, till, to, form, field, status, message):
    refused = console_as("admin").submit(PAGE, form, to=to)
    assert refused.status_code == status
    assert f'id="{field}-error"' in refused.text and message in text_of(refused)
    assert "Nothing was added: please correct the fields marked below." in text_of(refused)
    for name, value in form.items():
        if name not in ("online", "store_code") and value:  # the select offers only the stores there are
            assert f'value="{value}"' in refused.text, name
    assert [s.code for s in list_stores(database)] == ["S1"]
    assert list_terminals(database) == [till]


def test_a_store_form_without_its_csrf_token_adds_nothing(console_as, database):
    refused = console_as("admin").client.post(PAGE, data=WEB_SHOP)
    assert refused.status_code == 400 and list_stores(database) == []


@pytest.mark.parametrize("role", ["marketer", "support", "auditor"])
def test_other_roles_neither_see_nor_use_the_stores_page(console_as, database, clock, till, role):
    key = issue_terminal_key(database, "S1-T1", now=clock())
    assert f'href="{PAGE}"' in console_as("admin").get("/console/members").text
    other = console_as(role)
    assert f'href="{PAGE}"' not in other.get("/console/members").text
    page = other.get(PAGE)
    assert page.status_code == 403 and "Not for your role" in text_of(page)
    for to, form in ((PAGE, WEB_SHOP), (TERMINALS, {"terminal_code": "S1-T2", "store_code": "S1"}),
                     (f"{TERMINALS}/S1-T1/keys", {}),
                     (f"/console/stores/keys/{key.key_id}/revoke", {"confirm": "yes"})):
        assert other.submit("/console/members", form, to=to).status_code == 403, to
    assert [s.code for s in list_stores(database)] == ["S1"] and list_terminals(database) == [till]
    assert [(k.key_id, k.revoked_at) for k in list_terminal_keys(database)] == [(key.key_id, None)]


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # a real server and browser: once
def test_an_admin_adds_a_shop_and_a_till_gives_it_a_key_and_revokes_it_in_a_browser(driver, server, database,
                                                                                   staff_with_login):
    wait = WebDriverWait(driver, 10)
    driver.get(server.url(PAGE))
    wait.until(seen.url_contains("/console/sign-in"))
    driver.find_element(By.ID, "username").send_keys(staff_with_login("admin", username="ada"))
    with leaving_the_page(driver):
        driver.find_element(By.ID, "password").send_keys(PASSWORD, Keys.RETURN)
    wait.until(seen.presence_of_element_located((By.ID, "store-form")))
    for field, text in (("code", "BER-01"), ("name", "Berlin Mitte"), ("timezone", "Europe/Berlin")):
        driver.find_element(By.ID, field).send_keys(text)
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Add the store']").click()
    wait.until(seen.presence_of_element_located((By.ID, "store-BER-01")))
    Select(driver.find_element(By.ID, "store_code")).select_by_value("BER-01")
    with leaving_the_page(driver):
        driver.find_element(By.ID, "terminal_code").send_keys("BER-01-T1", Keys.RETURN)
    wait.until(seen.presence_of_element_located((By.ID, "terminal-BER-01-T1")))
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='New signing key']").click()

    secret = wait.until(seen.presence_of_element_located((By.ID, "secret"))).text
    key_id = driver.find_element(By.ID, "key-id").text
    assert secret and "it is not shown again" in driver.find_element(By.TAG_NAME, "body").text
    shoot(driver, "console-terminal-key")
    with leaving_the_page(driver):
        driver.find_element(By.LINK_TEXT, "Back to stores").click()
    row = wait.until(seen.presence_of_element_located((By.ID, f"key-{key_id}")))
    assert secret not in driver.page_source
    shoot(driver, "console-stores")
    driver.find_element(By.ID, f"confirm-{key_id}").click()
    with leaving_the_page(driver):
        row.find_element(By.XPATH, ".//button[normalize-space()='Revoke']").click()
    assert "revoked" in wait.until(seen.presence_of_element_located((By.ID, f"key-{key_id}"))).text
    assert list_terminal_keys(database, "BER-01-T1")[0].revoked_at is not None
