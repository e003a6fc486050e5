"""CSV files for spreadsheets: text that a spreadsheet would run as a formula is written as
text (a leading apostrophe), whoever typed it; numbers, ordinary text and phone numbers stay
as they are; an audience downloaded for a mailing carries the rule through."""
import csv
import io

import pytest

from engine.audiences import audience_csv
from engine.csv_files import csv_chunks, safe_cell
from engine.rules.segments import create_segment


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"http://evil.example\",\"Ada\")", "+SUM(A1)", "-2+3+cmd|' /C calc'!A0",
                                   "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_text_that_would_start_a_formula_is_written_as_text(typed):
    assert safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("value", ["Ada Lovelace", "ada@example.org", "+49 30 1234567", "+1 (555) 123-4567", 1200, -5,
                                   "", None])
def test_numbers_ordinary_text_and_phone_numbers_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_a_large_file_comes_in_pieces_that_join_into_every_row():
    rows = [(n, f"member {n}") for n in range(20_000)]
    chunks = list(csv_chunks(("n", "name"), rows))
    assert len(chunks) > 1
    assert list(csv.reader(io.StringIO("".join(chunks))))[1:] == [[str(n), name] for n, name in rows]


def test_a_members_name_typed_as_a_formula_reaches_the_audience_file_as_text(database, clock, make_member):
    member = make_member(full_name="=HYPERLINK(\"http://evil.example\")", email="eve@example.org",
                         consents={"marketing_email": True})
    create_segment(database, code="all", member_ids=[member.public_id], now=clock())
    rows = list(csv.reader(io.StringIO("".join(audience_csv(database, "all", channel="email")))))
    assert rows == [["member_id", "full_name", "address"],
                    [member.public_id, "'=HYPERLINK(\"http://evil.example\")", "eve@example.org"]]
