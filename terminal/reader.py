"""PC/SC readers and cards: the only module of the till that imports pyscard.

It uses pyscard's thin ``smartcard.scard`` layer (the PC/SC calls themselves), so every
result carries its PC/SC code and nothing is hidden in a monitor thread. Every failure
comes out as one of the till's own errors (``terminal.errors``), with a plain message:

==============================================  ======================================
PC/SC result                                     error
==============================================  ======================================
SCARD_E_NO_SERVICE, SERVICE_STOPPED, no context  PcscUnavailable (pcscd not running)
SCARD_E_INVALID_HANDLE (pcscd restarted)         PcscUnavailable; the next call starts a
                                                 fresh context, so the till recovers
SCARD_F_COMM_ERROR while waiting for a card,     PcscUnavailable (pcscd died mid-wait)
any other failure of the wait if pcscd then
stops answering within a second
SCARD_E_NO_READERS_AVAILABLE, name not listed    ReaderNotFound
SCARD_E_UNKNOWN_READER, READER_UNAVAILABLE,      ReaderGone (unplugged)
state UNKNOWN / UNAVAILABLE
SCARD_E_NO_SMARTCARD                             NoCard
SCARD_E_TIMEOUT                                  CardWaitTimeout
SCARD_W_REMOVED_CARD, E_NOT_TRANSACTED,          CardRemoved (torn away mid-exchange)
W_UNPOWERED/UNRESPONSIVE_CARD, F_COMM_ERROR,
an empty answer (what vpcd gives for a torn card)
SCARD_W_RESET_CARD                               CardReset
SCARD_E_SHARING_VIOLATION                        ReaderError (another program holds it)
anything else                                    CardCommunicationError with PC/SC's text
==============================================  ======================================

Cards are detected with ``SCardGetStatusChange`` (pcscd polls vpcd every 400 ms, so a tap
is seen 0-400 ms after it happens). A connection is opened in exclusive mode, so no other
program talks to the card during the till's exchange.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from smartcard import scard

from terminal.errors import (
    CardCommunicationError, CardRemoved, CardReset, CardWaitTimeout, NoCard, PcscUnavailable,
    ReaderError, ReaderGone, ReaderNotFound,
)

_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED,
               scard.SCARD_E_INVALID_HANDLE, scard.SCARD_F_INTERNAL_ERROR,
               scard.SCARD_E_NO_MEMORY}
_READER_GONE = {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE}
# what a watch may answer that says what it means by itself (no need to ask if pcscd is alive)
_WATCH_ANSWERS = {scard.SCARD_S_SUCCESS, scard.SCARD_E_NO_READERS_AVAILABLE} | _READER_GONE | _NO_SERVICE
_CARD_REMOVED = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NOT_TRANSACTED,
                 scard.SCARD_W_UNPOWERED_CARD, scard.SCARD_W_UNRESPONSIVE_CARD,
                 scard.SCARD_F_COMM_ERROR, scard.SCARD_E_PROTO_MISMATCH}
_WAIT_SLICE_MS = 250
_SHUTDOWN_GRACE_S = 1.0  # how long a pcscd that failed a watch may still answer while it stops


def _code(hresult: int) -> str:
    return f"0x{hresult & 0xFFFFFFFF:08X}"


def translate(hresult: int, doing: str, reader: str | None = None) -> Exception:
    """Our error for a failed PC/SC call (``doing`` says what the till was doing)."""
    where = f" on reader '{reader}'" if reader else ""
    if hresult in _NO_SERVICE:
        return PcscUnavailable("The card reader service (pcscd) is not running or was "
                               f"restarted ({_code(hresult)}). Start pcscd; the till "
                               "reconnects by itself.")
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return ReaderNotFound("No card reader is connected. Plug in the reader.")
    if hresult in _READER_GONE:
        return ReaderGone(f"The card reader '{reader}' is gone (unplugged?) while "
                          f"{doing}. Plug it in again.")
    if hresult == scard.SCARD_E_NO_SMARTCARD:
        return NoCard(f"There is no card{where}.")
    if hresult == scard.SCARD_E_TIMEOUT:
        return CardWaitTimeout(f"No card came{where} in time.")
    if hresult in _CARD_REMOVED:
        return CardRemoved(f"The card was taken away while {doing}. Ask the member to "
                           "tap again and hold the card still.")
    if hresult == scard.SCARD_W_RESET_CARD:
        return CardReset(f"Another program reset the card while {doing}. Tap again.")
    if hresult == scard.SCARD_E_SHARING_VIOLATION:
        return ReaderError(f"Another program is using the card{where}. Close it and tap again.")
    text = scard.SCardGetErrorMessage(hresult)
    return CardCommunicationError(f"The card reader failed while {doing}: {text} "
                                  f"({_code(hresult)}).")


class PcscContext:
    """One PC/SC context, established on first use and again after pcscd came back."""

    def __init__(self):
        self._handle = None
        self._lock = threading.Lock()

    def handle(self):
        with self._lock:
            if self._handle is None:
                try:
                    hresult, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                except scard.error as error:  # pragma: no cover - library-level failure
                    raise PcscUnavailable(f"The card reader service cannot be reached: {error}.") from None
                if hresult != scard.SCARD_S_SUCCESS:
                    raise translate(hresult, "connecting to the card reader service")
                self._handle = handle
            return self._handle

    def check(self, hresult: int, doing: str, reader: str | None = None) -> None:
        """Raise our error for a failed call; forget the context if the service went away."""
        if hresult == scard.SCARD_S_SUCCESS:
            return
        if hresult in _NO_SERVICE:
            self.forget()
        raise translate(hresult, doing, reader)

    def service_alive(self) -> bool:
        """False when pcscd no longer answers (tells a dead service from a torn card)."""
        handle = self._handle
        if handle is None:
            return False
        hresult, _ = scard.SCardListReaders(handle, [])
        return hresult not in _NO_SERVICE and hresult != scard.SCARD_F_COMM_ERROR

    def forget(self) -> None:
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            try:
                scard.SCardReleaseContext(handle)
            except scard.error:
                pass

    def close(self) -> None:
        self.forget()


def list_readers(context: PcscContext | None = None) -> list[str]:
    """The names of the connected readers (an empty list when there are none)."""
    own = context is None
    context = context or PcscContext()
    try:
        hresult, names = scard.SCardListReaders(context.handle(), [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        context.check(hresult, "listing the card readers")
        return list(names)
    finally:
        if own:
            context.close()


def pick_reader(wanted: str | None, names: list[str]) -> str:
    """The reader named ``wanted`` (exact name, else the only one containing it)."""
    if not names:
        raise ReaderNotFound("No card reader is connected. Plug in the reader.")
    if not wanted:
        return names[0]
    if wanted in names:
        return wanted
    matches = [name for name in names if wanted.lower() in name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ReaderNotFound(f"No card reader named '{wanted}'. Connected: "
                             + ", ".join(sorted(names)) + ".")
    raise ReaderNotFound(f"Several card readers match '{wanted}': "
                         + ", ".join(sorted(matches)) + ". Give the full name.")


@dataclass(frozen=True)
class ReaderState:
    present: bool
    atr: bytes


class Reader:
    """One reader by name: waits for taps and opens exclusive connections to the card."""

    def __init__(self, name: str | None = None, *, context: PcscContext | None = None,
                 resolve: bool = True):
        self.context = context or PcscContext()
        self.name = pick_reader(name, list_readers(self.context)) if resolve else name

    def state(self, *, timeout_ms: int = 0, known: int = scard.SCARD_STATE_UNAWARE):
        hresult, states = scard.SCardGetStatusChange(self.context.handle(), timeout_ms,
                                                     [(self.name, known)])
        if hresult == scard.SCARD_E_TIMEOUT:
            return None
        if hresult not in _WATCH_ANSWERS and self._pcscd_went_away(hresult):
            self.context.forget()
            raise translate(scard.SCARD_E_NO_SERVICE, "watching the reader", self.name)
        self.context.check(hresult, "watching the reader", self.name)
        _, event, atr = states[0]
        if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
            raise ReaderGone(f"The card reader '{self.name}' is gone (unplugged?). "
                             "Plug it in again.")
        return event, bytes(atr)

    def _pcscd_went_away(self, hresult: int) -> bool:
        """Whether a failed watch means pcscd went away. While only watching, a broken line
        to pcscd does; any other failure does if pcscd stops answering within a moment (a
        pcscd shutting down may first end the waits of its clients with another code)."""
        if hresult == scard.SCARD_F_COMM_ERROR:
            return True
        deadline = time.monotonic() + _SHUTDOWN_GRACE_S
        while self.context.service_alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def _wait(self, want_present: bool, timeout: float | None,
              stop: threading.Event | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        event, _ = self.state()
        while True:
            present = bool(event & scard.SCARD_STATE_PRESENT) and not event & scard.SCARD_STATE_MUTE
            if present == want_present:
                return
            if stop is not None and stop.is_set():
                raise CardWaitTimeout("Stopped waiting for the card.")
            left = _WAIT_SLICE_MS if deadline is None else min(
                _WAIT_SLICE_MS, int((deadline - time.monotonic()) * 1000))
            if left <= 0:
                what = "No card was tapped" if want_present else "The card was not taken away"
                raise CardWaitTimeout(f"{what} on '{self.name}' within {timeout:g} s.")
            changed = self.state(timeout_ms=left, known=event & ~scard.SCARD_STATE_CHANGED)
            if changed is not None:
                event = changed[0]

    def wait_for_card(self, timeout: float | None = None,
                      stop: threading.Event | None = None) -> None:
        """Return when a card is on the reader; CardWaitTimeout after ``timeout`` s."""
        self._wait(True, timeout, stop)

    def wait_for_removal(self, timeout: float | None = None,
                         stop: threading.Event | None = None) -> None:
        """Return when the reader is empty; CardWaitTimeout after ``timeout`` s."""
        self._wait(False, timeout, stop)

    def connect(self, *, exclusive: bool = True) -> CardLink:
        """An open connection to the card on the reader (exclusive by default)."""
        share = scard.SCARD_SHARE_EXCLUSIVE if exclusive else scard.SCARD_SHARE_SHARED
        hresult, card, protocol = scard.SCardConnect(
            self.context.handle(), self.name, share,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        self.context.check(hresult, "connecting to the card", self.name)
        link = CardLink(self, card, protocol)
        try:
            link.atr = link.read_atr()
        except Exception:
            link.close()
            raise
        return link

    def close(self) -> None:
        self.context.close()


class CardLink:
    """An open connection to one card; ``transmit`` sends a C-APDU, returns the R-APDU."""

    def __init__(self, reader: Reader, card, protocol: int):
        self.reader = reader
        self._card = card
        self._protocol = protocol
        self.atr = b""

    def _check(self, hresult: int, doing: str) -> None:
        if hresult in _CARD_REMOVED and not self.reader.context.service_alive():
            self.reader.context.forget()
            raise translate(scard.SCARD_E_NO_SERVICE, doing, self.reader.name)
        self.reader.context.check(hresult, doing, self.reader.name)

    def read_atr(self) -> bytes:
        hresult, _, _, _, atr = scard.SCardStatus(self._card)
        self._check(hresult, "reading the card's ATR")
        return bytes(atr)

    def transmit(self, apdu: bytes) -> bytes:
        """One command and its whole answer (data + SW1 SW2)."""
        if self._card is None:
            raise CardRemoved("The card connection is closed. Tap again.")
        hresult, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        self._check(hresult, "talking to the card")
        if len(response) < 2:
            raise CardRemoved("The card was taken away while talking to it (no answer). "
                              "Ask the member to tap again and hold the card still.")
        return bytes(response)

    @contextmanager
    def transaction(self):
        """A PC/SC transaction: no other program gets the card in between."""
        hresult = scard.SCardBeginTransaction(self._card)
        self._check(hresult, "starting a card transaction")
        try:
            yield self
        finally:
            scard.SCardEndTransaction(self._card, scard.SCARD_LEAVE_CARD)

    def close(self) -> None:
        """Release the card (never raises: a card already gone is simply gone)."""
        card, self._card = self._card, None
        if card is not None:
            try:
                scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
            except scard.error:
                pass

    def __enter__(self) -> CardLink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
