"""Segments in the console: a marketer makes one from tiers and attribute values, or from a
list of member ids, and sees how many members each holds now; problems are shown at their
fields and nothing is made."""
import pytest

from engine.rules.segments import create_segment, list_segments, set_member_attribute
from tests.web.conftest import LADDER, text_of


@pytest.fixture
def marketer(console_as):
    browser = console_as("marketer")
    assert browser.submit("/console/tiers", LADDER).status_code == 302
    return browser


def test_a_marketer_makes_a_segment_from_attribute_values_and_sees_its_size(marketer, make_member, database):
    for city in ("Gent", "Brugge", "Lyon"):
        set_member_attribute(database, make_member().public_id, "city", city)
    made = marketer.submit("/console/segments", {"code": "flanders", "kind": "predicate", "attr0_name": "city",
                                                 "attr0_values": "Gent, Brugge"}, follow_redirects=True)
    assert "Segment flanders is created." in text_of(made)
    assert "flanders city is Gent or Brugge 2" in text_of(made)


def test_a_marketer_makes_a_segment_from_tiers_and_from_a_list(marketer, make_member, database):
    ids = [make_member().public_id for _ in range(2)]
    marketer.submit("/console/segments", {"code": "golden", "kind": "predicate", "tiers": ["gold"]})
    marketer.submit("/console/segments", {"code": "vip", "kind": "list", "member_ids": "\n".join(ids)})
    assert [(s.code, s.kind, s.predicate, s.members) for s in list_segments(database)] == [
        ("golden", "predicate", {"tier": ["gold"]}, 0), ("vip", "list", None, 2)]
    page = text_of(marketer.get("/console/segments"))
    assert "golden tier gold 0" in page and "vip an uploaded list 2" in page


@pytest.mark.parametrize("form, field, said", [
    ({"code": "x", "kind": "predicate"}, "tiers", "Choose tiers or give attribute values."),
    ({"code": "x", "kind": "predicate", "attr0_name": "city"}, "attr0_values",
     "Give the attribute's name and its values."),
    ({"code": "x", "kind": "list"}, "member_ids", "Give the member ids, one per line."),
    ({"code": "x", "kind": "list", "member_ids": "M-NOBODY"}, "member_ids", "Unknown member 'M-NOBODY'."),
    ({"code": "Not A Code", "kind": "predicate", "tiers": ["gold"]}, "code", "Must be 1 to 64 lower-case letters"),
])
def test_a_segment_form_problem_is_shown_at_its_field_and_no_segment_is_made(marketer, database, form, field, said):
    page = marketer.submit("/console/segments", form)
    assert page.status_code == 422 and f'id="{field}-error"' in page.get_data(as_text=True)
    assert said in text_of(page)
    assert list_segments(database) == []


def test_an_auditor_reads_the_segments_but_gets_no_form_and_support_no_page(console_as):
    auditor = console_as("auditor")
    page = auditor.get("/console/segments")
    assert page.status_code == 200 and "New segment" not in text_of(page)
    assert console_as("support").get("/console/segments").status_code == 403


def test_a_marketer_downloads_who_of_a_segment_agreed_to_e_mails(console_as, database, clock, make_member):
    agreed = make_member(email="ada@example.org", consents={"marketing_email": True})
    declined = make_member(email="bo@example.org")
    create_segment(database, code="all", member_ids=[agreed.public_id, declined.public_id], now=clock())
    marketer = console_as("marketer")
    assert "by e-mail" in text_of(marketer.get("/console/segments"))
    download = marketer.get("/console/segments/all/audience.csv?channel=email")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == 'attachment; filename="all-email-audience.csv"'
    assert download.get_data(True).splitlines() == [
        "member_id,full_name,address", f"{agreed.public_id},{agreed.full_name},ada@example.org"]
    assert marketer.get("/console/segments/all/audience.csv?channel=fax").status_code == 400
    assert marketer.get("/console/segments/nobody/audience.csv?channel=email").status_code == 404
