import pytest

from engine import card_lifecycle, cards
from engine.errors import InvalidInput, InvalidState, NotFound
from tests.support.assertions import refused_unchanged


def test_an_issued_card_becomes_usable_when_activated(database, clock, make_card):
    card = make_card(status="issued")
    assert cards.activate_card(database, card.number, now=clock()).status == "active"


def test_a_blocked_card_records_why_and_can_be_unblocked(database, clock, make_card):
    card = make_card()
    blocked = cards.block_card(database, card.number, reason="stolen", now=clock.advance(minutes=5))
    assert (blocked.status, blocked.block_reason, blocked.status_changed_at) == ("blocked", "stolen", clock())
    unblocked = cards.unblock_card(database, card.number, now=clock())
    assert (unblocked.status, unblocked.block_reason) == ("active", None)


def test_blocking_needs_a_reason(database, clock, make_card):
    card = make_card()
    with refused_unchanged(database, InvalidInput):
        cards.block_card(database, card.number, reason="  ", now=clock())


def test_blocking_a_retired_card_is_refused(database, clock, make_card):
    card = make_card(status="retired")
    with refused_unchanged(database, InvalidState, "card_retired") as refusal:
        cards.block_card(database, card.number, reason="lost", now=clock())
    assert "retired" in refusal.value.message


def test_a_card_not_activated_yet_is_retired_not_blocked(database, clock, make_card):
    card = make_card(status="issued")  # lost in the post: an unblock would make it active unproven
    with refused_unchanged(database, InvalidState, "card_issued") as refusal:
        cards.block_card(database, card.number, reason="lost in the post", now=clock())
    assert "retire or replace it instead" in refusal.value.message
    assert cards.retire_card(database, card.number, now=clock()).status == "retired"


def test_activating_a_blocked_card_is_refused(database, clock, make_card):
    card = make_card(status="blocked")
    with refused_unchanged(database, InvalidState, "card_blocked"):
        cards.activate_card(database, card.number, now=clock())


def test_a_replacement_card_goes_to_the_same_member_and_the_old_one_is_marked(database, clock, make_card):
    old = make_card(status="blocked")
    new = cards.replace_card(database, old.number, now=clock())
    assert (new.member_id, new.kind, new.status, new.key_version) == (old.member_id, "applet", "issued", 1)
    old_now = cards.get_card(database, old.number)
    assert (old_now.status, old_now.replaced_by) == ("replaced", new.number)


def test_a_replacement_can_be_given_its_number_and_a_newer_key_version(database, clock, make_card):
    old = make_card()
    new = cards.replace_card(database, old.number, new_number="9000000000000019", key_version=2, now=clock())
    assert (new.number, new.key_version) == ("9000000000000019", 2)


def test_a_replaced_card_cannot_be_replaced_again(database, clock, make_card):
    old = make_card()
    cards.replace_card(database, old.number, now=clock())
    with refused_unchanged(database, InvalidState, "card_replaced"):
        cards.replace_card(database, old.number, now=clock())


def test_a_replacement_with_a_taken_number_changes_neither_card(database, clock, make_card):
    old, other = make_card(), make_card()
    with refused_unchanged(database, Exception):
        cards.replace_card(database, old.number, new_number=other.number, now=clock())


def test_changing_an_unknown_card_is_refused(database, clock):
    with refused_unchanged(database, NotFound, "unknown_card"):
        cards.block_card(database, "9000000000000019", reason="lost", now=clock())


@pytest.mark.parametrize("status", sorted(card_lifecycle.FINAL_STATUSES))
@pytest.mark.parametrize("action", sorted(card_lifecycle.TRANSITIONS))
def test_no_action_changes_a_card_in_a_final_status(status, action):
    assert card_lifecycle.transition_refusal(action, status) is not None


def test_every_transition_leads_to_a_known_status():
    for allowed_from, to in card_lifecycle.TRANSITIONS.values():
        assert to in card_lifecycle.CARD_STATUSES
        assert allowed_from <= set(card_lifecycle.CARD_STATUSES)
