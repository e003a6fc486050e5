import json

import sqlalchemy as sa

from cli.demo import describe_event
from engine.ledger.invariants import check_ledger
from engine.orm.webhooks import WebhookEndpointRow
from engine.webhooks import EVENT_KINDS
from tests.support.snapshot import contents_but_audit


def test_the_demo_loads_once_and_a_second_load_is_refused_unless_asked_to_skip(run_cli, run_json, database):
    first = run_cli("demo", "load")
    assert first.exit_code == 0 and "demo programme loaded: 4 stores" in first.output
    before = contents_but_audit(database)
    second = run_cli("demo", "load")
    assert second.exit_code == 1 and "[not_empty]" in second.output
    skipped = run_cli("demo", "load", "--if-empty")
    assert skipped.exit_code == 0 and "not loaded again" in skipped.output
    assert contents_but_audit(database) == before
    assert len(run_json("members", "list")) == 5


def test_the_demo_comes_with_a_sound_ledger_and_history_to_look_at(run_cli, run_json, database):
    assert run_cli("demo", "load").exit_code == 0
    assert check_ledger(database) == []
    check = run_cli("check-ledger")
    assert check.exit_code == 0 and check.output == "ledger sound: 10 transactions checked\n"
    grace = next(m for m in run_json("members", "list") if m["full_name"] == "Grace Hopper")
    kinds = [item["kind"] for item in run_json("history", grace["public_id"])]
    assert kinds == ["refund", "earn", "capture", "earn"]
    balance = run_json("balance", grace["public_id"])
    assert (balance["balance"], balance["available"]) == (95, 95)


def test_the_demo_seals_its_secrets_and_its_receiver_takes_its_webhook_events(run_cli, run_json, database,
                                                                            instance_folder):
    assert run_cli("demo", "load").exit_code == 0
    assert (instance_folder / "data-keys").exists()
    with database.transaction() as session:
        stored = session.scalars(sa.text("SELECT secret FROM terminal_credentials")).all()
    assert stored and all(s.startswith("sealed:v1:1:") for s in stored)
    webhook = json.loads((instance_folder / "demo-credentials.json").read_text())["webhook"]
    [endpoint] = run_json("webhooks", "list")
    assert (endpoint["id"], endpoint["url"], endpoint["active"]) == (webhook["id"], webhook["url"], True)
    assert set(endpoint["kinds"]) == set(EVENT_KINDS)
    with database.transaction() as session:  # the secret the receiver checks is the one posts are signed with
        assert session.get(WebhookEndpointRow, webhook["id"]).secret == webhook["secret"]
    body = json.dumps({"id": "evt_1", "kind": "points.earned", "created_at": "2026-12-06T12:00:00Z",
                       "data": {"member_id": "m1", "points": 25}}).encode()
    assert describe_event(body, signed=True) == "2026-12-06T12:00:00Z points.earned: member_id=m1, points=25"
    assert describe_event(body, signed=False).startswith("REFUSED")
