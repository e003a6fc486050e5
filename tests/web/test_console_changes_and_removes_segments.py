"""In the console a marketer opens a segment, changes a predicate's conditions (the form shows
the ones it has) and removes a segment nothing names; a refusal says why and changes nothing;
an auditor reads the page without its forms."""
import pytest

from engine.rules.campaigns import create_campaign
from engine.rules.segments import create_segment, list_segments, set_member_attribute
from tests.support.assertions import unchanged
from tests.web.conftest import LADDER, text_of


@pytest.fixture
def marketer(console_as):
    browser = console_as("marketer")
    assert browser.submit("/console/tiers", LADDER).status_code == 302
    return browser


def test_a_marketer_changes_a_segments_conditions_and_sees_its_new_size(marketer, make_member, database, clock):
    for city in ("Gent", "Brugge", "Lyon"):
        set_member_attribute(database, make_member().public_id, "city", city)
    create_segment(database, code="flanders", predicate={"tier": ["gold"], "attributes": {"city": ["Gent"]}},
                   now=clock())
    page = marketer.get("/console/segments/flanders")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Gent"' in html and 'value="gold" checked' in html
    saved = marketer.submit("/console/segments/flanders", {"attr0_name": "city", "attr0_values": "Gent, Brugge"},
                            follow_redirects=True)
    assert "Segment flanders is changed: 2 members now." in text_of(saved)
    (changed,) = list_segments(database)
    assert (changed.predicate, changed.members) == ({"attributes": {"city": ["Gent", "Brugge"]}}, 2)


def test_a_change_with_no_conditions_is_shown_at_its_field_and_changes_nothing(marketer, database, clock):
    create_segment(database, code="flanders", predicate={"attributes": {"city": ["Gent"]}}, now=clock())
    with unchanged(database):
        page = marketer.submit("/console/segments/flanders", {"attr0_name": "", "attr0_values": ""})
    assert page.status_code == 422 and 'id="tiers-error"' in page.get_data(as_text=True)
    assert "Choose tiers or give attribute values." in text_of(page)


def test_a_marketer_removes_a_segment_and_a_targeted_one_stays_with_the_reason(marketer, database, clock):
    create_segment(database, code="flanders", predicate={"attributes": {"city": ["Gent"]}}, now=clock())
    create_segment(database, code="students", predicate={"attributes": {"status": ["student"]}}, now=clock())
    create_campaign(database, code="exams", name="Exams", starts_at=clock(), ends_at=clock().replace(year=2099),
                    now=clock(), segment_code="students")
    with unchanged(database):
        kept = marketer.submit("/console/segments/students", {}, to="/console/segments/students/remove",
                               follow_redirects=True)
    assert "Segment students is targeted by campaigns exams, whose reports read it." in text_of(kept)
    removed = marketer.submit("/console/segments/flanders", {}, to="/console/segments/flanders/remove",
                              follow_redirects=True)
    assert "Segment flanders is removed." in text_of(removed)
    assert [s.code for s in list_segments(database)] == ["students"]


def test_an_uploaded_list_has_no_conditions_form(marketer, make_member, database, clock):
    create_segment(database, code="vip", member_ids=[make_member().public_id], now=clock())
    page = text_of(marketer.get("/console/segments/vip"))
    assert "an uploaded list" in page and "Change who is in it" not in page and "Remove segment vip" in page


def test_an_auditor_reads_a_segment_without_forms_and_cannot_post(console_as, database, clock):
    create_segment(database, code="flanders", predicate={"attributes": {"city": ["Gent"]}}, now=clock())
    auditor = console_as("auditor")
    page = text_of(auditor.get("/console/segments/flanders"))
    assert "city is Gent" in page and "Change who is in it" not in page and "Remove segment" not in page
    with unchanged(database):
        removal = auditor.submit("/console/segments/flanders", {}, to="/console/segments/flanders/remove")
        assert removal.status_code == 403
        assert auditor.submit("/console/segments/flanders", {"attr0_name": "city", "attr0_values": "Lyon"}
                              ).status_code == 403
    assert auditor.get("/console/segments/nope").status_code == 404
