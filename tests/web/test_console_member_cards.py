"""Support blocks a member's lost card from the member's console page, with a reason, and lifts
the block when the card is found; a card of another member, or a marketer, is refused, and a
block without a reason changes nothing."""
from engine import cards
from tests.web.conftest import text_of


def card_state(database, number) -> str:
    return next(c.status for c in cards.list_cards(database) if c.number == number)


def test_support_blocks_a_lost_card_and_lifts_the_block_when_it_is_found(console_as, make_member, make_card, database):
    ada = make_member("Ada Lovelace")
    card = make_card(ada)
    support = console_as("support")
    page = f"/console/members/{ada.public_id}"
    assert f"{card.number} chip active" in text_of(support.get(page))

    blocked = support.submit(page, {"block_reason": "reported lost at the till"},
                             to=f"{page}/cards/{card.number}/block", follow_redirects=True)
    assert f"Card {card.number} is blocked: it earns and pays no more." in text_of(blocked)
    assert f"{card.number} chip blocked: reported lost at the till" in text_of(blocked)
    assert card_state(database, card.number) == "blocked"

    found = support.submit(page, {}, to=f"{page}/cards/{card.number}/unblock", follow_redirects=True)
    assert f"Card {card.number} works again; the member is told so." in text_of(found)
    assert card_state(database, card.number) == "active"


def test_a_block_without_a_reason_is_refused_at_its_field_and_changes_nothing(console_as, make_member, make_card,
                                                                              database):
    ada = make_member()
    card = make_card(ada)
    page = f"/console/members/{ada.public_id}"
    refused = console_as("support").submit(page, {"block_reason": " "}, to=f"{page}/cards/{card.number}/block")
    assert refused.status_code == 422 and "Say why, e.g. reported lost by the member." in text_of(refused)
    assert card_state(database, card.number) == "active"


def test_another_members_card_is_not_found_and_a_marketer_may_not_block(console_as, make_member, make_card, database):
    ada, other = make_member(), make_member()
    card = make_card(other)
    page = f"/console/members/{ada.public_id}"
    assert console_as("support").submit(page, {"block_reason": "lost"}, to=f"{page}/cards/{card.number}/block"
                                        ).status_code == 404
    marketer = console_as("marketer")
    own_page = f"/console/members/{other.public_id}"
    assert "Block" not in text_of(marketer.get(own_page))
    assert marketer.submit(own_page, {"block_reason": "lost"}, to=f"{own_page}/cards/{card.number}/block"
                           ).status_code == 403
    assert card_state(database, card.number) == "active"
