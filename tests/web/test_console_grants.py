"""The console's Grants page: support asks for points for a segment, a second person approves
on the same page; the asker cannot; a marketer does not reach the page; a bad form is
answered field by field and changes nothing."""
from engine import points_grants
from engine.ledger.balances import get_balance
from engine.points_grants import list_grants
from engine.rules.segments import create_segment
from tests.support.assertions import contents_without_traces
from tests.support.grants import approved_but_not_credited
from tests.web.conftest import text_of


def test_support_asks_and_someone_else_approves_on_the_grants_page(console_as, make_member, database, clock):
    members = [make_member(), make_member()]
    create_segment(database, code="apology", member_ids=[m.public_id for m in members], now=clock())
    sam = console_as("support", username="sam")
    page = text_of(sam.get("/console/grants"))
    assert "apology (2 members now)" in page and "No grants yet." in page
    asked = sam.submit("/console/grants", {"segment": "apology", "points": "250", "reason": "Sorry for Saturday"})
    assert asked.status_code == 302
    [pending] = list_grants(database)
    assert "waits for a second person" in text_of(sam.get("/console/grants"))
    sam.submit("/console/grants", {}, to=f"/console/grants/{pending.grant_id}/approve")
    assert "cannot approve" in text_of(sam.get("/console/grants")).lower()
    assert get_balance(database, members[0].public_id, as_of=clock()).balance == 0
    tom = console_as("admin", username="tom")
    tom.submit("/console/grants", {}, to=f"/console/grants/{pending.grant_id}/approve")
    assert "2 members got 250 points each" in text_of(tom.get("/console/grants"))
    assert [get_balance(database, m.public_id, as_of=clock()).balance for m in members] == [250, 250]
    tom.submit("/console/grants", {}, to=f"/console/grants/{pending.grant_id}/reject")
    assert "already approved" in text_of(tom.get("/console/grants"))


def test_an_approver_finishes_a_grant_a_stopped_approval_left_from_the_page(console_as, make_member, database, clock):
    members = [make_member(), make_member()]
    create_segment(database, code="apology", member_ids=[m.public_id for m in members], now=clock())
    sam = console_as("support", username="sam")
    sam.submit("/console/grants", {"segment": "apology", "points": "250", "reason": "Sorry for Saturday"})
    [asked] = list_grants(database)
    approved_but_not_credited(database, asked.grant_id, members, by="tom")
    tom = console_as("admin", username="tom")
    assert "credited 0 of 2" in text_of(tom.get("/console/grants"))
    tom.submit("/console/grants", {}, to=f"/console/grants/{asked.grant_id}/credit")
    page = text_of(tom.get("/console/grants"))
    assert "2 members got 250 points each" in page and "credited 0 of 2" not in page
    assert [get_balance(database, m.public_id, as_of=clock()).balance for m in members] == [250, 250]


def test_an_approval_that_runs_out_of_time_says_how_far_it_got_and_what_happens_next(console_as, make_member, database,
                                                                                     clock, app, monkeypatch):
    monkeypatch.setattr(points_grants, "CHUNK", 1)
    monkeypatch.setitem(app.config, "GRANT_CREDIT_SECONDS", 0)
    members = [make_member(), make_member()]
    create_segment(database, code="apology", member_ids=[m.public_id for m in members], now=clock())
    console_as("support", username="sam").submit("/console/grants", {"segment": "apology", "points": "250",
                                                                     "reason": "Sorry for Saturday"})
    [asked] = list_grants(database)
    tom = console_as("admin", username="tom")
    tom.submit("/console/grants", {}, to=f"/console/grants/{asked.grant_id}/approve")
    page = text_of(tom.get("/console/grants"))
    assert "approved: 1 of 2 members have their 250 points so far. The scheduler credits the rest" in page
    assert "credited 1 of 2" in page and "Finish crediting" in page


def test_a_bad_grant_form_is_answered_field_by_field_and_changes_nothing(console_as, make_member, database, clock):
    create_segment(database, code="one", member_ids=[make_member().public_id], now=clock())
    sam = console_as("support")
    before = contents_without_traces(database)
    for form, field in (({"segment": "one", "points": "many", "reason": "x"}, "points"),
                        ({"segment": "one", "points": "0", "reason": "x"}, "points"),
                        ({"segment": "one", "points": "5", "reason": ""}, "reason"),
                        ({"segment": "gone", "points": "5", "reason": "x"}, "segment")):
        answer = sam.submit("/console/grants", form)
        assert answer.status_code == 422, form
        assert f'id="{field}-error"' in answer.text, form
    assert contents_without_traces(database) == before


def test_a_marketer_neither_sees_nor_asks_for_grants(console_as, make_member, database, clock):
    create_segment(database, code="one", member_ids=[make_member().public_id], now=clock())
    marketer = console_as("marketer")
    assert marketer.get("/console/grants").status_code == 403
    assert marketer.submit("/console/grants", {"segment": "one", "points": "5", "reason": "x"}).status_code == 403
    assert list_grants(database) == []
