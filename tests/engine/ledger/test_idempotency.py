import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pytest
import sqlalchemy as sa

from engine.errors import IdempotencyKeyReused, InsufficientPoints, InvalidInput, RequestInFlight
from engine.ledger.adjustments import adjust_points
from engine.ledger.commands import AdjustPoints, PlaceHold
from engine.ledger.earning import earn_points
from engine.ledger.holds import place_hold
from engine.ledger.idempotency import purge_idempotency_keys, request_fingerprint, run_idempotent
from engine.orm.ledger import IdempotencyKeyRow, LedgerTransactionRow
from engine.plain import canonical_json
from tests.support.assertions import refused_unchanged


def postings(database) -> int:
    with database.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(LedgerTransactionRow))


def test_a_retry_gets_the_first_answer_and_posts_nothing_more(database, clock, make_member, make_basket):
    basket = make_basket(make_member(), 1000)
    first = earn_points(database, basket, caller="S1-T1", idempotency_key="k-1", now=clock())
    again = earn_points(database, basket, caller="S1-T1", idempotency_key="k-1", now=clock.advance(minutes=5))
    assert again == first and postings(database) == 1


def test_a_refusal_is_the_first_answer_too(database, clock, make_member, till):
    member = make_member(points=10)
    command = PlaceHold(till.store_code, till.code, 50, member_id=member.public_id)
    with pytest.raises(InsufficientPoints):
        place_hold(database, command, caller="S1-T1", idempotency_key="k-1", now=clock())
    adjust_points(database, AdjustPoints(member.public_id, 100, "top up", "t"), caller="t", idempotency_key="a",
                  now=clock())
    with pytest.raises(InsufficientPoints):  # same key: same answer, though points are there now
        place_hold(database, command, caller="S1-T1", idempotency_key="k-1", now=clock())


def test_the_same_key_with_a_different_request_is_refused(database, clock, make_member, make_basket):
    basket = make_basket(make_member(), 1000)
    earn_points(database, basket, caller="S1-T1", idempotency_key="k-1", now=clock())
    with refused_unchanged(database, IdempotencyKeyReused):
        earn_points(database, replace(basket, receipt_number="R-other"), caller="S1-T1", idempotency_key="k-1",
                    now=clock())


def test_keys_are_scoped_to_their_caller(database, clock, make_member, make_basket):
    member = make_member()
    earn_points(database, make_basket(member, 1000), caller="S1-T1", idempotency_key="k-1", now=clock())
    earn_points(database, make_basket(member, 1000), caller="S1-T2", idempotency_key="k-1", now=clock())
    assert postings(database) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ключ"])
def test_an_unusable_key_is_refused(database, clock, make_member, make_basket, key):
    basket = make_basket(make_member(), 1000)
    with refused_unchanged(database, InvalidInput):
        earn_points(database, basket, caller="S1-T1", idempotency_key=key, now=clock())


def test_keys_are_purged_after_the_retention_and_then_count_as_new(database, clock, make_member, till):
    member = make_member(points=100)
    command = AdjustPoints(member.public_id, 5, "gift", "t")
    adjust_points(database, command, caller="t", idempotency_key="k-1", now=clock())
    assert purge_idempotency_keys(database, as_of=clock.advance(days=29)) == 0
    assert purge_idempotency_keys(database, as_of=clock.advance(days=2)) == 2  # funding key and k-1
    assert adjust_points(database, command, caller="t", idempotency_key="k-1", now=clock()).balance == 110


@dataclass(frozen=True)
class _Answer:
    points: int


def test_a_refusal_gives_way_to_an_answer_stored_while_its_work_was_rolled_back(database, clock, monkeypatch):
    # A refused command's work is rolled back before the refusal is stored, in a second
    # transaction; a request with the same key that answered in between keeps its answer.
    request, opened, real = {"points": 5}, [], database.transaction

    @contextmanager
    def transaction():
        opened.append(True)
        if len(opened) == 2:  # between the refused work's rollback and the storing of the refusal
            run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=request, now=clock(),
                           work=lambda session: _Answer(5), result_type=_Answer)
        with real() as session:
            yield session

    def refused(session):
        raise InsufficientPoints("not enough points")

    monkeypatch.setattr(database, "transaction", transaction)
    first = run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=request, now=clock(),
                           work=refused, result_type=_Answer)
    assert first == _Answer(5)
    monkeypatch.undo()
    again = run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=request, now=clock(),
                           work=refused, result_type=_Answer)
    assert again == _Answer(5)


def test_a_refusal_is_stored_without_the_work_it_rolled_back(database, clock, make_member, till):
    member = make_member(points=10)
    with pytest.raises(InsufficientPoints):
        place_hold(database, PlaceHold(till.store_code, till.code, 50, member_id=member.public_id),
                   caller="S1-T1", idempotency_key="k-1", now=clock())
    with database.transaction() as session:
        stored = session.execute(sa.select(IdempotencyKeyRow.outcome).where(IdempotencyKeyRow.key == "k-1")).all()
    assert [row.outcome for row in stored] == ["refused"] and postings(database) == 1  # the top-up of make_member


@pytest.mark.parametrize("database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_an_answer_committed_after_the_claim_refuses_this_request_which_keeps_nothing(database, clock):
    # The claim's statement reads the key's row before it takes the key's lock: a first
    # request that commits in between is found only when this one stores its answer.
    # Made deterministic here by committing the other answer from inside the work.
    request = {"points": 5}

    def work(session):
        session.add(IdempotencyKeyRow(caller="S1-T1", key="side-effect", command="probe", request_hash="-",
                                      outcome="ok", response="{}", created_at=clock()))
        session.flush()
        with database.engine.connect() as other:
            other.execute(sa.insert(IdempotencyKeyRow.__table__).values(
                caller="S1-T1", key="k-1", command="probe", request_hash=request_fingerprint("probe", request),
                outcome="ok", response='{"points": 7}', created_at=clock()))
            other.commit()
        return _Answer(5)

    with pytest.raises(RequestInFlight):
        run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=request, now=clock(),
                       work=work, result_type=_Answer)
    with database.transaction() as session:
        assert session.scalar(sa.select(IdempotencyKeyRow.id).where(IdempotencyKeyRow.key == "side-effect")) is None
    retry = run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=request, now=clock(),
                           work=work, result_type=_Answer)
    assert retry == _Answer(7)  # the answer that was committed first


@dataclass(frozen=True)
class _ProbeBefore:
    points: int


@dataclass(frozen=True)
class _ProbeAfter:  # the same command after an upgrade gave it an option
    points: int
    note: str | None = None


def test_a_retry_across_an_upgrade_that_gave_the_command_a_field_gets_the_first_answer(database, clock):
    # An offline till's outbox retries for days; an upgrade in between must not turn its
    # retry into "a different request" and so lose the sale's answer.
    first = run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=_ProbeBefore(5),
                           now=clock(), work=lambda session: _Answer(5), result_type=_Answer)
    again = run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=_ProbeAfter(5),
                           now=clock(), work=lambda session: _Answer(6), result_type=_Answer)
    assert again == first == _Answer(5)
    with refused_unchanged(database, IdempotencyKeyReused):
        run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=_ProbeAfter(5, note="x"),
                       now=clock(), work=lambda session: _Answer(6), result_type=_Answer)


def test_a_key_stored_when_every_field_was_fingerprinted_still_replays(database, clock):
    request = _ProbeAfter(5)
    run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=request, now=clock(),
                   work=lambda session: _Answer(5), result_type=_Answer)
    every_field = hashlib.sha256(canonical_json({"command": "probe", "request": request}).encode()).hexdigest()
    assert every_field != request_fingerprint("probe", request)
    with database.transaction() as session:
        session.execute(sa.update(IdempotencyKeyRow).where(IdempotencyKeyRow.key == "k-1")
                        .values(request_hash=every_field))
    again = run_idempotent(database, caller="S1-T1", key="k-1", command="probe", request=request, now=clock(),
                           work=lambda session: _Answer(6), result_type=_Answer)
    assert again == _Answer(5)
