"""What a till does: authenticate a card, earn, pay with points, take a reward voucher, refund.

Every request is signed by the terminal's key (see api/auth.py); every write carries an
Idempotency-Key. A terminal acts only as itself and only in its own store.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g

from api.auth import TERMINAL_AUTH, same_store, same_terminal, terminal_only
from api.context import database, now, passwords
from api.idempotency import PARAMETER, caller, idempotency_key
from api.json_body import Blueprint
from api.schemas.ledger import RefundSchema
from api.schemas.programme import VoucherSchema
from api.schemas.terminal import (AccrualResultSchema, AccrualSchema, CaptureRequestSchema, CaptureSchema,
                                  CardSessionRequestSchema, CardSessionSchema, ChallengeRequestSchema,
                                  ChallengeSchema, EmptySchema, HoldRequestSchema, HoldSchema, PaymentReturnedSchema,
                                  RefundResultSchema, VoidSchema)
from engine.card_auth import (card_session_first_read, check_accrual_proof, check_online_order, issue_card_challenge,
                              open_card_session, open_uid_card_session)
from engine.ledger.basket import Basket
from engine.ledger.commands import CaptureHold, PlaceHold, ReturnPayment, VoidHold
from engine.ledger.earning import earn_points
from engine.ledger.holds import capture_hold, place_hold, return_payment, void_hold
from engine.ledger.refunds import refund_receipt
from engine.payment_codes import take_payment_code
from engine.rewards import UseVoucher, use_voucher

blp = Blueprint("terminal", __name__, url_prefix="/v1/terminal",
                description="For tills: card authentication, accruals, points holds, refunds (signed requests).")
WRITE = {"security": [TERMINAL_AUTH], "parameters": [PARAMETER]}


def card_keys():
    return current_app.config["CARD_MASTER_KEYS"]


@blp.route("/card-challenges", methods=["POST"])
@terminal_only
@blp.doc(security=[TERMINAL_AUTH])
@blp.arguments(ChallengeRequestSchema())
@blp.response(201, ChallengeSchema)
def create_challenge(body):
    """A single-use challenge for the card at this till (valid 60 s)."""
    return issue_card_challenge(database(), terminal_code=g.principal.name, card_number=body["card_number"],
                                now=now())


@blp.route("/card-sessions", methods=["POST"])
@terminal_only
@blp.doc(security=[TERMINAL_AUTH])
@blp.arguments(CardSessionRequestSchema())
@blp.response(201, CardSessionSchema)
def create_card_session(body):
    """Open a card session: our card answers its challenge; a UID-only card gives its UID. The
    member's PIN, when given, lets the session pay with points where the programme asks for it
    (UID-only cards by default, chip cards when ``chip_cards_redeem_with_pin``); a wrong PIN
    is refused. Returns the member for the cashier's screen."""
    if "card_uid" in body:
        return open_uid_card_session(database(), terminal_code=g.principal.name, card_uid=body["card_uid"],
                                     pin=body.get("pin"), passwords=passwords(),
                                     now=now())
    return open_card_session(database(), terminal_code=g.principal.name, challenge_id=body["challenge_id"],
                             answer=body["answer"], keys=card_keys(), now=now(), pin=body.get("pin"),
                             passwords=passwords())


@blp.route("/accruals", methods=["POST"])
@terminal_only
@blp.doc(**WRITE)
@blp.arguments(AccrualSchema())
@blp.response(201, AccrualResultSchema)
def accrue(body):
    """Earn points for a completed sale (once per receipt, whatever the key)."""
    same_store(body["store_code"])
    same_terminal(body["terminal_code"])
    card_number = body.pop("card_number", None) or body.pop("card_uid", None)
    card_session, offline_proof = body.pop("card_session", None), body.pop("offline_proof", None)
    basket = Basket(**{**body, "lines": tuple(body["lines"]), "card_number": card_number})
    at, clock_skew = now(), timedelta(seconds=current_app.config["TERMINAL_CLOCK_SKEW"])

    def verify(session):
        if basket.member_id is not None:
            check_online_order(session, terminal_code=g.principal.name, sold_at=basket.occurred_at, now=at)
            return
        check_accrual_proof(session, terminal_code=g.principal.name, card_number=card_number,
                            receipt_number=basket.receipt_number, sold_at=basket.occurred_at,
                            card_session=card_session, offline_proof=offline_proof, keys=card_keys(), now=at,
                            clock_skew=clock_skew)

    # (a basket naming a card without a session reads the card with the key's claim by default)
    return earn_points(database(), basket, caller=caller(), idempotency_key=idempotency_key(), now=at,
                       verify=verify, first_read=card_session_first_read(card_session) if card_session else None)


@blp.route("/holds", methods=["POST"])
@terminal_only
@blp.doc(**WRITE)
@blp.arguments(HoldRequestSchema())
@blp.response(201, HoldSchema)
def create_hold(body):
    """Reserve points to pay part of the bill; capture when the sale completes, void if not.
    At a till: a card session that may pay with points. At an online store (a web shop's
    backend): the member and the payment code they asked for, good for this one hold."""
    key, at = idempotency_key(), now()
    command = PlaceHold(store_code=g.principal.store_code, terminal_code=g.principal.name, points=body["points"],
                        member_id=body.get("member_id"), card_session=body.get("card_session"),
                        receipt_number=body.get("receipt_number"), cashier=body.get("cashier"))
    if "member_id" in body:
        def verify(session):
            take_payment_code(session, terminal_code=g.principal.name, member_id=body["member_id"],
                              code=body["payment_code"], points=body["points"], now=at)
        return place_hold(database(), command, caller=caller(), idempotency_key=key, now=at, verify=verify)
    return place_hold(database(), command, caller=caller(), idempotency_key=key, now=at)


@blp.route("/holds/<hold_id>/capture", methods=["POST"])
@terminal_only
@blp.doc(**WRITE)
@blp.arguments(CaptureRequestSchema())
@blp.response(200, CaptureSchema)
def capture(body, hold_id):
    """Spend all or part of a hold (the rest is released)."""
    command = CaptureHold(hold_id=hold_id, store_code=g.principal.store_code, **body)
    return capture_hold(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/holds/<hold_id>/void", methods=["POST"])
@terminal_only
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, VoidSchema)
def void(_body, hold_id):
    """Cancel a hold: its points are free again."""
    command = VoidHold(hold_id=hold_id, store_code=g.principal.store_code)
    return void_hold(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/holds/<hold_id>/return", methods=["POST"])
@terminal_only
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, PaymentReturnedSchema)
def give_payment_back(_body, hold_id):
    """Give back the points a captured hold paid with, its sale called off before it earned
    (each part keeps the expiry it had). Refused once the sale has earned (a refund gives them
    back with the goods), for a hold not captured (void a pending one), a second time, and
    once the programme's offline age has passed since the payment."""
    command = ReturnPayment(hold_id=hold_id, store_code=g.principal.store_code)
    return return_payment(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


@blp.route("/vouchers/<voucher_code>/use", methods=["POST"])
@terminal_only
@blp.doc(**WRITE)
@blp.arguments(EmptySchema())
@blp.response(200, VoucherSchema)
def take_voucher(_body, voucher_code):
    """Take a member's reward voucher at the till: it is used once (a retry with the same key
    gets the same answer; a voucher used or cancelled before is refused with 409)."""
    return use_voucher(database(), UseVoucher(voucher_code), caller=caller(), idempotency_key=idempotency_key(),
                       now=now())


@blp.route("/refunds", methods=["POST"])
@terminal_only
@blp.doc(**WRITE)
@blp.arguments(RefundSchema())
@blp.response(201, RefundResultSchema)
def refund(command):
    """Return lines of a receipt of any till of this till's store (``terminal_code`` names the
    till that made the sale: a service desk takes returns for the whole store): their points
    are taken back, points paid are given back. The posting names the till that took the return."""
    same_store(command.store_code)
    return refund_receipt(database(), command, caller=caller(), idempotency_key=idempotency_key(), now=now())


