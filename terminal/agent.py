"""The till agent: one composition of reader, card protocol, server client and outbox.

It does the I/O for a :class:`~terminal.session.PosSession` and reports every result to
it, so the session always says where the sale stands. Typical sale::

    agent = TillAgent(config, reader=Reader("Virtual PCD 00 00"), api=ApiClient(...),
                      outbox=Outbox("outbox.sqlite3"))
    session = PosSession("R-1001")
    agent.tap(session, timeout=30)          # wait, read, authenticate, show the member
    agent.give_basket(session, lines)       # the POS's lines
    agent.pay_with_points(session, 200)     # optional: hold + capture (online only)
    agent.accrue(session)                   # earn (or queue in the outbox when offline)
    agent.cancel(session)                   # or call the sale off: points paid come back

A card is held only during its APDUs; a failure of any step leaves the session FAILED
with the message for the cashier, and an open hold is voided (if the server cannot be
reached, the hold expires there by itself). One refusal is not a failure: a payment with
points the server refuses holds nothing, and the sale stays at its basket.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from terminal import card_protocol
from terminal.api_client import ApiClient
from terminal.basket import checked_lines, checked_receipt_number, checked_sale_time
from terminal.card_crypto import offline_challenge
from terminal.card_protocol import CardKind
from terminal.config import TerminalConfig
from terminal.errors import (
    ApiError, ApiUnreachable, CardNotAuthentic, CardRemoved, ForeignCard, ServerBusy, SessionError, TerminalError,
)
from terminal.outbox import ACCRUAL, PAYMENT_RETURN, REFUND, Entry, Outbox, Payment, ReplayReport
from terminal.session import CardRef, Hold, Member, PosSession, State


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


LEFT_THE_READER = "The member's card left the reader while the loyalty server was asked: start the sale again."

# Seconds between the tries of a request whose outcome is unknown (see TillAgent.settled):
# a blip of the network or a restarting server is ridden out while the cashier waits.
RETRY_PAUSES = (0.5, 2.0)
# The most queued entries sent before a live sale's accrual: a long backlog (after an outage)
# is worked off a few at a time, with each sale and by a flush, so the customer at the till does
# not wait for it, nor use up the till's rate with the server.
INLINE_REPLAY = 20
SAVED_FOR_LATER = "Sale saved; its points will be sent when the server is back."
SAVED_SERVER_BUSY = ("The loyalty server is busy with this till's requests just now: the sale is saved, and its "
                     "points are sent in a moment, with the next sale or a flush.")
# A hold refused as resolved this long before its deadline cannot have lapsed (clock skew).
DEADLINE_MARGIN = timedelta(seconds=90)
UNKNOWN_PAYMENT = ("The loyalty server did not confirm the payment with points, and it cannot tell now "
                   "whether the points were taken. Take the full amount; if the member's history shows "
                   "the points spent, support gives them back.")


@dataclass
class TapTiming:
    """Where the time of one tap went (milliseconds)."""
    detect_ms: float = 0.0     # waiting for pcscd to report the card
    apdu_ms: float = 0.0       # our APDUs (SELECT, GET DATA, INTERNAL AUTHENTICATE)
    api_ms: float = 0.0        # server round trips (challenge, card session)


class TillAgent:
    def __init__(self, config: TerminalConfig, *, reader, api: ApiClient, outbox: Outbox,
                 clock: Callable[[], datetime] = utc_now, retry_pauses: tuple[float, ...] = RETRY_PAUSES,
                 sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.reader = reader
        self.api = api
        self.outbox = outbox
        self.clock = clock
        self.retry_pauses = retry_pauses
        self.sleep = sleep
        self.timing = TapTiming()

    def now(self) -> datetime:
        """The time to stamp a sale with: the till's clock, put right by how far the server
        last found it off (a sale stamped in the future would be refused when it is sent)."""
        return self.clock() + timedelta(seconds=self.api.clock_offset)

    # -- the tap ---------------------------------------------------------------------------
    def tap(self, session: PosSession, *, timeout: float | None = None,
            pin: str | None = None) -> Member | None:
        """Wait for a card, read and authenticate it; the member (None when offline).

        A foreign card raises ForeignCard, and a card taken away before it was proven
        CardRemoved: both leave the session idle (ready for the next tap); a tap the sale
        is past (a second tap after paying with points, a POS's retry) raises SessionError
        and leaves the sale as it was; any other failure fails the session with the
        cashier's message.
        """
        timing = self.timing = TapTiming()
        started = time.perf_counter()
        self.reader.wait_for_card(self.config.tap_timeout if timeout is None else timeout)
        timing.detect_ms = (time.perf_counter() - started) * 1000
        try:
            return self._read_and_authenticate(session, pin, timing)
        except (ForeignCard, SessionError):
            raise  # not ours, or not now: the sale goes on
        except CardRemoved:
            # torn away mid-read: nothing was opened for it, and the cashier is told to ask for
            # another tap, which the sale must then take; a sale past its tap stays as it was
            if session.state in (State.IDLE, State.CARD_PRESENT):
                session.card_left()
            raise
        except TerminalError as error:
            session.failed(error.message)
            raise

    def _read_and_authenticate(self, session: PosSession, pin: str | None,
                               timing: TapTiming) -> Member | None:
        with self.reader.connect() as link:
            apdu_started = time.perf_counter()
            card = card_protocol.identify(link.atr, link.transmit)
            timing.apdu_ms += (time.perf_counter() - apdu_started) * 1000
            if card.kind is CardKind.UID_ONLY:
                session.card_presented(CardRef(uid=card.uid))
                link.close()
                return self._open_uid_session(session, card.uid, pin, timing)
            identity = card.identity
            session.card_presented(CardRef(card_number=identity.card_number,
                                           key_version=identity.key_version))
            api_started = time.perf_counter()
            try:
                challenge = self.api.card_challenge(identity.card_number)
            except (ApiUnreachable, ApiError) as error:
                timing.api_ms += (time.perf_counter() - api_started) * 1000
                return self._vouch_offline(session, link, identity, timing, _offline_reason(error))
            timing.api_ms += (time.perf_counter() - api_started) * 1000
            apdu_started = time.perf_counter()
            answer = card_protocol.authenticate(link.transmit, bytes.fromhex(challenge["challenge"]))
            timing.apdu_ms += (time.perf_counter() - apdu_started) * 1000
        api_started = time.perf_counter()
        try:
            opened = self._chip_card_session(challenge, answer, pin)
        except (ApiError, ApiUnreachable) as error:
            timing.api_ms += (time.perf_counter() - api_started) * 1000
            if not (isinstance(error, ApiError) and pin is not None and error.refuses_the_pin):
                return self._offline_after_all(session, identity, timing, error)
            # a wrong PIN (or a locked one) stands in the way of paying with points only
            try:
                opened = self._chip_card_again(identity.card_number, None, elsewhere=LEFT_THE_READER)
            except (ApiError, ApiUnreachable) as lost:
                return self._offline_after_all(session, identity, timing, lost)
            session.pin_refused = error.message
        else:
            timing.api_ms += (time.perf_counter() - api_started) * 1000
        return self._accept(session, opened)

    def _offline_after_all(self, session: PosSession, identity, timing: TapTiming,
                           error: ApiUnreachable | ApiError) -> None:
        """The server went away (or stopped taking this till) after the challenge: the card,
        still on the reader, vouches for the sale offline. Any other refusal is raised."""
        reason = _offline_reason(error)
        with self.reader.connect() as link:
            _still_on_the_reader(link, identity.card_number, LEFT_THE_READER)
            return self._vouch_offline(session, link, identity, timing, reason)

    def _chip_card_again(self, card_number: str, pin: str | None, *, elsewhere: str) -> dict:
        """A new card session for the chip card still on the reader (a new challenge answered);
        another card there is refused with ``elsewhere``."""
        with self.reader.connect() as link:
            _still_on_the_reader(link, card_number, elsewhere)
            challenge = self.api.card_challenge(card_number)
            answer = card_protocol.authenticate(link.transmit, bytes.fromhex(challenge["challenge"]))
        return self._chip_card_session(challenge, answer, pin)

    def _chip_card_session(self, challenge: dict, answer: bytes, pin: str | None) -> dict:
        try:
            return self.api.card_session(challenge_id=challenge["challenge_id"], answer=answer, pin=pin)
        except ApiError as error:
            # by its code only: a 401 is about the till (its key, its clock), never the card
            if error.error == "card_not_authenticated":
                raise CardNotAuthentic(error.message) from None
            raise

    def give_pin(self, session: PosSession, pin: str) -> bool:
        """The member's PIN, typed after the tap, to pay with points where the card needs it
        (UID-only cards; chip cards where the programme asks): the card is authenticated again
        with it; a chip card answers a new challenge, so it must still be on the reader. True
        when the card may now pay with points. A wrong PIN, another card on the reader or no
        server is raised, and the sale goes on as it was: it still earns."""
        session.check_can_give_pin()
        card = session.card
        if card.uid is not None:
            opened = self.api.card_session(card_uid=card.uid, pin=pin)
        else:
            try:
                opened = self._chip_card_again(card.card_number, pin, elsewhere="Another card is on the reader: put "
                                               "the member's card back, then type the PIN again.")
            except CardRemoved as error:
                raise SessionError(error.message) from None
        session.pin_accepted(card_session=opened["card_session"], can_redeem=bool(opened.get("can_redeem")))
        return session.can_redeem

    def _accept(self, session: PosSession, opened: dict) -> Member:
        member = Member.from_api(opened.get("member") or {})
        session.authenticated(member=member, card_session=opened["card_session"],
                              can_redeem=bool(opened.get("can_redeem")))
        return member

    def _open_uid_session(self, session: PosSession, uid: str, pin: str | None,
                          timing: TapTiming) -> Member | None:
        api_started = time.perf_counter()
        try:
            try:
                opened = self.api.card_session(card_uid=uid, pin=pin)
            except ApiError as error:
                if not (pin is not None and error.refuses_the_pin):
                    raise
                opened = self.api.card_session(card_uid=uid, pin=None)  # it earns; paying needs the right PIN
                session.pin_refused = error.message
        except (ApiUnreachable, ApiError) as error:
            session.authenticated(member=None, card_session=None, can_redeem=False, offline=True,
                                  offline_reason=_offline_reason(error))
            return None
        finally:
            timing.api_ms += (time.perf_counter() - api_started) * 1000
        return self._accept(session, opened)

    def _vouch_offline(self, session, link, identity, timing, reason: str) -> None:
        """No server (or none that takes this till now): the card answers a challenge built
        from this sale, for later."""
        now = self.now()
        sold_at = now.replace(microsecond=0)
        # (never behind the clock: a till installed again does not reuse an earlier install's counters)
        counter = self.outbox.next_counter(at_least=int(now.timestamp() * 1000))
        challenge = offline_challenge(terminal=self.config.terminal_code,
                                      receipt=session.receipt_number, sold_at=sold_at,
                                      counter=counter)
        apdu_started = time.perf_counter()
        answer = card_protocol.authenticate(link.transmit, challenge)
        timing.apdu_ms += (time.perf_counter() - apdu_started) * 1000
        offset = self.api.clock_offset
        if abs(offset) >= 60:  # for support: what to put right, and that the sale is safe meanwhile
            reason += (f" This till's clock is {round(abs(offset) / 60)} min "
                       f"{'behind' if offset > 0 else 'ahead of'} the server's; the sale keeps the right time.")
        session.authenticated(
            member=None, card_session=None, can_redeem=False, offline=True,
            offline_proof={"card_number": identity.card_number,
                           "key_version": identity.key_version, "counter": counter,
                           "answer": answer.hex()},
            sold_at=sold_at.isoformat(), offline_reason=reason)
        return None

    # -- the sale --------------------------------------------------------------------------
    def give_basket(self, session: PosSession, lines: list[dict],
                    occurred_at: datetime | None = None) -> None:
        """The POS's basket lines (``line_no, sku, quantity, amount_minor[, category, brand]``);
        a basket that cannot be right is refused (InvalidBasket) and the sale stays where it was."""
        checked_receipt_number(session.receipt_number)
        lines, occurred_at = checked_lines(lines), checked_sale_time(occurred_at)
        when = session.sold_at or (occurred_at or self.now()).isoformat()
        session.basket_given({"lines": lines, "occurred_at": when})

    def pay_with_points(self, session: PosSession, points: int) -> Hold:
        """Hold ``points`` and capture them; on any failure after the hold the hold is voided.

        A hold the server refuses (not enough points, the card session gone, ...) leaves
        nothing held and the sale at its basket: the cashier may ask for fewer points, or
        none, and the sale still earns. Without an answer the sale fails (a hold may have
        been placed; the server lets it lapse)."""
        session.check_can_hold(points)
        try:
            placed = self.settled(lambda key: self.api.place_hold(
                card_session=session.card_session, receipt_number=session.receipt_number, points=points,
                idempotency_key=key, cashier=session.cashier))
        except TerminalError as error:
            if not isinstance(error, ApiError):  # refused: nothing held, the sale goes on
                session.failed(error.message)
            raise
        hold = Hold(str(placed["hold_id"]), int(placed["points"]), int(placed.get("value_minor", 0)))
        session.hold_placed(hold)
        if hold.value_minor > session.basket_total_minor():
            # worth more than the bill: the server would refuse the sale's accrual, and the
            # points, once captured, would be lost to it; the sale goes on at its basket
            try:
                self.settled(lambda key: self.api.void_hold(hold.hold_id, idempotency_key=key))
            except TerminalError:
                pass  # an unresolved hold lapses on the server by itself
            session.hold_voided()
            raise SessionError(f"{points} points are worth more than the bill; ask for fewer points.")
        # on disk before the capture is sent: a till that dies from here on (a crash, kill -9,
        # a power cut) gives the points back when it starts again, unless the sale earned
        self.outbox.payment_taken(Payment(hold.hold_id, session.receipt_number, hold.points), now=self.clock())
        try:
            self.settled(lambda key: self.api.capture_hold(hold.hold_id, idempotency_key=key))
        except ApiUnreachable as error:
            if not self._captured_after_all(session, hold, deadline=_instant(placed.get("expires_at"))):
                raise ApiUnreachable(session.message) from error
        except TerminalError as error:
            if isinstance(error, ApiError):  # a refusal: nothing was captured
                self.outbox.payment_not_taken(hold.hold_id)
            self.abort(session, error.message)
            raise
        session.hold_captured(value_minor=hold.value_minor)
        return hold

    def _captured_after_all(self, session: PosSession, hold: Hold, *, deadline: datetime | None) -> bool:
        """After a capture that got no answer, even when sent again: whether it went through.

        Voiding the hold tells: a hold only this till resolves, refused as already resolved
        before its deadline, was captured (this till never voided it, and it cannot have
        lapsed yet). Otherwise the sale fails: with nothing taken when the void went through,
        or with the outcome unknown, said so, when the server cannot be reached at all."""
        try:
            self.settled(lambda key: self.api.void_hold(hold.hold_id, idempotency_key=key))
        except ApiError as refusal:
            if (refusal.error == "hold_already_resolved" and deadline is not None
                    and self.clock() < deadline - DEADLINE_MARGIN):
                return True
            message = UNKNOWN_PAYMENT
        except ApiUnreachable:
            message = UNKNOWN_PAYMENT
        else:
            self.outbox.payment_not_taken(hold.hold_id)
            message = ("The loyalty server did not confirm the payment with points, so it was "
                       "cancelled: no points were taken. Try again, or take the full amount.")
        session.failed(message)
        # nothing left for this till to undo: voided, resolved on the server, or pending there
        # until it lapses at its deadline
        session.hold_voided()
        return False

    def settled(self, request: Callable[[str], dict]) -> dict:
        """``request(idempotency_key)``, sent again under the same key while its outcome is
        unknown (no answer, a server fault, an earlier try still running), after each of
        ``retry_pauses``: the server acts on it at most once and a retry gets its first
        answer. A refusal is raised at once; ApiUnreachable once the pauses are used up."""
        key = new_key()
        for pause in self.retry_pauses:
            try:
                return request(key)
            except ApiUnreachable:
                self.sleep(pause)
        return request(key)

    def accrual_body(self, session: PosSession) -> dict:
        """The accrual request for the session's basket and card."""
        body = {"store_code": self.config.store_code, "terminal_code": self.config.terminal_code,
                "receipt_number": session.receipt_number,
                "occurred_at": session.basket["occurred_at"], "currency": self.config.currency,
                "lines": session.basket["lines"],
                "paid_with_points_minor": session.paid_with_points_minor}
        if session.cashier:
            body["cashier"] = session.cashier
        # The card is always named; the session (or the offline evidence) proves it was here.
        if session.card and session.card.card_number:
            body["card_number"] = session.card.card_number
        elif session.card and session.card.uid:
            body["card_uid"] = session.card.uid
        if session.card_session:
            body["card_session"] = session.card_session
        elif session.offline_proof:
            body["offline_proof"] = session.offline_proof
        return body

    def accrue(self, session: PosSession) -> dict | None:
        """Earn points for the basket: the server's answer, or None when queued offline.

        The accrual is written to the outbox with its idempotency key first, and it is
        marked sent only on the server's answer. Before it go the first INLINE_REPLAY queued
        entries, and every queued entry of its own receipt (a receipt's earlier entries go
        before its later ones); the rest of a backlog waits for later sales or a flush.
        When queued, ``session.message`` says why, for the cashier.
        """
        if session.state not in (State.BASKET, State.CAPTURED):
            raise SessionError(f"Cannot earn points now: the sale is at '{session.state.value}'.")
        entry = self.outbox.add(ACCRUAL, new_key(), self.accrual_body(session), now=self.clock(),
                                payment=session.paid.hold_id if session.paid else None)
        self.outbox.replay(self._deliver, now=self.clock(), stop_before=entry.seq, limit=INLINE_REPLAY)
        try:
            self._send_earlier_of_receipt(entry)
            result = self.outbox.send(entry, self._deliver, now=self.clock())
        except ApiUnreachable as error:
            session.accrued(None, queued=True)
            session.message = SAVED_SERVER_BUSY if isinstance(error, ServerBusy) else SAVED_FOR_LATER
            return None
        except ApiError as error:
            session.failed(error.message)
            raise
        session.accrued(result, queued=False)
        return result

    def _queued_sale(self, receipt_number: str) -> Entry | None:
        """This till's sale ``receipt_number`` if it still waits in the outbox to earn."""
        return next((entry for entry in self.outbox.pending() if entry.kind == ACCRUAL
                     and entry.body.get("receipt_number") == receipt_number
                     and entry.body.get("store_code") == self.config.store_code
                     and entry.body.get("terminal_code") == self.config.terminal_code), None)

    def _send_earlier_of_receipt(self, entry: Entry) -> None:
        """Send the queued entries of ``entry``'s receipt written before it, in order; one the
        server cannot take now is raised (ApiUnreachable), and ``entry`` waits behind it."""
        receipt = entry.body.get("receipt_number")
        for earlier in self.outbox.pending():
            if earlier.seq < entry.seq and earlier.body.get("receipt_number") == receipt:
                try:
                    self.outbox.send(earlier, self._deliver, now=self.clock())
                except ApiError:
                    pass  # set aside for an operator: it no longer holds the sale up

    def _deliver(self, entry: Entry) -> dict:
        if entry.kind == ACCRUAL:
            return self.api.accrue(entry.body, entry.idempotency_key)
        if entry.kind == PAYMENT_RETURN:
            return self.api.return_payment(entry.body["hold_id"], idempotency_key=entry.idempotency_key)
        if entry.kind == REFUND:
            return self.api.refund(entry.body, entry.idempotency_key)
        raise ValueError(f"unknown outbox entry kind {entry.kind!r}")

    def flush_outbox(self, stop_before: int | None = None) -> ReplayReport:
        """Replay the queued entries (accruals, payments to give back) in order (all, or those
        written before ``stop_before``)."""
        return self.outbox.replay(self._deliver, now=self.clock(), stop_before=stop_before)

    def abort(self, session: PosSession, message: str) -> None:
        """Fail the sale with ``message`` and undo what is open (void a hold)."""
        session.failed(message)
        for action, hold_id in session.cleanup:
            if action == "void_hold":
                try:
                    self.settled(lambda key: self.api.void_hold(hold_id, idempotency_key=key))
                except TerminalError:
                    pass  # unresolved holds expire on the server by themselves (a captured one is given
                    # back at the till's next start: its payment stays unfinished)
                else:
                    self.outbox.payment_not_taken(hold_id)
                session.hold_voided()

    def cancel(self, session: PosSession, message: str = "Sale cancelled.") -> int | None:
        """Call the sale off: an open hold is voided, and points already paid for it are given
        back, through the outbox (written before it is sent, so a return the server could not
        take now goes with the next flush). The points given back, or None when the server
        has not taken the return yet (or nothing was paid). A server that refuses the return
        (the sale has earned meanwhile, say) is raised with the sale cancelled. A sale that has
        earned (or waits in the outbox to) is not called off: its goods come back by receipt."""
        if session.state is State.DONE:
            raise SessionError("This sale is done: its points are earned (or queued to be). Return its goods "
                               "by receipt instead.")
        paid = session.paid
        self.abort(session, message)
        if paid is None:
            return None
        entry = self.outbox.add(PAYMENT_RETURN, new_key(), {"hold_id": paid.hold_id,
                                                            "receipt_number": session.receipt_number},
                                now=self.clock(), payment=paid.hold_id)
        session.payment_given_back()
        try:
            returned = self.outbox.send(entry, self._deliver, now=self.clock())
        except ApiUnreachable:
            session.message = (f"{message} The {paid.points} points paid will be given back to the member "
                               "once the loyalty server can be reached.")
            return None
        except ApiError as error:
            session.message = f"{message} The {paid.points} points paid were not given back: {error.message}"
            raise ApiError(session.message, status=error.status, error=error.error, code=error.code,
                           problems=error.problems) from error
        session.message = f"{message} The {returned['points']} points paid were given back to the member."
        return int(returned["points"])

    def give_back_unfinished_payments(self) -> list[tuple[Payment, Entry]]:
        """At the till's start: give back the points paid for sales that neither earned nor were
        called off (the till died between the payment and the end of the sale: a crash, kill -9,
        a power cut). Each return goes through the outbox, so one the server cannot take now is
        sent with a later flush. Each payment with its return's outbox entry after the flush
        (sent, still pending, or rejected with the server's reason)."""
        keys = []
        for payment in self.outbox.unfinished_payments():
            entry = self.outbox.add(PAYMENT_RETURN, new_key(), {"hold_id": payment.hold_id,
                                                                "receipt_number": payment.receipt_number},
                                    now=self.clock(), payment=payment.hold_id)
            keys.append((payment, entry.idempotency_key))
        if keys:
            self.flush_outbox()
        return [(payment, self.outbox.get(key)) for payment, key in keys]

    # -- rewards ---------------------------------------------------------------------------
    def take_voucher(self, code: str) -> dict:
        """Mark a member's reward voucher used (the cashier hands over the reward); the
        server's answer names the reward. Needs the server: a voucher is never taken offline."""
        code = code.strip().upper()
        if not code:
            raise SessionError("Type or scan the voucher code.")
        return self.settled(lambda key: self.api.use_voucher(code, key))

    # -- returns ---------------------------------------------------------------------------
    def refund(self, session: PosSession, *, original_receipt: str, occurred_at: datetime,
               lines: list[dict], original_till: str | None = None) -> dict | None:
        """Give back (or take back) points for returned lines of ``original_receipt``, a
        receipt of ``original_till`` (this till when None; any till of the same store): the
        server's answer, or None when the return is queued behind its sale.

        This till's queued entries are sent first: a sale of its own still in the outbox has
        not earned on the server, which would answer that the receipt never earned, and the
        flush after would credit the returned goods. A sale that stays queued (the server
        cannot take it now) gets its return queued behind it: the outbox sends them in order."""
        session.refund_started()
        till = original_till or self.config.terminal_code
        body = {"store_code": self.config.store_code, "terminal_code": till, "receipt_number": original_receipt,
                "occurred_at": occurred_at.isoformat(),
                "lines": [{"line_no": line["line_no"], "quantity": str(line["quantity"])}
                          for line in lines]}
        if session.cashier:
            body["cashier"] = session.cashier
        self.flush_outbox()
        if till == self.config.terminal_code and self._queued_sale(original_receipt) is not None:
            # sent now, it would be refused as never earned; behind the sale, it reaches the server
            # after the sale has earned, and takes back what it earned
            self.outbox.add(REFUND, new_key(), body, now=self.clock())
            session.refunded(None, queued=True)
            session.message = (f"The sale {original_receipt} still waits in this till's outbox (the loyalty server "
                               "cannot take it now); the return is saved behind it and takes its points back "
                               "once both are sent.")
            return None
        try:
            result = self.settled(lambda key: self.api.refund(body, key))
        except ApiUnreachable as error:
            session.failed(f"{error.message} The return was not confirmed: look at the member's history "
                           "before trying it again.")
            raise ApiUnreachable(session.message) from error
        except TerminalError as error:
            session.failed(error.message)
            raise
        session.refunded(result)
        return result


def _still_on_the_reader(link, card_number: str, message: str) -> None:
    """Raise CardRemoved with ``message`` unless the card on the reader is chip card ``card_number``."""
    found = card_protocol.identify(link.atr, link.transmit)
    if found.kind is CardKind.UID_ONLY or found.identity.card_number != card_number:
        raise CardRemoved(message)


def new_key() -> str:
    """A fresh idempotency key."""
    return str(uuid.uuid4())


def _instant(text: object) -> datetime | None:
    """An ISO 8601 instant from the server's answer (None when absent or not one)."""
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _offline_reason(error: ApiUnreachable | ApiError) -> str:
    """Why a tap goes on offline, for the cashier. A refusal of the till itself (its key, its
    clock) is not about the card: the sale is kept for when the till is put right, as when
    the server is away. Any other refusal (the card, a wrong PIN) stands and is raised."""
    if isinstance(error, ApiUnreachable):
        return error.message
    if not error.refuses_the_till:
        raise error
    return f"The loyalty server does not accept this till now ({error.message}). Call support."
