from tests.support.snapshot import contents_but_audit


def test_stores_created_on_the_command_line_are_listed(run_cli, run_json):
    result = run_cli("stores", "create", "BER-01", "--name", "Berlin Mitte", "--timezone", "Europe/Berlin",
                     "--group", "CITY")
    assert result.exit_code == 0, result.output
    assert run_cli("stores", "create", "WEB", "--name", "Web shop", "--timezone", "Europe/Berlin",
                   "--online").exit_code == 0
    assert run_json("stores", "list") == [
        {"code": "BER-01", "name": "Berlin Mitte", "timezone": "Europe/Berlin", "group": "CITY", "channel": "store"},
        {"code": "WEB", "name": "Web shop", "timezone": "Europe/Berlin", "group": None, "channel": "online"}]


def test_a_duplicate_store_code_is_refused_with_exit_code_one(run_cli, database, make_store):
    make_store("BER-01")
    before = contents_but_audit(database)
    result = run_cli("stores", "create", "BER-01", "--name", "Again", "--timezone", "UTC")
    assert result.exit_code == 1
    assert "a store with code 'BER-01' already exists [duplicate_store]" in result.output
    assert contents_but_audit(database) == before


def test_an_invalid_time_zone_is_refused(run_cli, database):
    result = run_cli("stores", "create", "X", "--name", "X", "--timezone", "Berlin")
    assert result.exit_code == 1 and "timezone" in result.output
    assert contents_but_audit(database)["stores"] == []


def test_terminals_are_created_in_a_store_and_listed_per_store(run_cli, run_json, make_store):
    make_store("BER-01")
    make_store("HAM-01")
    assert run_cli("terminals", "create", "BER-01-T1", "--store", "BER-01").exit_code == 0
    assert run_cli("terminals", "create", "HAM-01-T1", "--store", "HAM-01").exit_code == 0
    assert [t["code"] for t in run_json("terminals", "list", "--store", "BER-01")] == ["BER-01-T1"]


def test_a_terminal_in_an_unknown_store_is_refused(run_cli, database):
    result = run_cli("terminals", "create", "T1", "--store", "NOWHERE")
    assert result.exit_code == 1 and "unknown store 'NOWHERE' [unknown_store]" in result.output
    assert contents_but_audit(database)["terminals"] == []


def test_an_empty_list_says_so(run_cli):
    assert run_cli("stores", "list").output.strip() == "no stores"


def test_a_retired_terminal_is_listed_retired_and_an_unknown_one_refused(run_cli, run_json, make_store, database):
    make_store("BER-01")
    assert run_cli("terminals", "create", "BER-01-T1", "--store", "BER-01").exit_code == 0
    assert run_cli("terminals", "retire", "BER-01-T1").exit_code == 0
    assert [t["status"] for t in run_json("terminals", "list")] == ["retired"]
    before = contents_but_audit(database)
    result = run_cli("terminals", "retire", "NOPE")
    assert result.exit_code == 1 and "unknown terminal 'NOPE' [unknown_terminal]" in result.output
    assert contents_but_audit(database) == before
