from engine.ledger.invariants import check_ledger
from tests.support.snapshot import contents_but_audit


def test_the_demo_loads_once_and_a_second_load_is_refused_unless_asked_to_skip(run_cli, run_json, database):
    first = run_cli("demo", "load")
    assert first.exit_code == 0 and "demo programme loaded: 3 stores" in first.output
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
