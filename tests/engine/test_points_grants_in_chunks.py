"""An approved grant credits its members chunk by chunk, a transaction each, so that no till
waits for a whole grant; crediting resumes where a stopped process left it (a replay of the
approval, ``credit_grant``, the nightly job), credits each member once, and passes over
members whose account closed or was suspended since the approval."""
import pytest
import sqlalchemy as sa

from engine import points_grants
from engine.errors import InvalidState, NotFound
from engine.jobs.runs import run_job
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.member_closure import CloseMember, close_member
from engine.points_grants import DecideGrant, GrantPoints, credit_grant, decide_grant, get_grant, request_grant
from engine.rules.segments import create_segment
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


class Stopped(Exception):
    """The process crediting a grant went away."""


@pytest.fixture
def chunks_of_two(monkeypatch):
    monkeypatch.setattr(points_grants, "CHUNK", 2)


@pytest.fixture
def asked(database, clock, make_member, chunks_of_two):
    """A pending grant of 100 points to five members: (grant id, members)."""
    members = [make_member() for _ in range(5)]
    create_segment(database, code="five", member_ids=[m.public_id for m in members], now=clock())
    grant = request_grant(database, GrantPoints("five", 100, "sorry", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())
    return grant.grant_id, members


def approve(database, clock, grant_id: str, *, key: str | None = None, progress=None, seconds=None):
    return decide_grant(database, DecideGrant(grant_id, True, "kim"), caller="staff:kim",
                        idempotency_key=key or new_key(), now=clock(), progress=progress, seconds=seconds)


def balances(database, clock, members) -> list[int]:
    return [get_balance(database, m.public_id, as_of=clock()).balance for m in members]


def stop_after_first_chunk(monkeypatch):
    chunks = {"done": 0}
    real = points_grants._credit_chunk

    def one_then_stop(*args, **kwargs):
        if chunks["done"]:
            raise Stopped()
        chunks["done"] += 1
        return real(*args, **kwargs)
    monkeypatch.setattr(points_grants, "_credit_chunk", one_then_stop)


def test_an_approval_credits_its_members_a_chunk_at_a_time_and_says_how_far_it_is(database, clock, asked):
    grant_id, members = asked
    seen = []
    approved = approve(database, clock, grant_id, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert (approved.status, approved.members, approved.credited, approved.total_points) == ("approved", 5, 5, 500)
    assert balances(database, clock, members) == [100] * 5
    with database.transaction() as session:
        posted = session.scalar(sa.text("SELECT COUNT(DISTINCT transaction_id) FROM points_grant_members"))
        assert (posted, session.scalar(sa.text("SELECT COUNT(*) FROM points_grant_queue"))) == (5, 0)
    assert check_ledger(database) == []


def test_a_replayed_approval_finishes_what_a_stopped_process_left_and_credits_nobody_twice(database, clock, asked,
                                                                                           monkeypatch):
    grant_id, members = asked
    stop_after_first_chunk(monkeypatch)
    with pytest.raises(Stopped):
        approve(database, clock, grant_id, key="approve-1")
    stopped = get_grant(database, grant_id)
    assert (stopped.status, stopped.members, stopped.credited) == ("approved", 5, 2)
    assert balances(database, clock, members) == [100, 100, 0, 0, 0]
    monkeypatch.undo()
    monkeypatch.setattr(points_grants, "CHUNK", 2)
    finished = approve(database, clock, grant_id, key="approve-1")
    assert (finished.members, finished.credited) == (5, 5)
    assert approve(database, clock, grant_id, key="approve-1") == finished
    assert credit_grant(database, grant_id, now=clock()) == finished
    assert balances(database, clock, members) == [100] * 5
    assert check_ledger(database) == []


def test_an_approval_given_seconds_answers_after_them_and_the_rest_is_credited_later(database, clock, asked):
    # A web request cannot wait minutes for a grant to a million members: it credits for a
    # while (one chunk at least) and answers; the scheduler goes on where it stopped.
    grant_id, members = asked
    answered = approve(database, clock, grant_id, seconds=0)
    assert (answered.status, answered.members, answered.credited) == ("approved", 5, 2)
    assert balances(database, clock, members) == [100, 100, 0, 0, 0]
    assert credit_grant(database, grant_id, now=clock(), seconds=0).credited == 4
    assert points_grants.finish_grants(database, now=clock()) == {"grants": 1, "members": 1}
    assert balances(database, clock, members) == [100] * 5
    assert points_grants.finish_grants(database, now=clock()) == {"grants": 0, "members": 0}
    assert check_ledger(database) == []


def test_the_nightly_job_finishes_a_grant_a_stopped_process_left(database, clock, asked, monkeypatch):
    grant_id, members = asked
    stop_after_first_chunk(monkeypatch)
    with pytest.raises(Stopped):
        approve(database, clock, grant_id)
    monkeypatch.undo()
    run = run_job(database, "grants", as_of=clock(), now=clock(), worker="test")[-1]
    assert run.summary == {"grants": 1, "members": 3}
    assert get_grant(database, grant_id).credited == 5
    assert balances(database, clock, members) == [100] * 5
    clock.advance(days=1)
    assert run_job(database, "grants", as_of=clock(), now=clock(), worker="test")[-1].summary == {
        "grants": 0, "members": 0}


def test_a_member_closed_or_suspended_before_their_chunk_gets_nothing_and_leaves_the_count(database, clock, asked,
                                                                                           monkeypatch):
    grant_id, members = asked
    stop_after_first_chunk(monkeypatch)
    with pytest.raises(Stopped):
        approve(database, clock, grant_id)
    monkeypatch.undo()
    close_member(database, CloseMember(members[2].public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    with database.transaction() as session:
        session.execute(sa.text("UPDATE members SET status = 'suspended' WHERE public_id = :id"),
                        {"id": members[4].public_id})
    finished = credit_grant(database, grant_id, now=clock())
    assert (finished.members, finished.credited, finished.total_points) == (3, 3, 300)
    assert balances(database, clock, [members[0], members[1], members[3], members[4]]) == [100, 100, 100, 0]
    assert check_ledger(database) == []


def test_only_an_approved_grant_credits_and_an_unknown_one_is_not_found(database, clock, asked):
    grant_id, members = asked
    with refused_unchanged(database, InvalidState, "grant_not_approved"):
        credit_grant(database, grant_id, now=clock())
    with refused_unchanged(database, NotFound):
        credit_grant(database, "grant_0000", now=clock())
    decide_grant(database, DecideGrant(grant_id, False, "kim"), caller="staff:kim", idempotency_key=new_key(),
                 now=clock())
    with refused_unchanged(database, InvalidState, "grant_not_approved"):
        credit_grant(database, grant_id, now=clock())
    assert balances(database, clock, members) == [0] * 5
