"""Support blocks a member's lost card through the staff API, with a reason, and lifts the
block when the card is found; a card not activated yet is not blocked (it is retired or
replaced); an auditor may not unblock; refusals change nothing."""
import pytest

from engine import cards

from tests.support.assertions import unchanged


@pytest.fixture
def post(client, staff_headers):
    support = staff_headers("support")
    return lambda path, body=None, headers=support: client.post(path, json=body or {}, headers=headers)


def test_support_blocks_a_lost_card_and_lifts_the_block_when_it_is_found(post, make_member, make_our_card):
    card = make_our_card(make_member())
    blocked = post(f"/v1/staff/cards/{card.number}/block", {"reason": "reported lost"})
    assert (blocked.status_code, blocked.json["status"], blocked.json["block_reason"]) == (200, "blocked",
                                                                                          "reported lost")
    found = post(f"/v1/staff/cards/{card.number}/unblock")
    assert (found.status_code, found.json["status"], found.json["block_reason"]) == (200, "active", None)


def test_an_active_card_is_not_unblocked_and_a_card_not_activated_yet_not_blocked(post, make_member, make_card,
                                                                                 database):
    active, issued = make_card(make_member()), make_card(make_member(), status="issued")
    with unchanged(database):
        again = post(f"/v1/staff/cards/{active.number}/unblock")
        early = post(f"/v1/staff/cards/{issued.number}/block", {"reason": "lost in the post"})
    assert (again.status_code, again.json["error"]) == (409, "card_active")
    assert (early.status_code, early.json["error"]) == (409, "card_issued")
    assert "retire or replace it instead" in early.json["message"]


def test_an_auditor_may_not_unblock(post, staff_headers, make_member, make_card, database):
    card = make_card(make_member(), status="blocked")
    refused = post(f"/v1/staff/cards/{card.number}/unblock", headers=staff_headers("auditor"))
    assert refused.status_code == 403
    assert cards.get_card(database, card.number).status == "blocked"
