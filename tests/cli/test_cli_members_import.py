"""``loyalty members import``: an operator moves the members of the old system over from a
CSV file and gets the new ids back; a file with problems is refused line by line."""
import csv

import pytest

from engine.ledger.balances import get_balance
from tests.support.assertions import contents_without_traces

pytestmark = pytest.mark.usefixtures("cli_clock")


def test_an_operator_imports_a_file_and_gets_the_new_ids_back(run_cli, database, clock, tmp_path):
    source, mapping = tmp_path / "members.csv", tmp_path / "ids.csv"
    source.write_text("\ufefffull_name;email;opening_points;reference\r\nAda Lovelace;ada@example.org;1200;C-1001\r\n"
                      "Grace Hopper;;0;C-1002\r\n", encoding="utf-8")
    result = run_cli("members", "import", str(source), "--mapping", str(mapping), "--key", "import-1")
    assert result.exit_code == 0, result.output
    assert "imported 2 members with 1,200 opening points" in result.output
    with mapping.open(encoding="utf-8") as ids:
        rows = list(csv.DictReader(ids))
    assert [(r["line"], r["reference"], r["opening_points"]) for r in rows] == [("2", "C-1001", "1200"),
                                                                                ("3", "C-1002", "0")]
    assert get_balance(database, rows[0]["member_id"], as_of=clock()).available == 1200
    again = run_cli("members", "import", str(source), "--key", "import-1", "--json")
    assert again.exit_code == 0 and rows[0]["member_id"] in again.output


def test_a_file_with_problems_is_refused_by_line_and_column_and_changes_nothing(run_cli, database, tmp_path):
    source = tmp_path / "members.csv"
    source.write_text("full_name,email,birthday\nAda,ada@example.org,10/12/1985\n,b@example.org,\n", encoding="utf-8")
    before = contents_without_traces(database)
    result = run_cli("members", "import", str(source), "--key", "import-2")
    assert result.exit_code != 0
    assert "line 2.birthday" in result.output and "line 3.full_name" in result.output
    assert contents_without_traces(database) == before


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do(run_cli, database, tmp_path):
    source = tmp_path / "members.csv"
    source.write_bytes("full_name\nJürgen Müller\n".encode("cp1252"))
    result = run_cli("members", "import", str(source), "--key", "import-3")
    assert result.exit_code == 1 and "save it as CSV UTF-8" in result.output
