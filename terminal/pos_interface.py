"""The local interface for POS software: JSON lines over stdin/stdout.

Start it with ``loyalty-terminal pos`` (the POS spawns it and keeps its pipes). One request
per line, one answer per line, in order. Every answer has ``"ok"``; a failure carries
``"error"`` (the error class, to branch on) and ``"message"`` (to show the cashier)::

    > {"cmd": "start", "receipt": "R-1001", "cashier": "0042"}   # cashier: the operator id, optional
                                                                # (sent with the sale and its payment with points)
    < {"ok": true, "state": "idle", "receipt": "R-1001"}
    > {"cmd": "tap", "timeout": 30}
    < {"ok": true, "state": "authenticated", "offline": false, "offline_reason": null, "can_redeem": true,
       "pin_refused": null, "member": {"member_id": "M1", "display_name": "Ada Lovelace", "tier": "gold",
                  "available": 500, "pending": 0}}
                                  # "pin": "1234" with the tap: a PIN refused leaves the sale to earn,
                                  # can_redeem false, and "pin_refused" says why (else null)
    > {"cmd": "pin", "pin": "1234"}   # only when can_redeem is false: the member's PIN, to pay with points
    < {"ok": true, "can_redeem": true}
    > {"cmd": "basket", "lines": [{"line_no": 1, "sku": "COFFEE", "quantity": "2",
                                   "amount_minor": 700}]}
    < {"ok": true, "state": "basket"}
    > {"cmd": "pay_points", "points": 200}
    < {"ok": true, "state": "points paid", "hold_id": "H1", "points": 200, "value_minor": 200}
    > {"cmd": "accrue"}
    < {"ok": true, "state": "done", "queued": false, "points": 7, "balance": 307, "member": {...}}
                                  # member: as they stand after the sale (points paid gone, points earned in)
    > {"cmd": "refund", "receipt": "R-1001", "occurred_at": "2026-11-23T12:00:00+00:00",
       "lines": [{"line_no": 1, "quantity": "1"}]}   # "till": "T2" for a sale of another till of the store;
                                                       # "cashier": who rang the return up, optional
    < {"ok": true, "state": "done", "queued": false, "result": {...}}
                                 # this till's queued sales are sent first; the return of a sale of this
                                 # till still in its outbox (no server) is queued behind it: "queued": true,
                                 # "result": null, "message" says so
    > {"cmd": "voucher", "code": "V3F9..."}   # a reward voucher: used once, the reward handed over
    < {"ok": true, "voucher": {"voucher_code": "V3F9...", "reward_code": "MUG", "status": "used", ...}}
    > {"cmd": "cancel"}          # abandon the sale; an open points hold is voided, points paid given back
    < {"ok": true, "state": "failed", "points_returned": 200, "message": "Sale cancelled. The 200 points ..."}
                                 # points_returned null: nothing paid, or given back once the server is reachable;
                                 # a sale done (earned, or queued to) is refused: its goods come back by receipt
    > {"cmd": "wait_removal", "timeout": 10}   # until the card has left the reader
    > {"cmd": "flush"}           # replay the offline outbox now
    < {"ok": true, "sent": 2, "rejected": 0, "left": 0}
    > {"cmd": "status"}
    < {"ok": true, "state": "idle", "receipt": "R-1002", "outbox_pending": 0}

At its start, the till gives back the points paid for sales it left unfinished when it
stopped (killed, crashed, its POS gone): one line on stderr for each, stdout stays JSON.

A foreign card answers ``{"ok": false, "error": "ForeignCard", "message": "This is a
foreign card (...)"}`` and the sale stays ready for the next tap. Offline (the server away,
or not taking this till's requests now: ``offline_reason`` says which, for the cashier),
``tap`` answers ``"offline": true`` without a member, ``accrue`` answers ``"queued": true``
(with a ``message`` for the cashier: the server away, or busy with this till's requests and
taking the sale in a moment), and ``pay_points`` fails with ``RedemptionNeedsServer``.
"""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from datetime import datetime
from typing import IO

from terminal.agent import TillAgent
from terminal.basket import whole_number
from terminal.errors import SessionError, TerminalError
from terminal.session import Hold, Member, PosSession, State, cashier_id


class PosInterface:
    def __init__(self, agent: TillAgent):
        self.agent = agent
        self.session: PosSession | None = None

    def handle(self, request: dict) -> dict:
        """One request, one answer (never raises for a till or input error)."""
        command = request.get("cmd")
        handler = getattr(self, f"_cmd_{command}", None) if isinstance(command, str) else None
        if handler is None:
            return {"ok": False, "error": "UnknownCommand",
                    "message": f"Unknown command {command!r}."}
        try:
            answer = handler(request)
        except TerminalError as error:
            answer = {"ok": False, "error": type(error).__name__, "message": error.message}
        except KeyError as error:
            answer = {"ok": False, "error": "BadRequest", "message": f"Bad request: {command!r} needs {error.args[0]!r}."}
        except (TypeError, ValueError) as error:
            answer = {"ok": False, "error": "BadRequest", "message": f"Bad request: {error}."}
        if self.session is not None:
            answer.setdefault("state", self.session.state.value)
        return answer

    def _current(self) -> PosSession:
        if self.session is None:
            raise SessionError("Start a sale first (cmd 'start').")
        return self.session

    def _check_no_open_sale(self) -> None:
        if self.session is not None and self.session.state not in (State.DONE, State.FAILED,
                                                                   State.IDLE):
            raise SessionError(f"The sale {self.session.receipt_number} is at "
                               f"'{self.session.state.value}': accrue or cancel it first.")
        if self.session is not None and self.session.hold is not None:
            self.agent.abort(self.session, "Sale abandoned.")

    def _cmd_start(self, request: dict) -> dict:
        receipt = request["receipt"]
        if not isinstance(receipt, str):  # str() would start a sale under "None" or "123"
            raise ValueError("'receipt' is the receipt number as a text")
        self._check_no_open_sale()
        self.session = PosSession(receipt, cashier=cashier_id(request.get("cashier")))
        return {"ok": True, "receipt": self.session.receipt_number}

    def _cmd_tap(self, request: dict) -> dict:
        session = self._current()
        member = self.agent.tap(session, timeout=request.get("timeout"), pin=request.get("pin"))
        return {"ok": True, "offline": session.offline, "offline_reason": session.offline_reason,
                "can_redeem": session.can_redeem, "pin_refused": session.pin_refused,
                "member": asdict(member) if member else None}

    def _cmd_pin(self, request: dict) -> dict:
        pin = request["pin"]
        if not isinstance(pin, str):
            raise ValueError("'pin' is the PIN's digits as a text")
        return {"ok": True, "can_redeem": self.agent.give_pin(self._current(), pin)}

    def _cmd_basket(self, request: dict) -> dict:
        when = request.get("occurred_at")
        self.agent.give_basket(self._current(), request["lines"], datetime.fromisoformat(when) if when else None)
        return {"ok": True}

    def _cmd_pay_points(self, request: dict) -> dict:
        points = request["points"]
        if not whole_number(points):  # int() would pay 150 for 150.9, and 1 for true
            raise ValueError("'points' is a whole number of points")
        hold = self.agent.pay_with_points(self._current(), points)
        return {"ok": True, **asdict(hold)}

    def _cmd_accrue(self, request: dict) -> dict:
        session = self._current()
        paid = session.paid  # (the sale takes the payment over when it earns)
        result = self.agent.accrue(session) or {}
        member = _member_after_the_sale(session.member, paid, result, now=self.agent.now())
        answer = {"ok": True, "queued": session.queued, "points": result.get("points"),
                  "balance": result.get("balance"), "member": asdict(member) if member else None}
        if session.queued:
            answer["message"] = session.message
        return answer

    def _cmd_cancel(self, request: dict) -> dict:
        session = self._current()
        returned = self.agent.cancel(session)
        return {"ok": True, "points_returned": returned, "message": session.message}

    def _cmd_refund(self, request: dict) -> dict:
        self._check_no_open_sale()
        session = PosSession(f"return-of-{request['receipt']}", cashier=cashier_id(request.get("cashier")))
        self.session = session
        result = self.agent.refund(session, original_receipt=str(request["receipt"]),
                                   occurred_at=datetime.fromisoformat(request["occurred_at"]),
                                   lines=list(request["lines"]), original_till=request.get("till"))
        answer = {"ok": True, "queued": session.queued, "result": result}
        if session.queued:
            answer["message"] = session.message
        return answer

    def _cmd_voucher(self, request: dict) -> dict:
        return {"ok": True, "voucher": self.agent.take_voucher(str(request["code"]))}

    def _cmd_wait_removal(self, request: dict) -> dict:
        self.agent.reader.wait_for_removal(request.get("timeout"))
        return {"ok": True}

    def _cmd_flush(self, request: dict) -> dict:
        report = self.agent.flush_outbox()
        return {"ok": True, **asdict(report)}

    def _cmd_status(self, request: dict) -> dict:
        return {"ok": True, "receipt": self.session.receipt_number if self.session else None,
                "outbox_pending": len(self.agent.outbox.pending())}

    def serve(self, reader: IO[str] = sys.stdin, writer: IO[str] = sys.stdout) -> None:
        """Answer JSON lines until end of input."""
        for line in reader:
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("not an object")
            except ValueError as error:
                answer = {"ok": False, "error": "BadRequest", "message": f"Not a JSON object: {error}."}
            else:
                answer = self.handle(request)
            writer.write(json.dumps(answer) + "\n")
            writer.flush()


def _member_after_the_sale(member: Member | None, paid: Hold | None, result: dict, *, now: datetime) -> Member | None:
    """The member the tap read, with this sale in their figures (the POS shows them on the
    receipt): the points paid gone, the points earned available, or pending until the answer's
    ``available_at``. The server tells no more than the total ``balance`` (which counts pending,
    held and owed points too), so the tap's figures are brought up to date here."""
    if member is None:
        return None
    earned = int(result.get("points") or 0)
    try:
        later = bool(result.get("available_at")) and datetime.fromisoformat(str(result["available_at"])) > now
    except ValueError:  # not an instant: the sale is done all the same, and its points counted as available
        later = False
    return replace(member, available=member.available - (paid.points if paid else 0) + (0 if later else earned),
                   pending=member.pending + (earned if later else 0))
