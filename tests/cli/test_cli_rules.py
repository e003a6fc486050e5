import json

import pytest

from engine.rules.segments import create_segment

pytestmark = pytest.mark.usefixtures("cli_clock", "till")

COFFEE = {"key": "coffee", "name": "Triple coffee", "effect": {"kind": "multiplier", "factor": "3"},
          "conditions": [{"kind": "category", "values": ["coffee"]}]}
BASKET = {"store_code": "S1", "terminal_code": "S1-T1", "receipt_number": "SIM-1",
          "occurred_at": "2026-03-02T10:00:00+01:00", "currency": "EUR",
          "lines": [{"line_no": 1, "sku": "BEANS", "quantity": "1", "amount_minor": 1000, "category": "coffee"}]}


def exported_keys(run_cli) -> list[str]:
    return [rule["key"] for rule in json.loads(run_cli("rules", "export").output)]


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_a_rule_is_validated_drafted_simulated_published_and_exported(run_cli, tmp_path):
    rules = write(tmp_path, "rules.json", [COFFEE])
    assert run_cli("rules", "validate", rules).output.strip() == "valid"
    assert run_cli("rules", "draft", rules).output.strip() == "draft coffee v1"
    facts = write(tmp_path, "facts.json", {"tier_code": "gold"})
    simulated = run_cli("rules", "simulate", write(tmp_path, "basket.json", BASKET), "--facts", facts,
                        "--draft", "coffee")
    assert simulated.exit_code == 0, simulated.output
    assert "points: 30" in simulated.output and "coffee v1: 20" in simulated.output
    assert run_cli("rules", "publish", "coffee").output.strip() == "published coffee v1"
    exported = json.loads(run_cli("rules", "export").output)
    assert [r["key"] for r in exported] == ["coffee"]
    versions = json.loads(run_cli("rules", "versions", "coffee", "--json").output)
    assert [(v["version"], v["status"]) for v in versions] == [(1, "published")]


def test_exported_rules_import_into_another_programme_and_are_retired_and_rolled_back(run_cli, run_json, tmp_path):
    rules = write(tmp_path, "rules.json", [COFFEE, {**COFFEE, "key": "tea", "conditions": [
        {"kind": "category", "values": ["tea"]}]}])
    assert run_cli("rules", "import", rules).output.strip() == "2 rule(s) saved as drafts"
    assert exported_keys(run_cli) == []  # drafts earn nothing until published
    assert run_cli("rules", "import", rules, "--publish").output.strip() == "2 rule(s) published"
    assert exported_keys(run_cli) == ["coffee", "tea"]
    assert run_cli("rules", "retire", "tea").output.strip() == "retired tea v1"  # the drafts were published
    assert exported_keys(run_cli) == ["coffee"]
    assert run_cli("rules", "rollback", "tea", "1").output.strip() == "published tea v2 (the definition of v1)"
    assert exported_keys(run_cli) == ["coffee", "tea"]


def test_an_import_with_one_invalid_rule_saves_none(run_cli, run_json, tmp_path):
    rules = write(tmp_path, "rules.json", [COFFEE, {**COFFEE, "key": "tea", "effect": {"kind": "multiplier"}}])
    refused = run_cli("rules", "import", rules, "--publish")
    assert refused.exit_code == 1 and "[1].effect.factor" in refused.output
    assert run_json("rules", "versions", "coffee") == []


def test_a_simulation_for_a_member_named_in_the_basket_or_by_option_prints_each_rule(run_cli, tmp_path, make_member,
                                                                                        clock):
    member = make_member()
    assert run_cli("rules", "import", write(tmp_path, "rules.json", [COFFEE]), "--publish").exit_code == 0
    sold_now = BASKET | {"occurred_at": clock().isoformat()}  # the sale's time decides which rules apply
    for args in (["--member", member.public_id], []):
        basket = write(tmp_path, "basket.json", sold_now | ({} if args else {"member_id": member.public_id}))
        simulated = run_cli("rules", "simulate", basket, *args)
        assert simulated.exit_code == 0, simulated.output
        assert "points: 30" in simulated.output and "coffee v1: 20" in simulated.output


def test_a_simulation_that_does_not_say_who_buys_is_a_usage_error(run_cli, tmp_path):
    refused = run_cli("rules", "simulate", write(tmp_path, "basket.json", BASKET))
    assert refused.exit_code == 2 and "Say who buys: --member MEMBER_ID, --facts FILE" in refused.output


def test_a_wrong_shape_and_a_wrong_meaning_are_both_refused_naming_the_fields(run_cli, tmp_path):
    shape = run_cli("rules", "validate", write(tmp_path, "a.json", {**COFFEE, "priority": "high", "colour": 1}))
    assert shape.exit_code == 1 and "priority" in shape.output and "colour" in shape.output
    meaning = run_cli("rules", "validate", write(tmp_path, "b.json", [{**COFFEE, "conditions": [
        {"kind": "day_of_week", "days_of_week": [9]}]}]))
    assert meaning.exit_code == 1 and "[0].conditions[0].days_of_week" in meaning.output


def test_campaigns_are_created_and_listed_with_their_budget(run_cli, run_json):
    created = run_cli("campaigns", "create", "summer", "--name", "Summer", "--starts", "2026-06-01T00:00:00Z",
                      "--ends", "2026-09-01T00:00:00Z", "--budget", "1000000", "--holdout", "0.1")
    assert created.exit_code == 0, created.output
    (campaign,) = run_json("campaigns", "list")
    assert (campaign["code"], campaign["budget"], campaign["budget_used"]) == ("summer", 1000000, 0)


def test_a_referral_is_recorded_once(run_cli, run_json, make_member):
    referrer, referred = make_member(), make_member()
    assert run_cli("settings", "set", "referrer_points=300", "referred_points=200").exit_code == 0
    recorded = run_json("referrals", "record", referrer.public_id, referred.public_id)
    assert (recorded["referrer_points"], recorded["referred_points"], recorded["rewarded_at"]) == (300, 200, None)
    again = run_cli("referrals", "record", referrer.public_id, referred.public_id)
    assert again.exit_code == 1 and "[already_referred]" in again.output


def test_a_campaign_is_ended_from_the_command_line(run_cli, run_json):
    run_cli("campaigns", "create", "summer", "--name", "Summer", "--starts", "2026-01-01T00:00:00Z",
            "--ends", "2027-01-01T00:00:00Z")
    ended = run_cli("campaigns", "end", "summer")
    assert ended.exit_code == 0 and ended.output.startswith("campaign summer ends at ")
    again = run_cli("campaigns", "end", "summer")
    assert again.exit_code == 1 and "[campaign_ended]" in again.output


def test_a_campaign_budget_and_end_are_changed_from_the_command_line(run_cli, run_json):
    run_cli("campaigns", "create", "summer", "--name", "Summer", "--starts", "2026-01-01T00:00:00Z",
            "--ends", "2099-01-01T00:00:00Z", "--budget", "1000")
    changed = run_cli("campaigns", "change", "summer", "--budget", "5000", "--ends", "2099-02-01T00:00:00Z")
    assert changed.exit_code == 0, changed.output
    assert changed.output == "campaign summer: Summer, until 2099-02-01T00:00:00+00:00, budget 5000 (0 given)\n"
    (campaign,) = run_json("campaigns", "list")
    assert (campaign["budget"], campaign["ends_at"]) == (5000, "2099-02-01T00:00:00+00:00")
    refused = run_cli("campaigns", "change", "summer")
    assert refused.exit_code == 1 and "campaign: give a new name, end, budget or member cap" in refused.output


@pytest.mark.parametrize("raw, field", [('[{"key": "tea", "name": "T\\u0000"}]', "rules.0.name"),
                                        ('[{"key": "tea", "name": "T\\ud800"}]', "rules.0.name")])
def test_a_rules_file_with_text_no_database_can_store_is_refused_naming_where(run_cli, run_json, tmp_path, raw, field):
    path = tmp_path / "rules.json"
    path.write_text(raw)
    refused = run_cli("rules", "import", str(path))
    assert refused.exit_code == 1 and f"{field}:" in refused.output and "Traceback" not in refused.output
    assert exported_keys(run_cli) == [] and run_json("rules", "versions") == []


def test_segments_are_listed_with_their_size(run_json, make_member, database, clock):
    create_segment(database, code="vip", member_ids=[make_member().public_id], now=clock())
    assert run_json("segments", "list") == [{"code": "vip", "kind": "list", "predicate": None, "members": 1}]


def test_segments_are_created_from_a_predicate_or_a_list_file(run_cli, run_json, make_member, tmp_path):
    ids = [make_member().public_id for _ in range(2)]
    (tmp_path / "members.txt").write_text("\n".join(ids) + "\n")
    (tmp_path / "predicate.json").write_text('{"attributes": {"value_class": ["A"]}}')
    listed = run_cli("segments", "create", "vip", "--members", str(tmp_path / "members.txt"))
    assert (listed.exit_code, listed.output) == (0, "segment vip created with 2 members\n")
    assert run_cli("segments", "create", "best", "--predicate", str(tmp_path / "predicate.json")).exit_code == 0
    assert [(s["code"], s["members"]) for s in run_json("segments", "list")] == [("best", 0), ("vip", 2)]
    (tmp_path / "bad.json").write_text('{"attributes": {"city": []}}')
    bad = run_cli("segments", "create", "odd", "--predicate", str(tmp_path / "bad.json"))
    assert bad.exit_code == 1 and "predicate: must look like" in bad.output
    neither = run_cli("segments", "create", "odd")
    assert neither.exit_code == 2 and "give --predicate or --members" in neither.output


def test_the_e_mail_audience_of_a_segment_is_written_as_csv_with_only_those_who_agreed(run_cli, database, clock,
                                                                                       make_member, tmp_path):
    agreed = make_member(email="ada@example.org", consents={"marketing_email": True})
    declined = make_member(email="bo@example.org")
    create_segment(database, code="all", member_ids=[agreed.public_id, declined.public_id], now=clock())
    out = tmp_path / "audience.csv"
    result = run_cli("segments", "audience", "all", "--channel", "email", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        "member_id,full_name,address", f"{agreed.public_id},{agreed.full_name},ada@example.org"]
    assert run_cli("segments", "audience", "all", "--channel", "fax").exit_code == 2


def test_drafts_are_tried_on_the_last_days_sales(run_cli, run_json, tmp_path, make_member, earn):
    earn(make_member(), 1000)
    run_cli("rules", "draft", write(tmp_path, "sku1.json", {
        "key": "sku1", "name": "SKU1 bonus", "conditions": [{"kind": "sku", "values": ["SKU1"]}],
        "effect": {"kind": "fixed_per_transaction", "points": 50}}))
    tried = run_cli("rules", "backtest", "--days", "7", "--draft", "sku1")
    assert tried.exit_code == 0, tried.output
    assert "1 sales of 1 members: 10 points as published, 60 with the drafts" in tried.output
    assert run_json("rules", "backtest", "--draft", "sku1")["rules"][1] == {"rule_key": "sku1", "published": 0,
                                                                          "with_drafts": 50}
