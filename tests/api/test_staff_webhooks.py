"""Admins manage webhook endpoints over the API: the secret is shown once, URLs that could
reach the private network are refused, only admins may do any of it, and a test event
reaches a real receiver signed."""
import json

import pytest

from engine import webhooks
from tests.support.webhook_receiver import LOCAL, WebhookReceiver

PATH = "/v1/staff/webhooks"


@pytest.fixture
def app(make_app):
    return make_app(WEBHOOK_PRIVATE_HOSTS=LOCAL)


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def admin(staff_headers):
    return staff_headers("admin")


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(client, admin, receiver):
    added = client.post(PATH, json={"url": receiver.url, "kinds": ["points.earned"], "description": "CRM"},
                        headers=admin)
    assert added.status_code == 201, added.json
    assert added.json["secret"].startswith("whsec_") and added.json["kinds"] == ["points.earned"]
    assert added.json["active"] and added.json["created_by"].startswith("staff:")
    listed = client.get(PATH, headers=admin)
    assert listed.status_code == 200 and "secret" not in listed.json[0]
    assert listed.json[0]["id"] == added.json["id"]
    again = client.post(PATH, json={"url": receiver.url, "kinds": ["member.enrolled"]}, headers=admin)
    assert (again.status_code, again.json["error"]) == (409, "webhook_exists")


@pytest.mark.parametrize("body, field", [
    ({"url": "https://10.0.0.1/hooks", "kinds": ["points.earned"]}, "url"),
    ({"url": "http://169.254.169.254/latest/meta-data", "kinds": ["points.earned"]}, "url"),
    ({"url": "https://localhost/hooks", "kinds": ["points.earned"]}, "url"),
    ({"url": "https://crm.example.com/hooks", "kinds": ["points.stolen"]}, "kinds"),
    ({"url": "https://crm.example.com/hooks", "kinds": []}, "kinds"),
    ({"kinds": ["points.earned"]}, "url"),
    ({"url": "https://crm.example.com/hooks", "kinds": ["points.earned"], "secret": "mine"}, "secret"),
    ({"url": 7, "kinds": ["points.earned"]}, "url"),
])
def test_a_bad_endpoint_is_refused_naming_the_field_and_nothing_is_added(client, admin, body, field):
    response = client.post(PATH, json=body, headers=admin)
    assert response.status_code in (400, 422), response.json
    assert {name.split(".")[0] for name in response.json["errors"]} == {field}, response.json
    assert client.get(PATH, headers=admin).json == []


@pytest.mark.parametrize("role", ["marketer", "support", "auditor", "mailer"])
def test_only_admins_manage_webhooks(client, staff_headers, admin, receiver, role):
    endpoint = client.post(PATH, json={"url": receiver.url, "kinds": ["points.earned"]}, headers=admin).json
    headers = staff_headers(role)
    calls = [client.get(PATH, headers=headers),
             client.post(PATH, json={"url": receiver.url + "/2", "kinds": ["points.earned"]}, headers=headers),
             client.patch(f"{PATH}/{endpoint['id']}", json={"active": False}, headers=headers),
             client.delete(f"{PATH}/{endpoint['id']}", headers=headers),
             client.get(f"{PATH}/{endpoint['id']}/deliveries", headers=headers),
             client.post(f"{PATH}/{endpoint['id']}/test", json={}, headers=headers)]
    assert [(c.status_code, c.json["error"]) for c in calls] == [(403, "missing_permission")] * 6
    assert client.get(PATH, headers=admin).json[0]["active"]


def test_members_and_terminals_cannot_reach_webhooks(client, make_member, member_headers, terminal):
    assert client.get(PATH, headers=member_headers(make_member())).status_code in (401, 403)
    assert terminal.get(PATH).status_code in (401, 403)
    assert client.get(PATH).status_code == 401


def test_a_test_event_reaches_the_receiver_signed_and_shows_as_delivered(database, clock, client, admin, receiver):
    added = client.post(PATH, json={"url": receiver.url, "kinds": ["member.enrolled"]}, headers=admin).json
    queued = client.post(f"{PATH}/{added['id']}/test", json={}, headers=admin)
    assert queued.status_code == 202 and queued.json["status"] == "pending"
    webhooks.deliver_webhooks(database, now=clock(), allowed_private=LOCAL)
    [post] = receiver.received
    assert webhooks.signature_matches(added["secret"], post.headers["Loyalty-Signature"], post.body, now=clock())
    assert json.loads(post.body)["kind"] == "webhook.test"
    [delivery] = client.get(f"{PATH}/{added['id']}/deliveries?status=delivered", headers=admin).json
    assert (delivery["id"], delivery["attempts"], delivery["last_status"]) == (queued.json["id"], 1, 200)


def test_an_endpoint_is_deactivated_changed_and_removed(client, admin, receiver):
    added = client.post(PATH, json={"url": receiver.url, "kinds": ["member.enrolled"]}, headers=admin).json
    changed = client.patch(f"{PATH}/{added['id']}", json={"active": False, "kinds": ["points.earned"]},
                           headers=admin)
    assert changed.status_code == 200 and (changed.json["active"], changed.json["kinds"]) == (False, ["points.earned"])
    refused = client.patch(f"{PATH}/{added['id']}", json={"url": "https://192.168.0.2/hooks"}, headers=admin)
    assert (refused.status_code, list(refused.json["errors"])) == (422, ["url"])
    assert client.delete(f"{PATH}/{added['id']}", headers=admin).status_code == 204
    assert client.delete(f"{PATH}/{added['id']}", headers=admin).status_code == 404
    assert client.get(f"{PATH}/{added['id']}/deliveries", headers=admin).status_code == 404
    assert client.patch(f"{PATH}/{2**40}", json={"active": True}, headers=admin).status_code == 404


def test_a_delivery_that_did_not_fail_is_not_sent_again(client, admin, receiver):
    added = client.post(PATH, json={"url": receiver.url, "kinds": ["member.enrolled"]}, headers=admin).json
    queued = client.post(f"{PATH}/{added['id']}/test", json={}, headers=admin).json
    again = client.post(f"{PATH}/{added['id']}/deliveries/{queued['id']}/send-again", json={}, headers=admin)
    assert (again.status_code, again.json["error"]) == (409, "delivery_not_failed")


def test_a_new_secret_is_shown_once_and_signs_every_post_from_then_on(database, clock, client, admin, staff_headers,
                                                                      receiver):
    added = client.post(PATH, json={"url": receiver.url, "kinds": ["member.enrolled"]}, headers=admin).json
    client.post(f"{PATH}/{added['id']}/test", json={}, headers=admin)  # waiting when the secret changes
    renewed = client.post(f"{PATH}/{added['id']}/secret", json={}, headers=admin)
    assert renewed.status_code == 201 and renewed.json["secret"] not in (added["secret"], None)
    webhooks.deliver_webhooks(database, now=clock(), allowed_private=LOCAL)
    [post] = receiver.received
    header = post.headers["Loyalty-Signature"]
    assert webhooks.signature_matches(renewed.json["secret"], header, post.body, now=clock())
    assert not webhooks.signature_matches(added["secret"], header, post.body, now=clock())
    assert "secret" not in client.get(PATH, headers=admin).json[0]
    refused = client.post(f"{PATH}/{added['id']}/secret", json={}, headers=staff_headers("marketer"))
    assert (refused.status_code, refused.json["error"]) == (403, "missing_permission")
    assert client.post(f"{PATH}/{added['id'] + 1}/secret", json={}, headers=admin).status_code == 404
