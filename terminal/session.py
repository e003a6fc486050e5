"""One sale (or return) at the till as a state machine, with no I/O inside.

The agent does the talking (card, server, outbox) and tells the session what happened;
the session says what may happen next and refuses steps out of order with a
:class:`SessionError`. States::

    IDLE --card_presented--> CARD_PRESENT --authenticated--> AUTHENTICATED
    CARD_PRESENT --card_left--> IDLE (the card torn away before it was proven: tap again)
    AUTHENTICATED --basket_given--> BASKET
    BASKET --hold_placed--> HELD --hold_captured--> CAPTURED --accrued--> DONE
    (a hold the server refuses leaves the sale at BASKET: pay fewer points, or none)
    HELD --hold_voided--> BASKET
    BASKET --accrued--> DONE
    IDLE --refund_started--> REFUNDING --refunded--> DONE
    any --failed--> FAILED (message kept; ``cleanup`` lists what the agent must undo)
    DONE / FAILED --reset--> IDLE

No half-done transaction: when a sale fails while a hold is open, ``cleanup`` names the
hold to void (the server also lets an unresolved hold expire); ``hold_voided`` clears it.
Points paid (captured) for a sale that has not earned yet stay ``paid`` until it earns: if
the sale is called off instead, the agent gives them back (``payment_given_back``).
Offline, a sale can only earn: a hold needs the server (:class:`RedemptionNeedsServer`),
and a UID-only card without PIN cannot pay with points.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from terminal.errors import RedemptionNeedsServer, SessionError


class State(enum.Enum):
    IDLE = "idle"
    CARD_PRESENT = "card present"
    AUTHENTICATED = "authenticated"
    BASKET = "basket"
    HELD = "points held"
    CAPTURED = "points paid"
    REFUNDING = "refunding"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class CardRef:
    """The card on the reader: our card (number) or a UID-only card (uid)."""
    card_number: str | None = None
    uid: str | None = None
    key_version: int | None = None


@dataclass(frozen=True)
class Member:
    member_id: str
    display_name: str
    tier: str
    available: int
    pending: int = 0

    @classmethod
    def from_api(cls, data: dict) -> Member:
        return cls(str(data.get("member_id", "")), str(data.get("display_name", "")),
                   str(data.get("tier", "")), int(data.get("available", 0)),
                   int(data.get("pending", 0)))


@dataclass(frozen=True)
class Hold:
    hold_id: str
    points: int
    value_minor: int


MAX_CASHIER = 32  # the longest operator id the server keeps


def cashier_id(value) -> str | None:
    """The operator id a POS or the cashier gave (None for none), refused here unless the
    server would take it: a sale refused for it would be refused again from the outbox."""
    if value is not None and not (isinstance(value, str) and 0 < len(value) <= MAX_CASHIER
                                  and value == value.strip()):
        raise SessionError(f"A cashier id is a text of 1 to {MAX_CASHIER} characters, without spaces around it.")
    return value


@dataclass
class PosSession:
    receipt_number: str
    cashier: str | None = None  # who rings the sale up (the POS's operator id), sent with the sale
    state: State = State.IDLE
    card: CardRef | None = None
    member: Member | None = None
    card_session: str | None = None
    can_redeem: bool = False
    offline: bool = False
    offline_proof: dict | None = None
    offline_reason: str | None = None
    pin_refused: str | None = None  # why the PIN given with the tap was refused: the sale earns, cannot pay
    sold_at: str | None = None
    basket: dict | None = None
    hold: Hold | None = None
    paid: Hold | None = None  # the captured hold, until the sale earns or the payment is given back
    paid_with_points_minor: int = 0
    result: dict | None = None
    queued: bool = False
    message: str = ""
    history: list[State] = field(default_factory=list)

    def _move(self, allowed: tuple[State, ...], to: State, doing: str) -> None:
        if self.state not in allowed:
            raise SessionError(f"Cannot {doing} now: the sale is at '{self.state.value}'.")
        self.history.append(self.state)
        self.state = to

    # -- the card ----------------------------------------------------------------------------
    def card_presented(self, card: CardRef) -> None:
        self._move((State.IDLE,), State.CARD_PRESENT, "read a card")
        self.card = card

    def card_left(self) -> None:
        """The card left the reader before it was read and proven: nothing was opened for it
        (no card session, no hold), so the sale waits for the next tap."""
        self._move((State.IDLE, State.CARD_PRESENT), State.IDLE, "take the card off")
        self.card = None

    def authenticated(self, *, member: Member | None, card_session: str | None,
                      can_redeem: bool, offline: bool = False,
                      offline_proof: dict | None = None, sold_at: str | None = None,
                      offline_reason: str | None = None) -> None:
        """The card is proven (online: card session) or vouched for offline (``offline_proof``
        answers the challenge built for this receipt at ``sold_at``; ``offline_reason`` says
        why, for the cashier)."""
        self._move((State.CARD_PRESENT,), State.AUTHENTICATED, "accept the card")
        self.member, self.card_session = member, card_session
        self.can_redeem = can_redeem and not offline
        self.offline, self.offline_proof, self.sold_at = offline, offline_proof, sold_at
        self.offline_reason = offline_reason if offline else None

    # -- the sale ----------------------------------------------------------------------------
    def basket_given(self, basket: dict) -> None:
        if self.state is State.BASKET:
            self.basket = basket
            return
        self._move((State.AUTHENTICATED,), State.BASKET, "take the basket")
        self.basket = basket

    def basket_total_minor(self) -> int:
        """What the basket's lines come to, in minor units (0 before the basket)."""
        return sum(int(line["amount_minor"]) for line in (self.basket or {}).get("lines", ()))

    def check_can_give_pin(self) -> None:
        """Raise unless the member's PIN may be given now: an online card session that cannot
        pay with points yet, before any payment."""
        if self.state not in (State.AUTHENTICATED, State.BASKET):
            raise SessionError(f"Cannot take the PIN now: the sale is at '{self.state.value}'.")
        if self.offline:
            raise RedemptionNeedsServer("Paying with points needs the loyalty server, which "
                                        "cannot be reached now. The sale can still earn points.")
        if self.can_redeem:
            raise SessionError("This card may pay with points already: no PIN is needed.")

    def pin_accepted(self, *, card_session: str, can_redeem: bool) -> None:
        """The card authenticated again with the member's PIN: its new session."""
        self.check_can_give_pin()
        self.card_session, self.can_redeem = card_session, can_redeem

    def check_can_hold(self, points: int) -> None:
        """Raise unless points may be held now (online, redeeming card, a basket)."""
        if self.state is not State.BASKET:
            raise SessionError(f"Cannot pay with points now: the sale is at '{self.state.value}'.")
        if self.offline:
            raise RedemptionNeedsServer("Paying with points needs the loyalty server, which "
                                        "cannot be reached now. The sale can still earn points.")
        if not self.can_redeem:
            raise SessionError("This card can earn points but not pay with them "
                               "(a member PIN is needed).")
        if points <= 0:
            raise SessionError("Give a positive number of points to pay with.")
        if self.member is not None and points > self.member.available:
            raise SessionError(f"The member has only {self.member.available} points.")

    def hold_placed(self, hold: Hold) -> None:
        self._move((State.BASKET,), State.HELD, "hold points")
        self.hold = hold

    def hold_captured(self, *, value_minor: int) -> None:
        self._move((State.HELD,), State.CAPTURED, "pay with the held points")
        self.paid_with_points_minor = value_minor
        self.paid, self.hold = self.hold, None

    def hold_voided(self) -> None:
        """The open hold was voided (by choice, or as cleanup after a failure)."""
        self.hold = None
        if self.state is State.HELD:
            self._move((State.HELD,), State.BASKET, "void the hold")

    def accrued(self, result: dict | None, *, queued: bool) -> None:
        """The sale earned points (``queued``: it waits in the outbox for the server)."""
        self._move((State.BASKET, State.CAPTURED), State.DONE, "earn points")
        self.result, self.queued = result, queued
        self.paid = None  # the payment belongs to the sale now: a return gives it back with the goods

    def payment_given_back(self) -> None:
        """The points paid for the sale, called off, were given back (or queued to be)."""
        self.paid = None

    # -- returns -----------------------------------------------------------------------------
    def refund_started(self) -> None:
        self._move((State.IDLE,), State.REFUNDING, "start a return")

    def refunded(self, result: dict | None, *, queued: bool = False) -> None:
        """The return is recorded (``queued``: it waits in the outbox behind its sale)."""
        self._move((State.REFUNDING,), State.DONE, "finish the return")
        self.result, self.queued = result, queued

    # -- failure -----------------------------------------------------------------------------
    def failed(self, message: str) -> None:
        """Something went wrong: keep the message; ``cleanup`` says what to undo."""
        if self.state is not State.FAILED:
            self.history.append(self.state)
        self.state = State.FAILED
        self.message = message

    @property
    def cleanup(self) -> list[tuple[str, str]]:
        """What the agent must undo: ``[("void_hold", hold_id)]`` while a hold is open."""
        return [("void_hold", self.hold.hold_id)] if self.hold is not None else []

    def reset(self, receipt_number: str) -> None:
        """Start the next sale; refused while a hold is still open."""
        if self.hold is not None:
            raise SessionError("A points hold is still open: void it before the next sale.")
        if self.state not in (State.DONE, State.FAILED, State.IDLE):
            raise SessionError(f"The sale is still at '{self.state.value}': finish or cancel it.")
        self.__init__(receipt_number)
