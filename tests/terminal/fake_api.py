"""A small stand-in for the loyalty server's terminal and staff endpoints, for tests.

It follows the contract the till is built to (see ``terminal.api_client``): it checks
every signature and the clock skew, keeps challenges single-use, verifies card answers
with the *engine's* card crypto (so the till's copy is held to agree with it), and keeps
accruals idempotent by key. Failure modes for outage tests:

- ``down = True``: every connection is dropped without an answer (network failure);
- ``commit_then_stall = N``: the next N writes to a path containing ``stall_on`` (the
  accruals unless changed) are recorded, then the answer is held back longer than the
  client waits (a timeout after the server committed);
- ``in_flight = N``: the next N writes are answered 409 ``request_in_flight`` (an earlier
  try with the same key is still running);
- ``answer_delay = S``: every write is recorded, then answered S seconds later (a window
  in which a till may die between the server's commit and its answer).
It is not the real API (that lives in ``api/``); the end-to-end run comes after merge.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from engine.card_keys import MasterKeys, answer_matches, offline_challenge
from datetime import datetime


class FakeLoyaltyServer:
    def __init__(self, *, key_id="till-key", secret="till-secret", store_code="S1",
                 terminal_code="T1", master_keys: MasterKeys | None = None,
                 point_value_minor=1, stall_seconds=3.0):
        self.key_id, self.secret = key_id, secret
        self.store_code, self.terminal_code = store_code, terminal_code
        self.master_keys = master_keys or MasterKeys({1: bytes(range(16))})
        self.point_value_minor = point_value_minor
        self.stall_seconds = stall_seconds
        self.members: dict[str, dict] = {}
        self.cards: dict[str, dict] = {}  # card_number -> {member_id, key_version, blocked}
        self.uids: dict[str, dict] = {}   # uid -> {member_id, pin}
        self.challenges: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.writes: dict[str, tuple[int, dict]] = {}  # idempotency key -> (status, answer)
        self.accruals: list[dict] = []
        self.holds: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.expired_before_refund = 0  # of a refund's points, how many the server says had expired
        self.vouchers: dict[str, dict] = {}  # code -> {reward_code, member_id, points, status}
        self.used_offline: set[tuple[str, int]] = set()
        self.staff = {"clerk": "clerk-password"}
        self.staff_tokens: set[str] = set()
        self.down = False
        self.in_flight = 0  # the next writes are answered 409 request_in_flight
        self.rate_limited = 0  # the next requests are answered 429, as over the till's rate
        self.database_down = 0  # the next requests are answered 503, as when the server's database is away
        self.commit_then_stall = 0
        self.answer_delay = 0.0
        self.replayed = 0  # writes answered from an earlier try's answer (a repeated key)
        self.stall_on = "/v1/terminal/accruals"
        self.requests = 0
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> FakeLoyaltyServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- set-up --------------------------------------------------------------------------
    def add_member(self, member_id="M1", name="Ada Lovelace", tier="gold", points=0):
        self.members[member_id] = {"member_id": member_id, "display_name": name, "tier": tier,
                                   "available": points, "pending": 0}
        return self.members[member_id]

    def add_card(self, card_number: str, member_id: str, key_version=1, blocked=False,
                 pin: str | None = None) -> bytes:
        """Register a card (``pin``: it pays with points only with that PIN, as where the
        programme asks chip cards for it); the card's key (what the issuing station would write)."""
        self.cards[card_number] = {"member_id": member_id, "key_version": key_version,
                                   "blocked": blocked, "pin": pin}
        return self.master_keys.card_key(key_version, card_number)

    def add_voucher(self, code: str, member_id: str, reward_code: str = "MUG", points: int = 300) -> None:
        self.vouchers[code] = {"reward_code": reward_code, "member_id": member_id, "points": points,
                               "status": "issued"}

    def add_uid(self, uid: str, member_id: str, pin: str | None = None):
        self.uids[uid] = {"member_id": member_id, "pin": pin}

    def points_of(self, member_id: str) -> int:
        return self.members[member_id]["available"]

    # -- the endpoints -------------------------------------------------------------------
    def handle(self, method, path, headers, body_bytes):
        with self.lock:
            self.requests += 1
            if path.startswith("/v1/staff/"):
                return self._staff(path, headers, json.loads(body_bytes or b"{}"))
            problem = self._check_signature(method, path, headers, body_bytes)
            if problem:
                return 401, _error(401, problem[0], problem[1])
            if self.rate_limited > 0:
                self.rate_limited -= 1
                return 429, _error(429, "rate_limited", "too many requests from this terminal; try again in 7 s")
            if self.database_down > 0:
                self.database_down -= 1
                return 503, _error(503, "database_unavailable", "the database is unavailable or busy; send the "
                                                                "request again in a moment")
            body = json.loads(body_bytes or b"{}")
            key = headers.get("Idempotency-Key")
            if key and self.in_flight > 0:
                self.in_flight -= 1
                return 409, _error(409, "request_in_flight", "A request with this key is still being processed.")
            if key and key in self.writes:
                self.replayed += 1
                return self.writes[key]
            answer = self._route(path, body)
            if key and answer[0] < 500:
                self.writes[key] = answer
            stall = self.stall_on in path and self.commit_then_stall > 0
            if stall:
                self.commit_then_stall -= 1
        if stall:
            time.sleep(self.stall_seconds)  # committed; the answer comes too late
        elif key and self.answer_delay:
            time.sleep(self.answer_delay)
        return answer

    def _check_signature(self, method, path, headers, body_bytes):
        """None, or the refusal's (error, message), named as the real API names them."""
        if headers.get("X-Loyalty-Key") != self.key_id:
            return "bad_signature", "unknown terminal credential"
        stamp = headers.get("X-Loyalty-Timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - time.time()) > 60:
            return "stale_request", "timestamp outside the allowed clock skew"
        message = "\n".join([method, path, stamp, headers.get("Idempotency-Key") or "",
                             hashlib.sha256(body_bytes).hexdigest()])
        expected = hmac.new(self.secret.encode(), message.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Loyalty-Signature", "")):
            return "bad_signature", "signature does not match"
        return None

    def _route(self, path, body):
        if path == "/v1/terminal/card-challenges":
            card = self.cards.get(body.get("card_number"))
            if card is None:
                return 404, _error(404, "card_not_found", "This card is not known.")
            challenge_id = secrets.token_hex(8)
            challenge = secrets.token_bytes(16)
            self.challenges[challenge_id] = {"card_number": body["card_number"],
                                             "challenge": challenge}
            return 201, {"challenge_id": challenge_id, "challenge": challenge.hex(),
                         "expires_at": "2099-01-01T00:00:00Z"}
        if path == "/v1/terminal/card-sessions":
            return self._card_session(body)
        if path == "/v1/terminal/accruals":
            return self._accrue(body)
        if path == "/v1/terminal/holds":
            session = self.sessions.get(body.get("card_session"))
            if session is None or not session["can_redeem"]:
                return 403, _error(403, "redeem_not_allowed", "This card cannot pay with points.")
            member = self.members[session["member_id"]]
            if body["points"] > member["available"]:
                return 409, _error(409, "insufficient_points", "Not enough points.")
            member["available"] -= body["points"]
            hold_id = f"H{len(self.holds) + 1}"
            self.holds[hold_id] = {"member_id": member["member_id"], "points": body["points"],
                                   "state": "open", "cashier": body.get("cashier"),
                                   "receipt_number": body.get("receipt_number")}
            return 201, {"hold_id": hold_id, "points": body["points"],
                         "value_minor": body["points"] * self.point_value_minor,
                         "expires_at": "2099-01-01T00:00:00Z"}
        if path.startswith("/v1/terminal/holds/"):
            _, _, _, _, hold_id, action = path.split("/")
            hold = self.holds.get(hold_id)
            if hold is None:
                return 404, _error(404, "hold_not_found", "No such hold.")
            if action == "return":
                return self._return_payment(hold_id, hold)
            if hold["state"] != "open":
                return 409, _error(409, "hold_already_resolved",
                                   f"hold {hold_id} was already {hold['state']}; it resolves once")
            hold["state"] = "captured" if action == "capture" else "voided"
            if action == "void":
                self.members[hold["member_id"]]["available"] += hold["points"]
            return 200, {"hold_id": hold_id, "state": hold["state"]}
        if path == "/v1/terminal/refunds":
            original = [a for a in self.accruals if a["receipt_number"] == body["receipt_number"]]
            if not original:
                return 404, _error(404, "receipt_not_found", "No sale with this receipt.")
            sale = original[0]
            returned = {line["line_no"] for line in body["lines"]}
            points = sum(int(line["amount_minor"]) // 100 for line in sale["lines"]
                         if line["line_no"] in returned)
            expired = min(points, self.expired_before_refund)
            member = self.members[sale["member_id"]]
            member["available"] -= points - expired
            self.refunds.append(body)
            return 201, {"member_id": sale["member_id"], "receipt_number": body["receipt_number"],
                         "amount_minor": 0, "points_reversed": points, "points_returned": 0,
                         "points_written_off": 0, "points_expired": expired, "debt_created": 0,
                         "transaction_id": None, "balance": member["available"]}
        if path.startswith("/v1/terminal/vouchers/") and path.endswith("/use"):
            code = path.split("/")[4]
            voucher = self.vouchers.get(code)
            if voucher is None:
                return 404, _error(404, "unknown_voucher", f"unknown voucher {code!r}")
            if voucher["status"] != "issued":
                return 409, _error(409, "voucher_not_usable", f"voucher {code} was already {voucher['status']}")
            voucher["status"] = "used"
            return 200, {"voucher_code": code, **voucher, "issued_at": "2026-12-01T10:00:00+00:00",
                         "used_at": "2026-12-05T10:00:00+00:00", "cancelled_at": None}
        return 404, _error(404, "not_found", "No such endpoint.")

    def _return_payment(self, hold_id, hold):
        if hold["state"] != "captured":
            return 409, _error(409, "hold_already_resolved", f"hold {hold_id} was {hold['state']}")
        if any(a["receipt_number"] == hold["receipt_number"] for a in self.accruals):
            return 409, _error(409, "receipt_already_earned", "The sale has earned: return its goods instead.")
        hold["state"] = "returned"
        member = self.members[hold["member_id"]]
        member["available"] += hold["points"]
        return 200, {"hold_id": hold_id, "member_id": hold["member_id"], "points": hold["points"],
                     "transaction_id": len(self.holds), "balance": member["available"]}

    def _card_session(self, body):
        if "challenge_id" in body:
            challenge = self.challenges.pop(body["challenge_id"], None)
            if challenge is None:
                return 409, _error(409, "challenge_used", "This challenge is used or unknown.")
            card = self.cards[challenge["card_number"]]
            if card["blocked"]:
                return 403, _error(403, "card_blocked", "This card is blocked.")
            key = self.master_keys.card_key(card["key_version"], challenge["card_number"])
            if not answer_matches(key, challenge["challenge"], bytes.fromhex(body["answer"])):
                return 403, _error(403, "card_not_authenticated", "This card could not be "
                                   "verified: it may be a copy. It cannot be used.")
            holder, pin_asked = card, card["pin"] is not None  # a chip card proves itself
        else:
            holder, pin_asked = self.uids.get(body.get("card_uid")), True  # a UID proves nothing
            if holder is None:
                return 404, _error(404, "card_not_found", "This card is not known.")
        member_id, can_redeem = holder["member_id"], True
        if pin_asked:
            if body.get("pin") is not None and body["pin"] != holder["pin"]:  # as the real API: refused
                return 401, _error(401, "wrong_credentials", "wrong PIN")
            can_redeem = holder["pin"] is not None and body.get("pin") == holder["pin"]
        token = secrets.token_hex(12)
        self.sessions[token] = {"member_id": member_id, "can_redeem": can_redeem}
        return 201, {"card_session": token, "expires_at": "2099-01-01T00:00:00Z",
                     "can_redeem": can_redeem, "member": dict(self.members[member_id])}

    def _accrue(self, body):
        if datetime.fromisoformat(body["occurred_at"]).timestamp() > time.time() + 300:  # as the real API
            return 422, {**_error(422, "invalid_input", "the request is not valid; see errors for each field"),
                         "errors": {"occurred_at": ["lies in the future"]}}
        if "card_session" in body:
            session = self.sessions.get(body["card_session"])
            if session is None:
                return 403, _error(403, "card_session_invalid", "The card session has expired.")
            member_id = session["member_id"]
        elif "card_number" in body:
            card = self.cards.get(body["card_number"])
            if card is None:
                return 404, _error(404, "card_not_found", "This card is not known.")
            proof = body.get("offline_proof")
            if proof:
                challenge = offline_challenge(
                    terminal=body["terminal_code"], receipt=body["receipt_number"],
                    sold_at=datetime.fromisoformat(body["occurred_at"]), counter=proof["counter"])
                key = self.master_keys.card_key(proof["key_version"], proof["card_number"])
                if (proof["card_number"] != body["card_number"]
                        or not answer_matches(key, challenge, bytes.fromhex(proof["answer"]))):
                    return 422, _error(422, "offline_proof_invalid", "The offline card proof is invalid.")
                if (body["terminal_code"], proof["counter"]) in self.used_offline:
                    return 409, _error(409, "offline_proof_used", "This offline proof was used.")
                self.used_offline.add((body["terminal_code"], proof["counter"]))
            member_id = card["member_id"]
        elif "card_uid" in body:
            if body["card_uid"] not in self.uids:
                return 404, _error(404, "card_not_found", "This card is not known.")
            member_id = self.uids[body["card_uid"]]["member_id"]
        else:
            return 422, _error(422, "invalid_input", "No card given.")
        points = sum(int(line["amount_minor"]) for line in body["lines"]) // 100
        self.members[member_id]["available"] += points
        record = dict(body, member_id=member_id, points=points)
        self.accruals.append(record)
        # the real answer's shape (api.schemas.terminal.AccrualResultSchema), in its parts a till reads
        return 201, {"transaction_id": len(self.accruals), "member_id": member_id,
                     "receipt_number": body["receipt_number"], "points": points,
                     "rules": [{"rule_key": "base", "applied": points}],
                     "balance": self.members[member_id]["available"]}

    def _staff(self, path, headers, body):
        if path == "/v1/staff/sessions":
            if self.staff.get(body.get("username")) != body.get("password"):
                return 401, _error(401, "bad_credentials", "Wrong user name or password.")
            token = secrets.token_hex(12)
            self.staff_tokens.add(token)
            return 201, {"token": token}
        if path.startswith("/v1/staff/cards/") and path.endswith("/activate"):
            number = path.split("/")[4]
            if headers.get("Authorization", "").removeprefix("Bearer ") not in self.staff_tokens:
                return 401, _error(401, "staff_only", "Only staff can activate cards.")
            if number not in self.cards:
                return 404, _error(404, "unknown_card", f"unknown card {number!r}")
            self.cards[number]["activated"] = True
            return 200, {"number": number, "status": "active"}
        if path == "/v1/staff/card-issues":
            token = headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.staff_tokens:
                return 401, _error(401, "staff_only", "Only staff can issue cards.")
            number = f"628000{len(self.cards) + 1:010d}"
            key = self.add_card(number, body["member_id"])
            return 201, {"card_number": number, "key_version": 1, "card_key": key.hex()}
        return 404, _error(404, "not_found", "No such endpoint.")


def _error(status, error, message):
    return {"code": status, "status": "error", "error": error, "message": message, "errors": {}}


def _handler(server: FakeLoyaltyServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()  # answers go out at once, not after the client's delayed ACK
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if server.down:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status, payload = server.handle("POST", self.path, self.headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if status == 429:
                self.send_header("Retry-After", "7")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
