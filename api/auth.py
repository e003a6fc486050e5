"""Who is calling: terminals sign each request, members and staff present bearer tokens.

Terminal requests carry three headers::

    X-Loyalty-Key:        the terminal key id (tk_...)
    X-Loyalty-Timestamp:  unix seconds when the request was made
    X-Loyalty-Signature:  hex HMAC-SHA256(secret, METHOD \\n PATH?QUERY \\n TIMESTAMP \\n
                          IDEMPOTENCY-KEY-OR-EMPTY \\n hex SHA-256 of the body)

A captured request cannot be replayed outside the clock-skew window (60 s by default), and
inside it every write is idempotent by its key, which the signature covers.

Every refusal (401, 403) and every staff request is written to the audit log.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps

from flask import current_app, g, request

from api.context import database, now
from api.json_body import loads
from api.rate_limits import limit
from engine.access.member_logins import member_principal
from engine.access.principals import Principal, require_permission
from engine.access.staff import staff_principal
from engine.access.terminal_keys import signing_key
from engine.audit import record_audit
from engine.errors import NotAllowed, NotAuthenticated, NotFound, not_found
from engine.snapshot import (ProgrammeMoved, ProgrammeSnapshot, confirm_pin, current_programme, kept_programme,
                             pinned)

KEY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-Loyalty-Key", "X-Loyalty-Timestamp", "X-Loyalty-Signature"
TERMINAL_AUTH = {"TerminalSignature": []}
BEARER_AUTH = {"BearerToken": []}
SECURITY_SCHEMES = {
    "TerminalSignature": {"type": "apiKey", "in": "header", "name": KEY_HEADER,
                          "description": "with X-Loyalty-Timestamp and X-Loyalty-Signature (see the API description)"},
    "BearerToken": {"type": "http", "scheme": "bearer"},
}


def signature(secret: str, method: str, path: str, timestamp: str, idempotency_key: str, body: bytes) -> str:
    """The signature a terminal puts on a request."""
    message = "\n".join([method.upper(), path, timestamp, idempotency_key, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def request_path() -> str:
    query = request.query_string.decode()
    return request.path + ("?" + query if query else "")


def terminal_principal(snapshot: ProgrammeSnapshot) -> Principal:
    """The terminal whose key (in ``snapshot``) signed this request; NotAuthenticated otherwise."""
    key_id, stamp, given = (request.headers.get(h) for h in (KEY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not (key_id and stamp and given):
        raise NotAuthenticated(f"terminal requests must be signed ({KEY_HEADER}, {TIMESTAMP_HEADER}, "
                               f"{SIGNATURE_HEADER})", code="signature_missing")
    if not _timely(stamp):
        raise NotAuthenticated("the request's timestamp is too far from the server's clock; check the "
                               "terminal's clock (or this is a replayed request)", code="stale_request")
    key = signing_key(database(), key_id, snapshot)
    expected = signature(key.secret, request.method, request_path(), stamp,
                         request.headers.get("Idempotency-Key", ""), request.get_data(cache=True))
    # compared as bytes: compare_digest refuses text holding a non-ASCII character (a header may)
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise NotAuthenticated("the request's signature does not match", code="bad_signature")
    return Principal(kind="terminal", name=key.terminal_code, store_code=key.store_code)


# Unix seconds have 10 digits until the year 2286: a longer stamp is far from now, and is not
# read as a number (309 digits overflow a float, 4,301 exceed the interpreter's int conversion).
TIMESTAMP_DIGITS = 12


def _timely(stamp: str) -> bool:
    """Whether ``stamp`` is unix seconds within the clock skew the terminals are allowed."""
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp.lstrip("0")) > TIMESTAMP_DIGITS:
        return False
    return abs(now().timestamp() - int(stamp)) <= current_app.config["TERMINAL_CLOCK_SKEW"]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def terminal_only(view: Callable) -> Callable:
    """The view runs for a signed terminal request; ``g.principal`` is the terminal.

    The signature is checked against the configuration this process kept, and the request
    works with that configuration, pinned unchecked: its revision is compared with the
    database's in the request's first transaction (in the idempotency claim's statement, for
    writes), or at its end. If it moved (a key revoked, a terminal retired, ...), nothing has
    been committed, and the request runs again on the current configuration; so does a
    refused signature, which may be a key this process has not seen yet."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        db = database()
        snapshot = kept_programme(db)
        if snapshot is not None:
            try:
                return _on_snapshot(db, snapshot, False, view, args, kwargs)
            except ProgrammeMoved:
                pass
        return _on_snapshot(db, current_programme(db), True, view, args, kwargs)
    return wrapper


def _on_snapshot(db, snapshot: ProgrammeSnapshot, checked: bool, view: Callable, args, kwargs):
    with pinned(db, snapshot, checked=checked) as pin:
        try:
            g.principal = terminal_principal(snapshot)
            if not g.get("rate_counted"):  # once, also when the request runs again on a moved configuration
                limit("terminal", g.principal.name)
                g.rate_counted = True
            answer = view(*args, **kwargs)
        except ProgrammeMoved:
            raise
        except Exception:
            confirm_pin(db, pin)  # a refusal on a stale configuration is no refusal
            raise
        confirm_pin(db, pin)
        return answer


def member_only(view: Callable) -> Callable:
    """The view runs for a signed-in member; ``g.principal`` is the member."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        g.principal = member_principal(database(), bearer_token(), now=now())
        limit("member", g.principal.name)
        return view(*args, **kwargs)
    return wrapper


def staff_only(permission: str | None) -> Callable[[Callable], Callable]:
    """The view runs for signed-in staff holding ``permission`` (None: any signed-in staff,
    for signing out and setting up their own authenticator); the request is audited."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.principal = staff_principal(database(), bearer_token(), now=now())
            g.audit_action = permission
            limit("staff", g.principal.name)
            if permission is not None:
                require_permission(g.principal, permission)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def same_store(store_code: str) -> None:
    """Refuse a terminal acting for another store than its own."""
    if store_code != g.principal.store_code:
        raise NotAllowed(f"terminal {g.principal.name} belongs to store {g.principal.store_code}; "
                         f"it cannot act in store {store_code!r}", code="other_store")


def same_terminal(terminal_code: str) -> None:
    """Refuse a terminal sending a sale under another terminal's name."""
    if terminal_code != g.principal.name:
        raise NotAllowed(f"this request is signed by terminal {g.principal.name}; it cannot speak for "
                         f"terminal {terminal_code!r}", code="other_terminal")


def hidden_refusal(kind: str, key: str) -> NotFound:
    """The 404 for an object the caller may not see (another member's card, ...): the caller
    learns nothing about it, and the audit log records the attempt as a refused access."""
    g.hidden_refusal = f"{kind} {key} belongs to someone else"
    return not_found(kind, key)


def audit_as(actor: str) -> None:
    """Audit this request as ``actor``'s: a sign-in, whose caller has just proved who they are."""
    g.audit_actor = actor


def install_audit(app) -> None:
    """Audit every staff request, every change a member makes (API and portal alike: their
    profile, password, PIN, cards, redemptions, ...), every sign-in, and every refused
    authentication or authorisation: an account taken over can be traced."""
    @app.after_request
    def audit(response):
        principal = g.get("principal")
        actor = principal.actor if principal is not None else g.get("audit_actor")
        refused = response.status_code in (401, 403) or g.get("hidden_refusal") is not None
        kind = principal.kind if principal is not None else None
        member_change = kind == "member" and request.method not in ("GET", "HEAD", "OPTIONS")
        if refused or kind == "staff" or member_change or g.get("audit_actor"):
            detail = dict(g.get("audit_detail") or {})  # what the view said it changed, if anything
            if refused and response.is_json:
                detail["error"] = (response.get_json(silent=True) or {}).get("error")
                if g.get("hidden_refusal"):
                    detail["refused"] = g.hidden_refusal
            action = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
            if kind == "staff" and response.status_code < 400 and action in CONFIGURATION_CHANGES:  # (a form: 302)
                detail["asked"] = _asked()
            record_audit(database(), actor=actor or _claimed_actor(), action=action,
                         target=request.path, outcome=str(response.status_code), now=now(),
                         source=request.remote_addr, request_id=g.get("request_id"), detail=detail or None)
        return response


# Changes of the programme's configuration whose audit entry keeps what was asked (the new
# definition, price, end, ...), over the API and on the console's forms: none of these bodies
# holds personal data or a secret, which an append-only log could never forget. (A change's old
# values are in the entry before it; the console's settings page records both itself.)
CONFIGURATION_CHANGES = frozenset({
    "PUT /v1/staff/tiers", "POST /v1/staff/rewards", "PATCH /v1/staff/rewards/<reward_code>",
    "POST /v1/staff/rules/drafts", "POST /v1/staff/rules/publish", "POST /v1/staff/rules/<rule_key>/rollback",
    "POST /v1/staff/rules/import", "POST /v1/staff/campaigns", "PATCH /v1/staff/campaigns/<code>",
    "POST /v1/staff/stores", "POST /v1/staff/terminals", "POST /v1/staff/segments", "PATCH /v1/staff/segments/<code>",
    "POST /console/rules/new", "POST /console/rules/<key>/edit", "POST /console/rules/<key>/rollback",
    "POST /console/campaigns", "POST /console/campaigns/<code>", "POST /console/programme",
    "POST /console/rewards/<code>", "POST /console/tiers", "POST /console/stores", "POST /console/stores/terminals",
    "POST /console/segments", "POST /console/segments/<code>"})
MAX_AUDITED_BODY = 16_384  # bytes: a larger body (a big rule import) is noted by its size
NOT_ASKED = ("csrf_token", "form_key")  # a form's own fields, not the change


def _asked():
    """What the request asked, for the audit entry: its JSON body or its form's fields, or
    its size when too large to keep."""
    size = request.content_length or 0
    if size > MAX_AUDITED_BODY:
        return {"bytes": size}
    if request.form:  # (parsed by the view already)
        return {name: value for name, value in request.form.items(multi=False) if name not in NOT_ASKED}
    return request.get_json(silent=True)


def _claimed_actor() -> str:
    """Who a refused caller said they were: a terminal key id, or the username / e-mail of a
    failed sign-in (never the password), so that guessing shows up in the audit log."""
    key = request.headers.get(KEY_HEADER)
    if key:
        return f"unauthenticated (claimed terminal key {key[:40]})"
    try:
        body = loads(request.get_data(cache=True)) if request.is_json else None
    except ValueError:
        body = None
    claimed = isinstance(body, dict) and (body.get("username") or body.get("email"))
    return f"unauthenticated (claimed {str(claimed)[:80]})" if claimed else "anonymous"
