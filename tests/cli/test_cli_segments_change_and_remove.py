"""``loyalty segments change`` gives a predicate segment new conditions, ``upload`` a list
segment new members, and ``remove`` removes a segment nothing names; refusals say why, exit 1
and change nothing."""
from engine.rules.segments import create_segment, set_member_attribute
from engine.rules.versions import create_draft, publish_rules
from tests.support.assertions import unchanged


def test_a_predicate_is_changed_and_an_unused_segment_removed(run_cli, run_json, database, clock, make_member,
                                                              tmp_path):
    set_member_attribute(database, make_member().public_id, "city", "Gent")
    create_segment(database, code="flanders", predicate={"attributes": {"city": ["Brugge"]}}, now=clock())
    (tmp_path / "predicate.json").write_text('{"attributes": {"city": ["Gent", "Brugge"]}}')
    changed = run_cli("segments", "change", "flanders", "--predicate", str(tmp_path / "predicate.json"))
    assert (changed.exit_code, changed.output) == (0, "segment flanders changed: 1 members now\n")
    assert run_json("segments", "list")[0]["predicate"] == {"attributes": {"city": ["Gent", "Brugge"]}}
    removed = run_cli("segments", "remove", "flanders")
    assert (removed.exit_code, removed.output) == (0, "segment flanders removed\n")
    assert run_json("segments", "list") == []


def test_a_segment_a_rule_names_is_kept_and_a_list_is_not_changed_here(run_cli, database, clock, make_member,
                                                                      tmp_path):
    create_segment(database, code="students", predicate={"attributes": {"status": ["student"]}}, now=clock())
    create_segment(database, code="vip", member_ids=[make_member().public_id], now=clock())
    create_draft(database, {"key": "students-bonus", "name": "Student bonus",
                            "conditions": [{"kind": "segment", "values": ["students"]}],
                            "effect": {"kind": "fixed_per_transaction", "points": 50}}, now=clock())
    publish_rules(database, ["students-bonus"], now=clock())
    (tmp_path / "predicate.json").write_text('{"attributes": {"status": ["pupil"]}}')
    with unchanged(database):
        kept = run_cli("segments", "remove", "students")
        assert kept.exit_code == 1 and "named by rules students-bonus" in kept.output
        a_list = run_cli("segments", "change", "vip", "--predicate", str(tmp_path / "predicate.json"))
        assert a_list.exit_code == 1 and "upload its members again" in a_list.output
        assert "Traceback" not in kept.output + a_list.output


def test_a_list_segments_members_are_replaced_by_an_upload(run_cli, run_json, database, clock, make_member,
                                                           tmp_path):
    first, second, third = (make_member().public_id for _ in range(3))
    create_segment(database, code="vip", member_ids=[first], now=clock())
    (tmp_path / "members.txt").write_text(f"{second}\n{third}\n")
    uploaded = run_cli("segments", "upload", "vip", "--members", str(tmp_path / "members.txt"))
    assert (uploaded.exit_code, uploaded.output) == (0, "segment vip holds 2 members\n")
    assert run_json("segments", "list")[0]["members"] == 2
    (tmp_path / "unknown.txt").write_text("M-NOBODY\n")
    with unchanged(database):
        refused = run_cli("segments", "upload", "vip", "--members", str(tmp_path / "unknown.txt"))
    assert refused.exit_code == 1 and "unknown member 'M-NOBODY'" in refused.output
