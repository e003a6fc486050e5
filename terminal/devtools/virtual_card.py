"""DEVELOPMENT AND DEMO TOOL: a virtual loyalty card for the vsmartcard ``vpcd`` reader.

Not for production: vpcd listens on every interface, so anybody who reaches its port can
"insert" a card. Use it on a development machine, in the tests and in the demo only.

The card plays our loyalty application (see ``terminal.card_protocol``), a UID-only
MIFARE Classic card, or a foreign card, and holds only its own card key.

vpcd protocol (one TCP connection = one card on the reader): both directions send
``uint16 big-endian length | bytes``. From vpcd, a 1-byte message is a control
(00 power off, 01 power on, 02 reset, 04 get ATR -> we reply with the ATR; vpcd also
polls with it every 400 ms); 2 bytes or more is a C-APDU -> we reply with the R-APDU.
Inserting the card = connecting, removing it = closing the socket.

Debian's vpcd 0.8 sends length and APDU in two writes without TCP_NODELAY, so every APDU
would stall ~40 ms on the card's delayed ACK; re-arming TCP_QUICKACK before every recv
keeps an APDU round trip well under a millisecond.

Test and demo hooks: ``hold`` (tap duration), ``drop_after`` (tear the card away when
the Nth APDU arrives, without answering), ``delay_ms`` (a slow card), ``wrong_key``
(a clone answering with another key), ``blocked`` (application blocked).

Run::

    python -m terminal.devtools.virtual_card --port 29963 --card-number 6280001234567890 \\
        --key-version 1 --card-key 00112233445566778899AABBCCDDEEFF [--hold 2]
    loyalty-virtual-card --port 29963 --uid 04A1B2C3D4E5F6        # a UID-only card
    loyalty-virtual-card --port 29963 --blank --state card.json    # blank card for issuing
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from terminal import card_protocol as cp
from terminal.card_crypto import card_answer, card_number_bytes, card_number_from_bytes


@dataclass
class CardState:
    """What a personalised card stores; saved to a JSON file when the card has one."""
    card_number: str | None = None
    key_version: int | None = None
    card_key: bytes | None = None
    locked: bool = False
    blocked: bool = False

    def to_json(self) -> dict:
        return {"card_number": self.card_number, "key_version": self.key_version,
                "card_key": self.card_key.hex() if self.card_key else None,
                "locked": self.locked, "blocked": self.blocked}

    @classmethod
    def from_json(cls, data: dict) -> CardState:
        key = data.get("card_key")
        return cls(data.get("card_number"), data.get("key_version"),
                   bytes.fromhex(key) if key else None, bool(data.get("locked")),
                   bool(data.get("blocked")))


@dataclass
class LoyaltyApplet:
    """Our card application: answers C-APDUs with R-APDUs (usable as ``transmit``)."""
    state: CardState = field(default_factory=CardState)
    wrong_key: bool = False
    uid: bytes = bytes.fromhex("08C0FFEE")  # a random-ID style UID (never used as proof)
    state_file: Path | None = None
    selected: bool = False

    def __call__(self, apdu: bytes) -> bytes:
        return self.process(apdu)

    def reset(self) -> None:
        self.selected = False

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return sw(cp.SW_WRONG_LENGTH)
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        if cla == 0xFF and ins == 0xCA:
            return self.uid + sw(cp.SW_OK) if (p1, p2) == (0, 0) else sw(cp.SW_WRONG_P1P2)
        if (cla, ins) == (0x00, 0xA4):
            return self._select(p1, p2, body)
        if cla not in (0x00, 0x80):
            return sw(cp.SW_CLA_NOT_SUPPORTED)
        if not self.selected:
            return sw(cp.SW_CONDITIONS_NOT_SATISFIED)
        if self.state.blocked:
            return sw(cp.SW_BLOCKED)
        if (cla, ins) == (0x80, 0xCA):
            return self._get_identity(p1, p2)
        if (cla, ins) == (0x00, 0x88):
            return self._authenticate(body)
        if (cla, ins) == (0x80, 0xDA):
            return self._put_data(p1, p2, body)
        return sw(cp.SW_INS_NOT_SUPPORTED)

    def _select(self, p1: int, p2: int, body: bytes) -> bytes:
        if p1 != 0x04 or not body or len(body) < 1 + body[0]:
            return sw(cp.SW_WRONG_P1P2)
        if body[1:1 + body[0]] != cp.LOYALTY_AID:
            self.selected = False
            return sw(cp.SW_FILE_NOT_FOUND)
        self.selected = True
        return sw(cp.SW_DEACTIVATED) if self.state.blocked else cp.FCI + sw(cp.SW_OK)

    def _get_identity(self, p1: int, p2: int) -> bytes:
        if (p1, p2) != (0x01, 0x01):
            return sw(cp.SW_WRONG_P1P2)
        if self.state.card_number is None:
            return sw(cp.SW_DATA_NOT_FOUND)
        return (card_number_bytes(self.state.card_number) + bytes([self.state.key_version])
                + sw(cp.SW_OK))

    def _authenticate(self, body: bytes) -> bytes:
        if not body or body[0] != cp.CHALLENGE_LENGTH or len(body) < 1 + body[0]:
            return sw(cp.SW_WRONG_LENGTH)
        if self.state.card_key is None:
            return sw(cp.SW_DATA_NOT_FOUND)
        key = bytes(b ^ 0x5A for b in self.state.card_key) if self.wrong_key else self.state.card_key
        return card_answer(key, body[1:1 + body[0]]) + sw(cp.SW_OK)

    def _put_data(self, p1: int, p2: int, body: bytes) -> bytes:
        if self.state.locked:
            return sw(cp.SW_CONDITIONS_NOT_SATISFIED)
        data = body[1:1 + body[0]] if body else b""
        if (p1, p2) == (0x01, 0x01):
            if len(data) != 9:
                return sw(cp.SW_WRONG_LENGTH)
            try:
                self.state.card_number = card_number_from_bytes(data[:8])
            except ValueError:
                return sw(cp.SW_WRONG_LENGTH)
            self.state.key_version = data[8]
        elif (p1, p2) == (0x01, 0x02):
            if len(data) != cp.KEY_LENGTH:
                return sw(cp.SW_WRONG_LENGTH)
            self.state.card_key = data
        elif (p1, p2) == (0x01, 0xFF):
            if self.state.card_number is None or self.state.card_key is None:
                return sw(cp.SW_DATA_NOT_FOUND)
            self.state.locked = True
        else:
            return sw(cp.SW_WRONG_P1P2)
        self._save()
        return sw(cp.SW_OK)

    def _save(self) -> None:
        if self.state_file is not None:
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.state.to_json()))
            os.replace(tmp, self.state_file)


class UidOnlyApplet:
    """A MIFARE Classic-like card: the reader gives its UID, nothing else."""

    def __init__(self, uid: bytes):
        self.uid = uid

    def __call__(self, apdu: bytes) -> bytes:
        if apdu[:2] == b"\xFF\xCA" and apdu[2:4] == b"\x00\x00":
            return self.uid + sw(cp.SW_OK)
        return sw(cp.SW_INS_NOT_SUPPORTED)

    def reset(self) -> None:
        pass


class ForeignApplet:
    """A card of somebody else: answers SELECT of our AID with 6A82."""

    def __call__(self, apdu: bytes) -> bytes:
        return sw(cp.SW_FILE_NOT_FOUND if apdu[1:2] == b"\xA4" else cp.SW_INS_NOT_SUPPORTED)

    def reset(self) -> None:
        pass


def sw(word: int) -> bytes:
    return word.to_bytes(2, "big")


class VirtualCard:
    """One card tapped on one vpcd slot, served by a background thread.

    ``tap()`` connects (the card is on the reader), ``remove()`` closes the socket.
    Hooks: ``hold`` seconds on the reader then removed; ``drop_after`` = N tears the card
    away when the Nth APDU of this tap arrives; ``delay_ms`` before every answer.
    """

    def __init__(self, applet, *, atr: bytes = cp.OUR_ATR, port: int, host: str = "127.0.0.1",
                 hold: float | None = None, drop_after: int | None = None,
                 delay_ms: float = 0.0):
        self.applet = applet
        self.atr = atr
        self.host, self.port = host, port
        self.hold, self.drop_after, self.delay_ms = hold, drop_after, delay_ms
        self.apdus = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.removed = threading.Event()

    # -- taps --------------------------------------------------------------------------------
    def tap(self, *, connect_timeout: float = 5.0) -> VirtualCard:
        """Put the card on the reader (connect to vpcd) and serve it until removed."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the card is already on the reader")
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self._sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.settimeout(None)
        self.apdus = 0
        self._stop.clear()
        self.removed.clear()
        self.applet.reset()
        self._thread = threading.Thread(target=self._serve, name=f"virtual-card-{self.port}",
                                         daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        """Take the card off the reader (close the socket) and wait for the thread."""
        self._stop.set()
        self._close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> VirtualCard:
        return self.tap()

    def __exit__(self, *exc) -> None:
        self.remove()

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.removed.set()

    def _serve(self) -> None:
        sock = self._sock
        if sock is None:
            return
        started = time.monotonic()
        if self.hold is not None:
            sock.settimeout(0.05)
        try:
            while not self._stop.is_set():
                if self.hold is not None and time.monotonic() - started >= self.hold:
                    break
                try:
                    message = _receive(sock)
                except socket.timeout:
                    continue
                if message is None:
                    break
                if len(message) == 1:
                    if message[0] == 0x04:
                        _send(sock, self.atr)
                    elif message[0] in (0x00, 0x02):
                        self.applet.reset()
                    continue
                self.apdus += 1
                if self.drop_after is not None and self.apdus >= self.drop_after:
                    break
                if self.delay_ms:
                    time.sleep(self.delay_ms / 1000)
                _send(sock, self.applet(message))
        except OSError:
            pass
        finally:
            if sock is self._sock:
                self._close()


def _receive(sock: socket.socket) -> bytes | None:
    header = _receive_exactly(sock, 2)
    if header is None:
        return None
    (length,) = struct.unpack(">H", header)
    return _receive_exactly(sock, length, started=True)


def _receive_exactly(sock: socket.socket, count: int, *, started: bool = False) -> bytes | None:
    chunks = b""
    while len(chunks) < count:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        try:
            chunk = sock.recv(count - len(chunks))
        except socket.timeout:
            if not chunks and not started:
                raise
            continue
        if not chunk:
            return None
        chunks += chunk
    return chunks


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)


def build_card(args: argparse.Namespace) -> VirtualCard:
    """The card the command line describes."""
    common = dict(port=args.port, host=args.host, hold=args.hold,
                  drop_after=args.drop_after, delay_ms=args.delay_ms)
    if args.uid:
        return VirtualCard(UidOnlyApplet(bytes.fromhex(args.uid)),
                           atr=cp.MIFARE_CLASSIC_1K_ATR, **common)
    if args.foreign:
        return VirtualCard(ForeignApplet(), atr=cp.DESFIRE_ATR, **common)
    state_file = Path(args.state) if args.state else None
    if state_file is not None and state_file.exists():
        state = CardState.from_json(json.loads(state_file.read_text()))
    elif args.blank:
        state = CardState()
    else:
        if not (args.card_number and args.card_key):
            raise SystemExit("give --card-number and --card-key (or --blank, --uid, --foreign)")
        state = CardState(args.card_number, args.key_version, bytes.fromhex(args.card_key),
                          locked=True)
    if args.blocked:
        state.blocked = True
    applet = LoyaltyApplet(state, wrong_key=args.wrong_key, state_file=state_file)
    return VirtualCard(applet, **common)


def main(argv: list[str] | None = None) -> int:
    """``loyalty-virtual-card``: tap a virtual card on a vpcd reader until removed (Ctrl-C)."""
    parser = argparse.ArgumentParser(
        prog="loyalty-virtual-card",
        description="DEVELOPMENT/DEMO TOOL: a virtual loyalty card on the vpcd reader.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOYALTY_VPCD_PORT", 29963)))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--card-number")
    parser.add_argument("--key-version", type=int, default=1)
    parser.add_argument("--card-key", help="the card's own AES key, 32 hex digits")
    parser.add_argument("--blank", action="store_true", help="an unissued card (for issuing)")
    parser.add_argument("--state", help="JSON file keeping the card's personalisation")
    parser.add_argument("--uid", help="play a UID-only MIFARE Classic card with this UID (hex)")
    parser.add_argument("--foreign", action="store_true", help="play a card that is not ours")
    parser.add_argument("--hold", type=float, help="seconds on the reader, then removed")
    parser.add_argument("--drop-after", type=int, help="tear the card away at the Nth APDU")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="slow card: delay per APDU")
    parser.add_argument("--wrong-key", action="store_true", help="a clone answering with another key")
    parser.add_argument("--blocked", action="store_true", help="the application is blocked")
    parser.add_argument("--wait", type=float, default=5.0,
                        help="seconds to keep trying to reach the reader")
    args = parser.parse_args(argv)
    card = build_card(args)
    try:
        card.tap(connect_timeout=args.wait)
    except OSError as error:
        print(f"cannot reach the vpcd reader on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(f"virtual card on the reader at port {args.port} (Ctrl-C removes it)", flush=True)
    try:
        while not card.removed.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        card.remove()
    print("virtual card removed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
