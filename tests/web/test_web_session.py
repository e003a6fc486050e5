"""The session cookie and the key that signs it."""
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import flask
import pytest

from api import create_app
from api.web.secret import key_file
from tests.web.conftest import PASSWORD, PASSWORDS


def session_cookie_header(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_the_session_cookie_is_http_only_same_site_lax_and_secure_outside_tests(database, clock):
    app = create_app({"DATABASE": database, "CLOCK": clock, "PASSWORDS": PASSWORDS})
    client = app.test_client()
    header = session_cookie_header(client.get("/portal/sign-in"))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header


def test_under_testing_the_cookie_is_not_marked_secure(app):
    header = session_cookie_header(app.test_client().get("/portal/sign-in"))
    assert "Secure" not in header and "HttpOnly" in header


def test_without_a_configured_key_one_is_generated_into_the_instance_folder_readable_only_by_its_owner(
        database, clock, instance_folder, monkeypatch):
    monkeypatch.delenv("LOYALTY_SECRET_KEY", raising=False)
    first = create_app({"DATABASE": database, "CLOCK": clock})
    path = instance_folder / "secret-key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first.secret_key == path.read_text().strip() and len(first.secret_key) == 64
    again = create_app({"DATABASE": database, "CLOCK": clock})
    assert again.secret_key == first.secret_key  # sessions survive a restart
    assert [p.name for p in instance_folder.iterdir() if "secret" in p.name] == ["secret-key"]  # no drafts left


def test_the_environment_variable_wins_over_the_instance_file(database, clock, instance_folder, monkeypatch):
    monkeypatch.setenv("LOYALTY_SECRET_KEY", "k" * 40)
    assert create_app({"DATABASE": database, "CLOCK": clock}).secret_key == "k" * 40
    assert not (instance_folder / "secret-key").exists()


def test_a_cookie_signed_with_another_key_signs_nobody_in(make_app, member_with_login):
    member = member_with_login()
    ours, theirs = make_app(), make_app(SECRET_KEY="another key entirely, not ours")
    client = theirs.test_client()
    page = client.get("/portal/sign-in").get_data(True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/portal/sign-in", data={"csrf_token": token, "email": member.email, "password": PASSWORD})
    assert client.get("/portal/").status_code == 200
    forged = ours.test_client()
    forged.set_cookie("session", client.get_cookie("session").value)
    assert forged.get("/portal/").status_code == 302


def test_a_damaged_key_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "secret-key"
    path.write_text("short\n")
    with pytest.raises(RuntimeError, match="too short; delete the file"):
        key_file(path)


def test_workers_creating_the_key_at_once_all_get_the_same_one(tmp_path):
    path = tmp_path / "secret-key"
    start = threading.Barrier(8)

    def worker(_):
        start.wait()
        return key_file(path)
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(worker, range(8)))
    assert keys == {path.read_text().strip()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret-key"]


def test_portal_pages_are_kept_out_of_browser_and_proxy_caches(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    for path in ("/portal/", "/portal/history", "/portal/account", "/portal/my-data.json", "/portal/sign-in"):
        assert browser.get(path).headers["Cache-Control"] == "no-store", path



def test_outside_the_pages_a_request_gets_no_session_even_with_the_cookie(app, browser, member_with_login):
    browser.sign_in(member_with_login().email)
    cookie = {"Cookie": f"session={browser.client.get_cookie('session').value}"}
    with app.test_request_context("/portal/", headers=cookie):
        assert flask.session.get("member_token")
    for path in ("/v1/members/me", "/health/ready", "/portals"):
        with app.test_request_context(path, headers=cookie):
            assert app.session_interface.is_null_session(flask.session._get_current_object())


def test_pages_refuse_to_be_framed_run_only_the_sites_own_scripts_and_keep_their_address_to_the_site(browser, console_as):
    console = console_as("support")
    for client, path in ((browser, "/portal/sign-in"), (browser, "/portal/set-password?link=x"),
                         (console, "/console/members"), (console, "/console/sign-in")):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in policy, path
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
        assert (headers["Referrer-Policy"], headers["X-Content-Type-Options"]) == ("same-origin", "nosniff"), path
