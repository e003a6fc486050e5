"""A card made usable on a member's account (activated, or unblocked) tells the member: a
card someone else had issued for the account would spend their points at a till."""
from engine import cards
from engine.messages import pending_messages


def test_activating_and_unblocking_a_card_tell_the_member_and_blocking_does_not(database, clock, make_member):
    member = make_member()
    card = cards.issue_card(database, member_id=member.public_id, now=clock())
    cards.activate_card(database, card.number, now=clock())
    cards.block_card(database, card.number, reason="lost", now=clock())
    clock.advance(minutes=5)
    cards.unblock_card(database, card.number, now=clock())
    told = [(m.member_id, m.payload["card_ending"], m.payload["how"])
            for m in pending_messages(database) if m.kind == "card_usable"]
    assert told == [(member.public_id, card.number[-4:], "activated"), (member.public_id, card.number[-4:], "unblocked")]


def test_a_card_issued_but_not_yet_usable_tells_nothing(database, clock, make_member):
    cards.issue_card(database, member_id=make_member().public_id, now=clock())
    assert pending_messages(database) == []
