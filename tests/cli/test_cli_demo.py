from tests.support.snapshot import table_contents


def test_the_demo_loads_once_and_a_second_load_is_refused_unless_asked_to_skip(run_cli, run_json, database):
    first = run_cli("demo", "load")
    assert first.exit_code == 0 and "demo programme loaded: 3 stores" in first.output
    before = table_contents(database)
    second = run_cli("demo", "load")
    assert second.exit_code == 1 and "[not_empty]" in second.output
    skipped = run_cli("demo", "load", "--if-empty")
    assert skipped.exit_code == 0 and "not loaded again" in skipped.output
    assert table_contents(database) == before
    assert len(run_json("members", "list")) == 5
