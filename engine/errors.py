"""The engine's refusals: one small hierarchy, each error with a stable machine-readable code.

Every engine service either completes its whole unit of work or raises one of these and
changes nothing. The edges (API, CLI) map the four families below to their own vocabulary
(HTTP status, exit code) through one table each; they never inspect messages.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a dotted field path) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class LoyaltyError(Exception):
    """Base of every refusal the engine makes on purpose."""

    code = "loyalty_error"
    # False: the refusal asks for something the caller can add (a password), so an
    # idempotency key it refused is not spent on it (engine.ledger.idempotency)
    remembered = True

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # a more specific name than the family's, e.g. "card_blocked"


class NotFound(LoyaltyError):
    """The named object does not exist (or the caller may not know it does)."""

    code = "not_found"


class Conflict(LoyaltyError):
    """The request clashes with what already exists (a duplicate key, a taken number)."""

    code = "conflict"


class InvalidState(LoyaltyError):
    """The object exists but is in a state that forbids the request (a retired card, ...)."""

    code = "invalid_state"


class NotAuthenticated(LoyaltyError):
    """The caller did not prove who it is (no, wrong or expired credentials)."""

    code = "not_authenticated"


class NotAllowed(LoyaltyError):
    """The caller is known but may not do this, or not to this object."""

    code = "not_allowed"


class PasswordRequired(NotAllowed):
    """The member's session alone may not do this: their password must confirm it."""

    code = "password_required"
    remembered = False


class InvalidInput(LoyaltyError):
    """The input means something impossible; ``problems`` lists every problem found."""

    code = "invalid_input"

    def __init__(self, problems: list[Problem], message: str | None = None):
        self.problems = list(problems)
        super().__init__(message or "; ".join(str(p) for p in self.problems))


def not_found(kind: str, key: object) -> NotFound:
    """The refusal for an unknown ``kind`` (code ``unknown_<kind>``) naming the key asked for
    (its first 64 characters: a key no record has can be as long as a caller likes)."""
    named = repr(key) if len(str(key)) <= 64 else repr(f"{str(key)[:64]}…")
    return NotFound(f"unknown {kind} {named}", code=f"unknown_{kind.replace(' ', '_')}")


def refuse_if(problems: list[Problem]) -> None:
    """Raise :class:`InvalidInput` when ``problems`` is not empty."""
    if problems:
        raise InvalidInput(problems)


# -- named refusals of the ledger -------------------------------------------------------------

class InsufficientPoints(InvalidState):
    """The member has fewer available points than the request needs."""

    code = "insufficient_points"


class HoldAlreadyResolved(InvalidState):
    """A hold resolves once: it was already captured, voided or expired."""

    code = "hold_already_resolved"


class HoldExpired(InvalidState):
    """The hold's deadline passed before it was captured; its points are free again."""

    code = "hold_expired"


class ReceiptAlreadyEarned(Conflict):
    """This receipt (store, terminal, number) has already earned points."""

    code = "receipt_already_earned"


class RefundExceedsPurchase(InvalidState):
    """A refund would return more than the receipt bought (or than is left to return)."""

    code = "refund_exceeds_purchase"


class RefundWouldOverdraw(InvalidState):
    """The negative-balance policy is ``refuse`` and the points to take back are spent."""

    code = "refund_would_overdraw"


class IdempotencyKeyReused(Conflict):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"


class RequestInFlight(Conflict):
    """A request with the same idempotency key is still being processed."""

    code = "request_in_flight"


def error_to_plain(error: LoyaltyError) -> dict:
    """A refusal as JSON-ready data, to be stored and replayed by ``error_from_plain``."""
    data = {"class": type(error).__name__, "code": error.code, "message": error.message}
    if isinstance(error, InvalidInput):
        data["problems"] = [[p.field, p.message] for p in error.problems]
    return data


def error_from_plain(data: dict) -> LoyaltyError:
    """The refusal ``error_to_plain`` stored, as an exception of the same class and code."""
    cls = _error_classes().get(data["class"], LoyaltyError)
    if issubclass(cls, InvalidInput):
        error = cls([Problem(f, m) for f, m in data.get("problems", [])], data["message"])
    else:
        error = cls(data["message"])
    error.code = data["code"]
    return error


def _error_classes() -> dict[str, type[LoyaltyError]]:
    found, pending = {}, [LoyaltyError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found
