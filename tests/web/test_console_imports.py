"""The console's Imports page: support sends a file of members, which is checked and kept; a
second person approves on the same page and the members arrive; the sender cannot approve;
a file with problems is answered line by line and nothing is kept; an approved import gives
the new member ids as a CSV download; a marketer does not reach the page."""
import io

from engine.ledger.balances import get_balance
from engine.member_import_requests import list_import_requests
from engine.members import find_members
from tests.web.conftest import text_of

FILE = "full_name,email,opening_points,reference\nAda Lovelace,ada@example.org,1200,C-1\nGrace Hopper,,0,C-2\n"


def send(browser, text: str | bytes, name: str = "old-crm.csv"):
    data = text.encode() if isinstance(text, str) else text
    return browser.submit("/console/imports", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_support_sends_a_file_and_someone_else_approves_it(console_as, database, clock):
    sam = console_as("support", username="sam")
    assert "No imports yet." in text_of(sam.get("/console/imports"))
    assert send(sam, FILE).status_code == 302
    assert "The import of 2 members with 1,200 opening points from old-crm.csv waits for a second person" in \
        text_of(sam.get("/console/imports"))
    [asked] = list_import_requests(database)
    sam.submit("/console/imports", {}, to=f"/console/imports/{asked.import_id}/approve")
    assert "cannot approve" in text_of(sam.get("/console/imports")).lower()
    assert find_members(database, "ada@example.org") == []
    tom = console_as("admin", username="tom")
    tom.submit("/console/imports", {}, to=f"/console/imports/{asked.import_id}/approve")
    assert "The import of 2 members from old-crm.csv is approved." in text_of(tom.get("/console/imports"))
    [ada] = find_members(database, "ada@example.org")
    assert get_balance(database, ada.public_id, as_of=clock()).available == 1200
    download = tom.get(f"/console/imports/{asked.import_id}/members.csv")
    assert download.mimetype == "text/csv"
    assert download.get_data(as_text=True).splitlines()[:2] == ["line,reference,member_id,opening_points",
                                                               f"2,C-1,{ada.public_id},1200"]


def test_a_file_with_problems_is_answered_line_by_line_and_nothing_is_kept(console_as, database):
    sam = console_as("support")
    answer = send(sam, "full_name,email\nAda,not-an-address\n")
    assert answer.status_code == 422
    assert "line 2.email:" in text_of(answer) and "The file was not kept" in text_of(answer)
    assert "choose the CSV file" in text_of(sam.submit("/console/imports", {}, content_type="multipart/form-data"))
    assert "is not UTF-8 text (byte 10)" in text_of(send(sam, b"full_name\n\xff\n"))
    assert list_import_requests(database) == []


def test_a_file_that_no_longer_fits_is_not_imported_and_says_why(console_as, database, make_member):
    send(console_as("support", username="sam"), FILE)
    [asked] = list_import_requests(database)
    make_member(email="ada@example.org")
    tom = console_as("admin", username="tom")
    tom.submit("/console/imports", {}, to=f"/console/imports/{asked.import_id}/approve")
    page = text_of(tom.get("/console/imports"))
    assert "The file no longer fits, so nobody was imported: line 2.email: is the address of a member already" in page
    assert list_import_requests(database)[0].status == "pending"


def test_a_marketer_neither_sees_nor_sends_imports(console_as):
    marketer = console_as("marketer")
    assert marketer.get("/console/imports").status_code == 403
    assert "Imports" not in text_of(marketer.get("/console/"))
