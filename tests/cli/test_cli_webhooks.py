"""Operators manage webhook endpoints on the command line, and the scheduler's minutely
round sends what is due to a real receiver."""
import json

import pytest

from cli.runtime import Runtime
from cli.webhooks import webhooks_tick
from engine import webhooks
from tests.support.snapshot import contents_but_audit
from tests.support.webhook_receiver import LOCAL, WebhookReceiver


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("LOYALTY_WEBHOOK_PRIVATE_HOSTS", "127.0.0.1")
    with WebhookReceiver() as running:
        yield running


def test_an_endpoint_added_on_the_command_line_gets_a_test_event(run_cli, run_json, cli_clock, receiver):
    added = run_json("webhooks", "add", receiver.url, "--kind", "points.earned", "--kind", "member.enrolled",
                     "--description", "CRM")
    assert added["secret"].startswith("whsec_") and added["kinds"] == ["member.enrolled", "points.earned"]
    [listed] = run_json("webhooks", "list")
    assert listed["id"] == added["id"] and "secret" not in listed
    assert run_json("webhooks", "test", str(added["id"]))["kind"] == "webhook.test"
    sent = run_cli("webhooks", "send")
    assert sent.exit_code == 0 and "1 delivered, 0 to be tried again, 0 failed" in sent.output
    [post] = receiver.received
    assert webhooks.signature_matches(added["secret"], post.headers["Loyalty-Signature"], post.body, now=cli_clock())
    [delivery] = run_json("webhooks", "deliveries", str(added["id"]), "--status", "delivered")
    assert delivery["event_id"] == json.loads(post.body)["id"]


def test_an_endpoint_is_deactivated_and_removed(run_cli, run_json, receiver):
    added = run_json("webhooks", "add", receiver.url, "--kind", "member.enrolled")
    changed = run_json("webhooks", "change", str(added["id"]), "--inactive", "--kind", "points.refunded")
    assert (changed["active"], changed["kinds"]) == (False, ["points.refunded"])
    assert run_cli("webhooks", "remove", str(added["id"])).exit_code == 0
    assert run_json("webhooks", "list") == []
    gone = run_cli("webhooks", "remove", str(added["id"]))
    assert gone.exit_code == 1 and "unknown webhook endpoint 1 [unknown_webhook_endpoint]" in gone.output


def test_a_private_address_is_refused_unless_the_operator_lists_the_host(run_cli, database):
    before = contents_but_audit(database)
    result = run_cli("webhooks", "add", "http://127.0.0.1:9/hooks", "--kind", "points.earned")
    assert result.exit_code == 1 and "LOYALTY_WEBHOOK_PRIVATE_HOSTS" in result.output
    assert contents_but_audit(database) == before


def test_the_schedulers_minutely_round_sends_what_is_due(database, clock, make_member, receiver):
    webhooks.add_endpoint(database, url=receiver.url, kinds=["member.enrolled"], actor="ops", now=clock(),
                          allowed_private=LOCAL)
    member = make_member()
    runtime = Runtime(str(database.url), clock=clock, webhook_private_hosts=LOCAL)
    assert webhooks_tick(runtime) == webhooks.SendingRound(1, 0, 0)
    assert webhooks_tick(runtime) == webhooks.SendingRound(0, 0, 0)
    assert json.loads(receiver.received[0].body)["data"]["member_id"] == member.public_id


def test_an_endpoint_gets_a_new_secret_on_the_command_line(run_json, receiver):
    added = run_json("webhooks", "add", receiver.url, "--kind", "member.enrolled")
    renewed = run_json("webhooks", "new-secret", str(added["id"]))
    assert renewed["secret"].startswith("whsec_") and renewed["secret"] != added["secret"]
