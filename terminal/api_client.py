"""The till's HTTP client for the loyalty server's terminal and staff endpoints.

Thin on purpose: one method per endpoint, JSON in and out, the request signature, and
errors turned into :class:`ApiError` (the server said no: show ``message``, branch on
``error``/``status``) or :class:`ApiUnreachable` (network failure, timeout, 5xx, or 409
``request_in_flight``: the server is still working on an earlier try of the same request,
so there is no answer yet; an accrual goes to the outbox and its retry gets the answer).

Signature (every terminal request)::

    X-Loyalty-Key:       <credential key id>
    X-Loyalty-Timestamp: <unix seconds>
    X-Loyalty-Signature: hex HMAC-SHA256(secret utf-8,
        METHOD \\n PATH_WITH_QUERY \\n TIMESTAMP \\n IDEMPOTENCY_KEY_OR_EMPTY \\n SHA256_HEX(BODY))

Writes carry ``Idempotency-Key``; the server accepts +-60 s of clock skew. When it refuses
the till's timestamp (``stale_request``), the client measures how far the till's clock is off
from the answer's ``Date`` header (``clock_offset``), so the till does not stamp its sales with
a clock it knows is wrong.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

import requests

from terminal.errors import ApiError, ApiUnreachable, ServerBusy


def signature(secret: str, method: str, path_with_query: str, timestamp: str,
              idempotency_key: str | None, body: bytes) -> str:
    """The hex HMAC-SHA256 the server expects in ``X-Loyalty-Signature``."""
    message = "\n".join([method.upper(), path_with_query, timestamp, idempotency_key or "",
                         hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Credentials:
    """A terminal's API credential: key id and shared secret."""
    key_id: str
    secret: str


class ApiClient:
    """Signed JSON requests to the loyalty server (``base_url`` like ``http://host:8000``)."""

    def __init__(self, base_url: str, credentials: Credentials | None = None, *,
                 timeout: float = 5.0, clock: Callable[[], float] = time.time,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.timeout = timeout
        self.clock = clock
        self.http = session or requests.Session()
        # seconds the server's clock is ahead of this till's (negative: behind), as measured when
        # the server last refused the till's timestamp; 0 once it takes the till's time again
        self.clock_offset = 0.0

    def close(self) -> None:
        self.http.close()

    # -- transport -------------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict | None = None, *,
                idempotency_key: str | None = None, bearer: str | None = None,
                signed: bool = True) -> dict:
        """Send one request; the decoded JSON answer, ApiError or ApiUnreachable."""
        url = self.base_url + path
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if signed and self.credentials is not None:
            split = urlsplit(url)
            path_with_query = split.path + (f"?{split.query}" if split.query else "")
            timestamp = str(int(self.clock()))
            headers.update({
                "X-Loyalty-Key": self.credentials.key_id,
                "X-Loyalty-Timestamp": timestamp,
                "X-Loyalty-Signature": signature(self.credentials.secret, method,
                                                 path_with_query, timestamp,
                                                 idempotency_key, data),
            })
        try:
            response = self.http.request(method, url, data=data or None, headers=headers,
                                         timeout=self.timeout)
        except requests.Timeout:
            raise ApiUnreachable(f"The loyalty server did not answer within "
                                 f"{self.timeout:g} s.") from None
        except requests.RequestException as error:
            raise ApiUnreachable(f"The loyalty server cannot be reached ({type(error).__name__}).") from None
        if response.status_code == 503 and _error_name(response) == "database_unavailable":
            raise ApiUnreachable("The loyalty server cannot reach its database just now (HTTP 503).")
        if response.status_code >= 500:
            raise ApiUnreachable(f"The loyalty server has a fault (HTTP {response.status_code}).")
        if response.status_code == 429:  # over this till's rate: the request was not judged
            wait = response.headers.get("Retry-After", "")
            raise ServerBusy("The loyalty server asks this till to slow down"
                             + (f" for {wait} s" if wait.isdecimal() else "") + "; it will be sent again.")
        try:
            payload = response.json() if response.content else {}
        except ValueError:
            payload = None
        if response.status_code >= 400:
            if not (isinstance(payload, dict) and payload.get("error")):
                # not the loyalty server's refusal (its error body names the error): a proxy's
                # or a load balancer's page (408, 404 of a wrong address): the request was not
                # judged, and a sale in the outbox must not be given up for it
                raise ApiUnreachable(f"Something between this till and the loyalty server answered "
                                     f"HTTP {response.status_code}; it will be sent again.")
            if response.status_code == 401 and payload.get("error") == "stale_request":
                self._measure_clock(response)
            if response.status_code == 409 and payload.get("error") == "request_in_flight":
                raise ApiUnreachable("The loyalty server is still working on an earlier try of this "
                                     "request; it will be sent again.")
            raise ApiError(str(payload.get("message") or f"The loyalty server refused the "
                               f"request (HTTP {response.status_code})."),
                           status=response.status_code, error=str(payload.get("error", "")),
                           code=str(payload.get("code", "")), problems=payload.get("errors"))
        if not isinstance(payload, dict):
            raise ApiUnreachable("The loyalty server gave an answer that is not JSON.")
        if signed and self.credentials is not None:
            self.clock_offset = 0.0  # the server took the till's timestamp: its clock is right again
        return payload

    def _measure_clock(self, response) -> None:
        """How far the till's clock is from the server's, by the ``Date`` of a refusal of the
        till's timestamp (to the second: far finer than the skew the server allows)."""
        try:
            server_time = parsedate_to_datetime(response.headers.get("Date", ""))
        except (TypeError, ValueError):
            return  # no date to go by: the offset stays as it was
        if server_time.tzinfo is None:  # "-0000": UTC, by RFC 5322
            server_time = server_time.replace(tzinfo=timezone.utc)
        self.clock_offset = server_time.timestamp() - self.clock()

    # -- terminal endpoints ----------------------------------------------------------------
    def card_challenge(self, card_number: str) -> dict:
        """``{challenge_id, challenge (hex), expires_at}`` for our card."""
        return self.request("POST", "/v1/terminal/card-challenges", {"card_number": card_number})

    def card_session(self, *, challenge_id: str | None = None, answer: bytes | None = None,
                     card_uid: str | None = None, pin: str | None = None) -> dict:
        """Open a card session from a challenge answer (our card) or a UID, with the member's
        PIN when given (to pay with points where the programme asks for it)."""
        body = {"challenge_id": challenge_id, "answer": answer.hex()} if challenge_id is not None else \
            {"card_uid": card_uid}
        if pin is not None:
            body["pin"] = pin
        return self.request("POST", "/v1/terminal/card-sessions", body)

    def accrue(self, body: dict, idempotency_key: str) -> dict:
        return self.request("POST", "/v1/terminal/accruals", body, idempotency_key=idempotency_key)

    def place_hold(self, *, card_session: str, receipt_number: str, points: int,
                   idempotency_key: str, cashier: str | None = None) -> dict:
        body = {"card_session": card_session, "receipt_number": receipt_number, "points": points}
        if cashier:
            body["cashier"] = cashier
        return self.request("POST", "/v1/terminal/holds", body, idempotency_key=idempotency_key)

    def capture_hold(self, hold_id: str, *, idempotency_key: str, points: int | None = None) -> dict:
        body = {} if points is None else {"points": points}
        return self.request("POST", f"/v1/terminal/holds/{hold_id}/capture", body,
                            idempotency_key=idempotency_key)

    def void_hold(self, hold_id: str, *, idempotency_key: str) -> dict:
        return self.request("POST", f"/v1/terminal/holds/{hold_id}/void", {},
                            idempotency_key=idempotency_key)

    def return_payment(self, hold_id: str, *, idempotency_key: str) -> dict:
        return self.request("POST", f"/v1/terminal/holds/{hold_id}/return", {},
                            idempotency_key=idempotency_key)

    def refund(self, body: dict, idempotency_key: str) -> dict:
        return self.request("POST", "/v1/terminal/refunds", body, idempotency_key=idempotency_key)

    def use_voucher(self, code: str, idempotency_key: str) -> dict:
        return self.request("POST", f"/v1/terminal/vouchers/{quote(code, safe='')}/use", {},
                            idempotency_key=idempotency_key)

    # -- staff (issuing station) -----------------------------------------------------------
    def staff_login(self, username: str, password: str) -> str:
        """A staff bearer token."""
        return self.request("POST", "/v1/staff/sessions",
                            {"username": username, "password": password}, signed=False)["token"]

    def activate_card(self, token: str, card_number: str) -> dict:
        """Make a written and checked card usable."""
        return self.request("POST", f"/v1/staff/cards/{card_number}/activate", {}, bearer=token, signed=False)

    def issue_card(self, token: str, member_id: str, idempotency_key: str | None = None) -> dict:
        """``{card_number, key_version, card_key (hex)}`` for a new card of ``member_id``."""
        return self.request("POST", "/v1/staff/card-issues", {"member_id": member_id},
                            bearer=token, signed=False, idempotency_key=idempotency_key)


def _error_name(response) -> str | None:
    """The ``error`` of a JSON error body, or None."""
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload.get("error") if isinstance(payload, dict) else None
