"""The till's own errors: every failure the cashier can meet, with a message in plain words.

Nothing outside ``terminal.reader`` sees a pyscard exception: the reader translates each
PC/SC failure into one of these. ``message`` is what a cashier is shown; the class is
what the code branches on.
"""
from __future__ import annotations


class TerminalError(Exception):
    """Root of the till's errors; ``str(error)`` is a sentence a cashier can read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- PC/SC and readers ----------------------------------------------------------------------

class ReaderError(TerminalError):
    """Something between the till and the card failed (service, reader, radio link)."""


class PcscUnavailable(ReaderError):
    """The PC/SC service (pcscd) is not running or cannot be reached."""


class ReaderNotFound(ReaderError):
    """No reader of the configured name is connected."""


class ReaderGone(ReaderError):
    """The reader disappeared (unplugged) while the till was using it."""


class NoCard(ReaderError):
    """No card is on the reader."""


class CardWaitTimeout(ReaderError):
    """No card was presented (or removed) within the time allowed."""


class CardRemoved(ReaderError):
    """The card left the reader before the exchange finished (torn away)."""


class CardReset(ReaderError):
    """Another program reset the card during the exchange."""


class CardCommunicationError(ReaderError):
    """The card or reader gave an answer the till cannot use."""


# -- the card --------------------------------------------------------------------------------

class CardError(TerminalError):
    """The card answered, but not with what the till needed."""


class ForeignCard(CardError):
    """A card that is not one of ours (no loyalty application, or an unknown kind)."""

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.kind = kind


class ApplicationBlocked(CardError):
    """Our application on the card is blocked (lost, stolen or retired)."""


class CardNotPersonalised(CardError):
    """Our application is there but has no card number or key yet."""


class PersonalisationLocked(CardError):
    """The card is already personalised and locked: it cannot be written again."""


class CardStatusError(CardError):
    """The card refused a command with a status word the till does not expect."""

    def __init__(self, message: str, *, sw: int):
        super().__init__(message)
        self.sw = sw


class CardNotAuthentic(CardError):
    """The card's answer to the challenge was wrong: a copy, or a card of another key."""


# -- the server ------------------------------------------------------------------------------

# The server's names for refusing the till itself (its key, its clock, its signature), as
# opposed to a 401 about a member's secret typed at the till (a wrong PIN, a lockout).
TILL_REFUSALS = frozenset({"signature_missing", "stale_request", "bad_signature", "invalid_terminal_key"})
# ... and its names for refusing the member's PIN (wrong, locked after too many, none set)
PIN_REFUSALS = frozenset({"wrong_credentials", "locked_out", "no_pin"})


class ApiError(TerminalError):
    """The loyalty server refused a request; ``message`` comes from the server."""

    def __init__(self, message: str, *, status: int, error: str = "", code: str = "",
                 problems: object = None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.code = code
        self.problems = problems

    @property
    def refuses_the_till(self) -> bool:
        """The server did not accept this till's request (not the card, the member or the
        sale): nothing was judged, and it goes again once the till is put right."""
        return self.status == 401 and self.error in TILL_REFUSALS

    @property
    def refuses_the_pin(self) -> bool:
        """The member's PIN was refused (the card itself may still earn)."""
        return self.status == 401 and self.error in PIN_REFUSALS


class ApiUnreachable(TerminalError):
    """The loyalty server cannot be reached (network, timeout, or a server fault 5xx)."""


class ServerBusy(ApiUnreachable):
    """The loyalty server is up but asks this till to slow down (HTTP 429): the request was not
    judged, and goes again shortly."""


class InvalidBasket(TerminalError):
    """The POS gave a basket the till cannot take (a line without a SKU, a negative amount, ...)."""


class SessionError(TerminalError):
    """A POS step was asked for in a state where it cannot happen."""


class RedemptionNeedsServer(TerminalError):
    """Paying with points needs the loyalty server, which cannot be reached now."""
