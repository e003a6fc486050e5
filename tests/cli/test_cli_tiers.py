import json

LADDER = {"tiers": [{"code": "BASIC", "name": "Basic", "threshold": 0},
                    {"code": "SILVER", "name": "Silver", "threshold": 500, "earn_multiplier": "1.25"},
                    {"code": "GOLD", "name": "Gold", "threshold": 2000, "earn_multiplier": 1.5}],
          "policy": {"window": "calendar_year", "review": "calendar", "grace_months": 2}}


def test_tiers_are_defined_from_json_and_listed(run_cli, run_json, tmp_path, cli_clock):
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps(LADDER))
    result = run_cli("tiers", "define", str(path))
    assert result.exit_code == 0, result.output
    assert [t["code"] for t in run_json("tiers", "list")] == ["BASIC", "SILVER", "GOLD"]


def test_an_invalid_ladder_is_refused_naming_every_problem(run_cli, tmp_path, cli_clock):
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps({"tiers": [{"code": "A", "name": "", "threshold": 5}], "policy": {"window": "x"}}))
    result = run_cli("tiers", "define", str(path))
    assert result.exit_code == 1
    assert "tiers[0].name" in result.output and "window" in result.output


def test_a_member_is_assigned_by_hand_and_sees_progress_and_history(
        run_cli, run_json, tmp_path, cli_clock, make_member, earn):
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps(LADDER))
    run_cli("tiers", "define", str(path))
    member = make_member()
    earn(member, 30000)
    assigned = run_json("tiers", "assign", member.public_id, "SILVER", "--reason", "status match")
    assert assigned["tier_code"] == "SILVER"
    progress = run_cli("tiers", "progress", member.public_id)
    assert "1700 more qualifying points by 2027-01-01 to reach GOLD" in progress.output
    reasons = [c["reason"] for c in run_json("tiers", "history", member.public_id)]
    assert reasons == ["enrolment", "manual"]


def test_a_tier_given_on_the_command_line_may_be_kept_until_a_day(run_cli, run_json, tmp_path, make_member):
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps(LADDER))
    run_cli("tiers", "define", str(path))
    member = make_member()
    run_json("tiers", "assign", member.public_id, "GOLD", "--reason", "invited", "--keep-until", "2027-06-30")
    [manual] = [c for c in run_json("tiers", "history", member.public_id) if c["reason"] == "manual"]
    assert manual["note"].endswith("invited (kept until 2027-06-30)")
    refused = run_cli("tiers", "assign", member.public_id, "GOLD", "--reason", "x", "--keep-until", "30/06/2027")
    assert refused.exit_code == 2
