"""Four eyes, one rule for every request one person makes and another decides: the asker
cannot decide (spaces around a name change nothing), a decider needs a name the request can
keep, a request is decided once, and an unknown one is not found. Adjustments above the threshold stand for the three kinds here;
grants and member imports have their own tests of the same refusals."""
import pytest

from engine.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from engine.ledger.approvals import DecideAdjustment, decide_adjustment, request_adjustment
from engine.ledger.commands import AdjustPoints
from engine.settings import update_settings
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


@pytest.fixture
def asked(database, clock, make_member):
    """A pending adjustment of 5,000 points that sam asked for: its id."""
    update_settings(database, {"adjustment_approval_threshold": 1000}, now=clock())
    member = make_member()
    made = request_adjustment(database, AdjustPoints(member.public_id, 5000, "goodwill", "sam"), caller="staff:sam",
                              idempotency_key=new_key(), now=clock())
    assert made.status == "pending"
    return made.request_id


def decide(database, clock, request_id, actor, approve=True):
    return decide_adjustment(database, DecideAdjustment(request_id, approve, actor), caller=f"staff:{actor.strip()}",
                             idempotency_key=new_key(), now=clock())


@pytest.mark.parametrize("actor", ["sam", " sam", "sam "])
def test_the_person_who_asked_cannot_decide_however_the_name_is_padded(database, clock, asked, actor):
    with refused_unchanged(database, NotAllowed, "four_eyes_required"):
        decide(database, clock, asked, actor)


@pytest.mark.parametrize("actor", ["", "   ", "k" * 65])
def test_a_decider_without_a_name_or_with_one_longer_than_the_request_keeps_is_refused(database, clock, asked, actor):
    with refused_unchanged(database, InvalidInput) as refusal:
        decide_adjustment(database, DecideAdjustment(asked, True, actor), caller="staff:kim", idempotency_key=new_key(),
                          now=clock())
    assert [str(p) for p in refusal.value.problems] == ["actor: is required, at most 64 characters"]


def test_a_request_is_decided_once_and_an_unknown_one_is_not_found(database, clock, asked):
    assert decide(database, clock, asked, "kim").status == "approved"
    with refused_unchanged(database, InvalidState, "adjustment_already_decided"):
        decide(database, clock, asked, "lee", approve=False)
    with refused_unchanged(database, NotFound):
        decide(database, clock, "adj_nope", "kim")
