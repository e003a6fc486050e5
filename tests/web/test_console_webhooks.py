"""The console's Webhooks page, for admins: an endpoint is added with its secret shown once on
the answer page (never in the session), a refused endpoint is answered at its field with the
form kept, an endpoint is deactivated, tested and removed, a failed delivery is sent again;
other roles neither see nor use the page."""
import re

import pytest

from engine import webhooks
from tests.support.webhook_receiver import LOCAL, WebhookReceiver
from tests.web.conftest import text_of

PAGE = "/console/webhooks"
URL = "http://127.0.0.1:9/hooks/loyalty"  # allowed, as LOCAL lists 127.0.0.1; nothing listens


@pytest.fixture
def app(make_app):
    return make_app(WEBHOOK_PRIVATE_HOSTS=LOCAL)


@pytest.fixture
def endpoint(database, clock):
    """An endpoint an admin added earlier."""
    return webhooks.add_endpoint(database, url=URL, kinds=["points.earned"], description="CRM", actor="staff:tom",
                                 now=clock(), allowed_private=LOCAL).endpoint


def session_text(app, browser) -> str:
    """What the browser's session cookie holds: as sent, and decoded."""
    cookie = browser.client.get_cookie("session").value
    return cookie + repr(app.session_interface.get_signing_serializer(app).loads(cookie))


def fail_every_attempt(database, clock) -> None:
    """Every delivery due is answered 500, attempt after attempt, until it is failed."""
    for _ in range(webhooks.MAX_ATTEMPTS):
        webhooks.deliver_webhooks(database, now=clock(), allowed_private=LOCAL, send=lambda *post: 500)
        clock.advance(days=1)


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once_on_the_answer_page(app, console_as, database, clock):
    ada = console_as("admin", username="ada")
    assert "No webhook endpoints yet." in text_of(ada.get(PAGE))
    with WebhookReceiver() as receiver:
        added = ada.submit(PAGE, {"url": receiver.url, "kinds": ["points.earned", "member.enrolled"],
                                  "description": "CRM"})
        assert added.status_code == 200
        secret = re.search(r'<code id="secret">(whsec_[^<]+)</code>', added.text).group(1)
        assert "Loyalty-Signature: t=…,v1=…" in text_of(added) and "it is not shown again" in text_of(added)
        assert secret not in session_text(app, ada)
        listed = ada.get(PAGE)
        assert receiver.url in text_of(listed) and "member.enrolled, points.earned" in text_of(listed)
        assert "Added by staff:ada" in text_of(listed) and "CRM" in text_of(listed)
        assert secret not in listed.text and secret not in session_text(app, ada)
        [made] = webhooks.list_endpoints(database)
        ada.submit(PAGE, {}, to=f"{PAGE}/{made.id}/test")
        webhooks.deliver_webhooks(database, now=clock(), allowed_private=LOCAL)
    [post] = receiver.received  # the secret shown is the one the posts are signed with
    assert webhooks.signature_matches(secret, post.headers["Loyalty-Signature"], post.body, now=clock())


@pytest.mark.parametrize("form, field, message", [
    ({"url": "https://10.0.0.1/x", "kinds": ["points.earned"]}, "url", "resolves to 10.0.0.1, a private or reserved"),
    ({"url": "ftp://crm.example.com/hooks", "kinds": ["points.earned"]}, "url", "Must be an https URL with a host."),
    ({"url": URL}, "kinds", "Must list at least one of member.enrolled"),
])
def test_a_refused_endpoint_is_answered_at_its_field_with_the_form_kept_and_nothing_added(console_as, database,
                                                                                         form, field, message):
    refused = console_as("admin").submit(PAGE, form | {"description": "CRM"})
    assert refused.status_code == 422
    assert f'id="{field}-error"' in refused.text and message in text_of(refused)
    assert f'value="{form["url"]}"' in refused.text and 'value="CRM"' in refused.text
    assert ('value="points.earned" checked' in refused.text) == ("kinds" in form)
    assert webhooks.list_endpoints(database) == []


def test_a_url_added_already_or_one_endpoint_too_many_is_refused_with_the_form_kept(console_as, database, clock,
                                                                                   endpoint):
    admin = console_as("admin")
    again = admin.submit(PAGE, {"url": URL, "kinds": ["member.enrolled"]})
    assert again.status_code == 409 and 'id="url-error"' in again.text
    assert "Receives webhooks already: see its endpoint above." in text_of(again)
    for n in range(1, webhooks.MAX_ENDPOINTS):
        webhooks.add_endpoint(database, url=f"{URL}/{n}", kinds=["points.earned"], actor="staff:tom", now=clock(),
                              allowed_private=LOCAL)
    full = admin.submit(PAGE, {"url": f"{URL}/more", "kinds": ["member.enrolled"]})
    assert full.status_code == 409 and f"has {webhooks.MAX_ENDPOINTS} webhook endpoints: remove one first" in full.text
    assert f'value="{URL}/more"' in full.text
    assert len(webhooks.list_endpoints(database)) == webhooks.MAX_ENDPOINTS


def test_an_admin_deactivates_activates_tests_and_removes_an_endpoint(console_as, database, endpoint):
    admin = console_as("admin")
    deactivated = admin.submit(PAGE, {}, to=f"{PAGE}/{endpoint.id}/deactivate", follow_redirects=True)
    assert f"{URL} is deactivated" in text_of(deactivated) and "inactive" in text_of(deactivated)
    assert not webhooks.list_endpoints(database)[0].active
    activated = admin.submit(PAGE, {}, to=f"{PAGE}/{endpoint.id}/activate", follow_redirects=True)
    assert f"{URL} receives its events again." in text_of(activated) and webhooks.list_endpoints(database)[0].active
    tested = admin.submit(PAGE, {}, to=f"{PAGE}/{endpoint.id}/test", follow_redirects=True)
    assert "A test event is queued" in text_of(tested) and "webhook.test" in text_of(tested)
    [queued] = webhooks.list_deliveries(database, endpoint.id)
    assert (queued.kind, queued.status) == ("webhook.test", "pending")
    removed = admin.submit(PAGE, {}, to=f"{PAGE}/{endpoint.id}/remove", follow_redirects=True)
    assert "The endpoint is removed" in text_of(removed) and "No webhook endpoints yet." in text_of(removed)
    assert webhooks.list_endpoints(database) == []
    gone = admin.submit(PAGE, {}, to=f"{PAGE}/{endpoint.id}/activate", follow_redirects=True)
    assert gone.status_code == 200 and f"Unknown webhook endpoint {endpoint.id}." in text_of(gone)
    assert webhooks.list_endpoints(database) == []


def test_a_new_secret_is_shown_once_on_the_answer_page_and_signs_from_then_on(app, console_as, database, clock,
                                                                              endpoint):
    admin = console_as("admin")
    answer = admin.submit(PAGE, {}, to=f"{PAGE}/{endpoint.id}/secret")
    assert answer.status_code == 200 and "A new webhook secret" in text_of(answer)
    secret = re.search(r'<code id="secret">(whsec_[^<]+)</code>', answer.text).group(1)
    assert secret not in admin.get(PAGE).text and secret not in session_text(app, admin)
    webhooks.send_test_event(database, endpoint.id, now=clock())
    posts = []
    webhooks.deliver_webhooks(database, now=clock(), allowed_private=LOCAL,
                              send=lambda url, address, body, headers: posts.append((body, headers)) or 200)
    [(body, headers)] = posts
    assert webhooks.signature_matches(secret, headers["Loyalty-Signature"], body, now=clock())


def test_a_failed_delivery_is_sent_again_and_one_that_did_not_fail_is_refused_clearly(console_as, database, clock,
                                                                                     endpoint):
    webhooks.send_test_event(database, endpoint.id, now=clock())
    fail_every_attempt(database, clock)
    admin = console_as("admin")  # signed in after the days the attempts took
    [failed] = webhooks.list_deliveries(database, endpoint.id)
    page = admin.get(PAGE)
    assert failed.status == "failed" and "answered 500" in text_of(page) and "Send again" in text_of(page)
    send_again = f"{PAGE}/{endpoint.id}/deliveries/{failed.id}/send-again"
    sent = admin.submit(PAGE, {}, to=send_again, follow_redirects=True)
    assert f"Delivery {failed.id} is sent again within a minute" in text_of(sent)
    [pending] = webhooks.list_deliveries(database, endpoint.id)
    assert (pending.status, pending.attempts) == ("pending", 0)
    refused = admin.submit(PAGE, {}, to=send_again, follow_redirects=True)
    assert f"Delivery {failed.id} is pending: only a failed one is sent again." in text_of(refused)
    assert webhooks.list_deliveries(database, endpoint.id) == [pending]


@pytest.mark.parametrize("role", ["marketer", "support", "auditor"])
def test_other_roles_neither_see_nor_use_the_webhooks_page(console_as, database, endpoint, role):
    assert 'href="/console/webhooks"' in console_as("admin").get("/console/members").text
    other = console_as(role)
    assert 'href="/console/webhooks"' not in other.get("/console/members").text
    page = other.get(PAGE)
    assert page.status_code == 403 and "Not for your role" in text_of(page)
    for to, form in ((PAGE, {"url": f"{URL}/2", "kinds": ["points.earned"]}), (f"{PAGE}/{endpoint.id}/deactivate", {}),
                     (f"{PAGE}/{endpoint.id}/test", {}), (f"{PAGE}/{endpoint.id}/remove", {})):
        assert other.submit("/console/members", form, to=to).status_code == 403, to
    assert webhooks.list_endpoints(database) == [endpoint]
    assert webhooks.list_deliveries(database, endpoint.id) == []
