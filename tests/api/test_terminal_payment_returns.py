"""A sale paid partly with points and then called off before it earned: the till gives the
payment back (``POST /v1/terminal/holds/{id}/return``). The points come back once, with the
expiry they had; a sale that has earned gives them back only with its goods (a refund); a
pending hold is voided instead; another store's till cannot touch the hold; and after the
programme's offline age only the service team can. Every refusal changes nothing."""
import sqlalchemy as sa

from engine.ledger.balances import get_balance
from engine.member_closure import CloseMember, close_member
from engine.orm.ledger import LotRow
from engine.orm.members import MemberRow
from tests.support.assertions import unchanged

HOLDS = "/v1/terminal/holds"


def paid(terminal, card_session, card, points=300, receipt="R9") -> str:
    """A hold of ``points`` for ``receipt``, captured: its id."""
    session = card_session(card, at=terminal)
    hold = terminal.post(HOLDS, {"card_session": session["card_session"], "points": points,
                                 "receipt_number": receipt}).json
    assert terminal.post(f"{HOLDS}/{hold['hold_id']}/capture", {}).status_code == 200
    return hold["hold_id"]


def sale(terminal, clock, card, receipt="R9", **change) -> dict:
    return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": receipt,
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
            "lines": [{"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": 2000}], **change}


def lots_of(database, member) -> list[tuple]:
    with database.transaction() as session:
        return sorted((lot.remaining, lot.expires_at) for lot in session.scalars(
            sa.select(LotRow).join(MemberRow, MemberRow.id == LotRow.member_id)
            .where(MemberRow.public_id == member.public_id, LotRow.remaining > 0)))


def test_points_paid_for_a_sale_called_off_come_back_with_the_expiry_they_had(
        terminal, make_member, make_our_card, card_session, database, clock):
    member = make_member(points=1000)
    expiry = {expires for _, expires in lots_of(database, member)}
    hold_id = paid(terminal, card_session, make_our_card(member))
    clock.advance(minutes=2)

    returned = terminal.post(f"{HOLDS}/{hold_id}/return", {})

    assert returned.status_code == 200, returned.json
    assert (returned.json["points"], returned.json["balance"]) == (300, 1000)
    assert get_balance(database, member.public_id, as_of=clock()).available == 1000
    assert {expires for _, expires in lots_of(database, member)} == expiry


def test_a_payment_is_given_back_once_and_a_retry_gets_the_first_answer(
        terminal, make_member, make_our_card, card_session, database):
    hold_id = paid(terminal, card_session, make_our_card(make_member(points=1000)))
    first = terminal.post(f"{HOLDS}/{hold_id}/return", {}, key="return-1")
    with unchanged(database):
        retry = terminal.post(f"{HOLDS}/{hold_id}/return", {}, key="return-1")
        again = terminal.post(f"{HOLDS}/{hold_id}/return", {}, key="return-2")
    assert (first.status_code, retry.json) == (200, first.json)
    assert (again.status_code, again.json["error"]) == (409, "hold_already_resolved")


def test_a_pending_hold_is_voided_not_given_back(terminal, make_member, make_our_card, card_session, database):
    session = card_session(make_our_card(make_member(points=1000)))
    hold = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 100}).json
    with unchanged(database):
        refused = terminal.post(f"{HOLDS}/{hold['hold_id']}/return", {})
    assert (refused.status_code, refused.json["error"]) == (409, "hold_not_captured")


def test_once_the_sale_has_earned_its_payment_comes_back_only_with_its_goods(
        terminal, make_member, make_our_card, card_session, database, clock):
    card = make_our_card(make_member(points=1000))
    hold_id = paid(terminal, card_session, card)
    session = card_session(card)
    earned = terminal.post("/v1/terminal/accruals", sale(terminal, clock, card, card_session=session["card_session"],
                                                          paid_with_points_minor=300))
    assert earned.status_code == 201, earned.json
    with unchanged(database):
        refused = terminal.post(f"{HOLDS}/{hold_id}/return", {})
    assert (refused.status_code, refused.json["error"]) == (409, "receipt_already_earned")
    assert "refund" in refused.json["message"]


def test_a_payment_naming_no_receipt_is_given_back_only_by_the_service_team(
        terminal, make_member, make_our_card, card_session, database):
    session = card_session(make_our_card(make_member(points=1000)))
    hold = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 300}).json
    assert terminal.post(f"{HOLDS}/{hold['hold_id']}/capture", {}).status_code == 200
    with unchanged(database):
        refused = terminal.post(f"{HOLDS}/{hold['hold_id']}/return", {})
    assert (refused.status_code, refused.json["error"]) == (409, "payment_without_receipt")


def test_a_closed_accounts_payment_is_not_given_back(terminal, make_member, make_our_card, card_session, database,
                                                     clock):
    member = make_member(points=1000)
    hold_id = paid(terminal, card_session, make_our_card(member))
    close_member(database, CloseMember(member.public_id, "asked for erasure", "staff:sam"), caller="staff:sam",
                 idempotency_key="close-1", now=clock())
    with unchanged(database):
        refused = terminal.post(f"{HOLDS}/{hold_id}/return", {})
    assert (refused.status_code, refused.json["error"]) == (409, "member_closed")
    assert "closed" in refused.json["message"]


def test_another_stores_till_cannot_give_a_payment_back(make_signed_terminal, make_member, make_our_card,
                                                        card_session, database):
    here, elsewhere = make_signed_terminal(), make_signed_terminal()
    hold_id = paid(here, card_session, make_our_card(make_member(points=1000)))
    with unchanged(database):
        refused = elsewhere.post(f"{HOLDS}/{hold_id}/return", {})
    assert refused.status_code == 404


def test_after_the_offline_age_only_the_service_team_gives_a_payment_back(
        terminal, make_member, make_our_card, card_session, database, clock):
    hold_id = paid(terminal, card_session, make_our_card(make_member(points=1000)))
    clock.advance(hours=73)
    with unchanged(database):
        refused = terminal.post(f"{HOLDS}/{hold_id}/return", {})
    assert (refused.status_code, refused.json["error"]) == (409, "payment_return_too_late")


def test_a_refund_of_the_receipt_later_does_not_give_back_a_payment_given_back_before(
        terminal, make_member, make_our_card, card_session, database, clock):
    member = make_member(points=1000)
    card = make_our_card(member)
    hold_id = paid(terminal, card_session, card)
    assert terminal.post(f"{HOLDS}/{hold_id}/return", {}).status_code == 200
    # the POS rings the same receipt number up again, paid in full
    session = card_session(card)
    assert terminal.post("/v1/terminal/accruals", sale(terminal, clock, card, card_session=session["card_session"])
                         ).status_code == 201
    refund = terminal.post("/v1/terminal/refunds", {
        "store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R9",
        "occurred_at": clock().isoformat(), "lines": [{"line_no": 1, "quantity": "1"}]})
    assert refund.status_code == 201, refund.json
    assert refund.json["points_returned"] == 0
