"""Webhooks: the programme's events pushed to the chain's other systems (a CRM, an e-mail
service, a data warehouse) as signed JSON posts.

Guarantees:
- an event is recorded in the transaction of what it reports (a transactional outbox): it
  is sent if and only if that commits, and recording it costs nothing when no active
  endpoint takes its kind (the endpoints are part of the kept configuration,
  ``engine.snapshot``); the nightly jobs and bulk credits write theirs (a review's tier
  changes, the expiry, birthday bonuses, grants, imported balances) set-based with their own
  statements (:func:`record_events_selected`); every posting that moves a member's points is
  an event of some kind;
- every active endpoint taking the event's kind gets it at least once, in a delivery of its
  own; the event's ``id`` is the same for every endpoint and every attempt (and names what
  it reports where that has an id of its own: a tier change, an expiry posting), so a
  receiver drops repeats by it. Events carry public ids and amounts, never a member's personal data
  or a voucher's code;
- every post is signed: ``Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
  "<t>.<body>" under the endpoint's secret>`` (:func:`signature_matches` is the check a
  receiver makes); the secret is shown once, when the endpoint is added, and kept sealed
  with the data keys (``engine.sealing``);
- an endpoint's URL is https, without a user or password, and its host resolves to public
  addresses only; the post goes to an address so checked at the moment of sending (DNS
  cannot point it elsewhere in between), redirects are not followed. Hosts the operator
  lists (``private_hosts``: an internal receiver) may be private and plain http;
- an attempt fails on a network error, a timeout (``TIMEOUT_SECONDS``) or an answer other
  than 2xx, and is tried again after ``RETRY_AFTER``; after ``MAX_ATTEMPTS`` the delivery is
  failed, listed for staff, and can be sent again by hand. A delivery taken by a sender
  that stopped is taken again once its lease runs out. A receiver that is down, slow or far
  behind holds up no other: a round takes a batch per endpoint and sends them side by side;
- delivered and failed deliveries are forgotten after ``KEEP_DAYS`` (the daily purge).
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.database import Database, insert_unique, json_object
from engine.errors import Conflict, InvalidState, Problem, not_found, refuse_if
from engine.orm.types import UTCDateTime
from engine.orm.webhooks import WebhookDeliveryRow, WebhookEndpointRow
from engine.plain import to_plain
from engine.snapshot import programme

EVENT_KINDS: dict[str, str] = {
    "member.enrolled": "a member joined (at a till, online or by staff)",
    "member.closed": "a member's account was closed and their personal data erased",
    "points.earned": "a purchase earned points",
    "points.refunded": "returned goods took earned points back or gave spent points back",
    "points.spent": "a member paid part of a bill with points at a till",
    "points.adjusted": "staff credited or debited a member's points by hand (approved, where it needs approval)",
    "points.credited": "points credited outside a purchase: a birthday bonus, a referrer's bonus, a points grant, "
                       "an imported opening balance, a cancelled voucher's points given back",
    "reward.redeemed": "a member bought a reward with points",
    "reward.used": "a member's reward voucher was used (the reward handed over)",
    "tier.changed": "a member moved up or down a tier (an upgrade, a review, staff's assignment)",
    "points.expired": "a member's points expired (the nightly expiry)",
}
# why ``points.credited`` points came: the event's ``reason``
CREDIT_REASONS = ("birthday_bonus", "referral_bonus", "points_grant", "opening_balance", "voucher_cancelled",
                  "payment_returned")
CREDIT_EVENT_PREFIX = "evt_credit_"  # + the posting's id: a credit's event id
TEST_KIND = "webhook.test"  # sent to one endpoint by hand, whatever kinds it takes
MAX_ENDPOINTS = 20
MAX_URL = 2000
MAX_DESCRIPTION = 200
MAX_ATTEMPTS = 8
RETRY_AFTER = tuple(timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720, 1440))  # after attempt 1, 2, ...
TIMEOUT_SECONDS = 5.0
BATCH = 50  # deliveries one sending round takes at most per endpoint
POSTS_AT_ONCE = 4  # an endpoint's posts in flight at once (after the round's first went through)
# A round takes at most BATCH attempts of at most a connect and a read timeout each; until
# then no other sender takes its deliveries.
LEASE = timedelta(seconds=BATCH * 2 * TIMEOUT_SECONDS + 60)
KEEP_DAYS = 30
SIGNATURE_HEADER = "Loyalty-Signature"
SIGNATURE_TOLERANCE = timedelta(minutes=5)
ENDPOINT_IDS, DELIVERY_IDS = 2**31, 2**63  # the id columns' ranges on PostgreSQL

# (host, port) -> the host's addresses, as text
Resolver = Callable[[str, int], list[str]]
# (url, address to connect to, body, headers) -> the answer's status; raises OSError or
# http.client.HTTPException when there is no answer
Sender = Callable[[str, str, bytes, dict[str, str]], int]


@dataclass(frozen=True)
class WebhookEndpoint:
    id: int
    url: str
    kinds: tuple[str, ...]
    description: str
    active: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class NewWebhookEndpoint:
    """An endpoint just added (or given a new secret), with the secret its deliveries are
    signed with: shown this once."""
    endpoint: WebhookEndpoint
    secret: str

    def shown(self) -> dict:
        """The endpoint's fields and the secret, as one record to show."""
        return {**vars(self.endpoint), "secret": self.secret}


@dataclass(frozen=True)
class WebhookDelivery:
    id: int
    endpoint_id: int
    event_id: str
    kind: str
    created_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None  # when it is tried next (pending only)
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None


@dataclass(frozen=True)
class SendingRound:
    """What one round of :func:`deliver_webhooks` did: posts taken, posts to be tried again,
    deliveries failed for good, and deliveries left for the next round untried."""
    delivered: int
    retrying: int
    failed: int
    deferred: int = 0


def private_hosts(text: str) -> frozenset[str]:
    """The operator's list of hosts that may be private (``"crm.internal,10.0.0.5"``)."""
    return frozenset(host.strip().lower().strip("[]") for host in text.split(",") if host.strip())


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system's resolver)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def url_problems(url: object, *, allowed_private: frozenset[str], resolver: Resolver = resolve) -> list[Problem]:
    """Why ``url`` cannot receive webhooks (empty: it can), resolving its host now."""
    return _checked_address(url, allowed_private, resolver)[1]


def add_endpoint(db: Database, *, url: str, kinds: list[str], description: str = "", actor: str, now: datetime,
                 allowed_private: frozenset[str], resolver: Resolver = resolve) -> NewWebhookEndpoint:
    """Add an active endpoint for events of ``kinds``; refuses a URL that is not allowed (see
    the module), an unknown kind, a URL already added (409 ``webhook_exists``, so a retry adds
    no second) and more than ``MAX_ENDPOINTS``."""
    refuse_if(url_problems(url, allowed_private=allowed_private, resolver=resolver) + _kinds_problems(kinds)
              + _description_problems(description))
    secret = _new_secret()
    with db.transaction() as session:
        if session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpointRow)) >= MAX_ENDPOINTS:
            raise InvalidState(f"the programme has {MAX_ENDPOINTS} webhook endpoints: remove one first",
                               code="too_many_webhooks")
        _refuse_taken(session, url)
        row = WebhookEndpointRow(url=url, kinds=json.dumps(sorted(set(kinds))), description=description.strip(),
                                 secret=secret, active=True, created_at=now, created_by=actor)
        insert_unique(session, row, _taken(url))
        return NewWebhookEndpoint(_endpoint(row), secret)


def change_endpoint(db: Database, endpoint_id: int, *, allowed_private: frozenset[str], resolver: Resolver = resolve,
                    url: str | None = None, kinds: list[str] | None = None, description: str | None = None,
                    active: bool | None = None) -> WebhookEndpoint:
    """Change what is given (None: leave it); a new URL is checked like a new endpoint's.
    Deliveries waiting for a deactivated endpoint wait until it is active again."""
    problems = []
    if url is not None:
        problems += url_problems(url, allowed_private=allowed_private, resolver=resolver)
    if kinds is not None:
        problems += _kinds_problems(kinds)
    if description is not None:
        problems += _description_problems(description)
    if active is not None and not isinstance(active, bool):
        problems.append(Problem("active", "must be true or false"))
    refuse_if(problems)
    with db.transaction() as session:
        row = _endpoint_row(session, endpoint_id)
        if url is not None and url != row.url:
            _refuse_taken(session, url)
            row.url = url
        if kinds is not None:
            row.kinds = json.dumps(sorted(set(kinds)))
        if description is not None:
            row.description = description.strip()
        if active is not None:
            row.active = active
        try:
            session.flush()
        except IntegrityError as error:  # the URL taken by a concurrent change
            raise _taken(url) from error
        return _endpoint(row)


def renew_secret(db: Database, endpoint_id: int) -> NewWebhookEndpoint:
    """A new signing secret for the endpoint, shown this once; every post from now on (those
    waiting too: a post is signed when sent) is signed with it, and the old one signs nothing."""
    with db.transaction() as session:
        row = _endpoint_row(session, endpoint_id)
        row.secret = _new_secret()
        return NewWebhookEndpoint(_endpoint(row), row.secret)


def remove_endpoint(db: Database, endpoint_id: int) -> None:
    """Remove the endpoint and every delivery for it, sent or not."""
    with db.transaction() as session:
        row = _endpoint_row(session, endpoint_id)
        session.execute(sa.delete(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == row.id))
        session.delete(row)


def list_endpoints(db: Database) -> list[WebhookEndpoint]:
    """Every endpoint, oldest first (without secrets)."""
    with db.transaction() as session:
        return [_endpoint(row) for row in session.scalars(sa.select(WebhookEndpointRow).order_by(WebhookEndpointRow.id))]


def list_deliveries(db: Database, endpoint_id: int, *, status: str | None = None, before_id: int | None = None,
                    limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's deliveries, newest first, ``limit`` at a time (``before_id``: the page
    after the one ending with that id); ``status`` picks pending, delivered or failed ones."""
    problems = []
    if status is not None and status not in ("pending", "delivered", "failed"):
        problems.append(Problem("status", "must be pending, delivered or failed"))
    if not (isinstance(limit, int) and 1 <= limit <= 500):
        problems.append(Problem("limit", "must be from 1 to 500"))
    if before_id is not None and not _is_id(before_id, DELIVERY_IDS):
        problems.append(Problem("before_id", f"must be from 1 to {DELIVERY_IDS - 1}"))
    refuse_if(problems)
    d = WebhookDeliveryRow
    with db.transaction() as session:
        _endpoint_row(session, endpoint_id)
        query = sa.select(d).where(d.endpoint_id == endpoint_id).order_by(d.id.desc()).limit(limit)
        if status is not None:
            query = query.where(d.status == status)
        if before_id is not None:
            query = query.where(d.id < before_id)
        return [_delivery(row) for row in session.scalars(query)]


def send_again(db: Database, endpoint_id: int, delivery_id: int, *, now: datetime) -> WebhookDelivery:
    """Make a failed delivery pending again, with all its attempts ahead of it (the same
    event id: a receiver that got it after all drops it). Refuses one that is not failed."""
    with db.transaction() as session:
        row = session.scalar(sa.select(WebhookDeliveryRow).where(
            WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.endpoint_id == endpoint_id).with_for_update()) \
            if _is_id(endpoint_id, ENDPOINT_IDS) and _is_id(delivery_id, DELIVERY_IDS) else None
        if row is None:
            raise not_found("webhook delivery", delivery_id)
        if row.status != "failed":
            raise InvalidState(f"delivery {delivery_id} is {row.status}: only a failed one is sent again",
                               code="delivery_not_failed")
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        return _delivery(row)


def send_test_event(db: Database, endpoint_id: int, *, now: datetime) -> WebhookDelivery:
    """Queue a ``webhook.test`` event for this endpoint only, sent by the next round like any
    other (for an inactive endpoint, once it is active again)."""
    with db.transaction() as session:
        row = _endpoint_row(session, endpoint_id)
        event_id, body = _event(TEST_KIND, {"endpoint_id": row.id}, now)
        delivery = WebhookDeliveryRow(endpoint_id=row.id, event_id=event_id, kind=TEST_KIND, body=body,
                                      created_at=now, status="pending", attempts=0, next_attempt_at=now)
        session.add(delivery)
        session.flush()
        return _delivery(delivery)


def record_event(session: Session, kind: str, data: dict, *, now: datetime) -> None:
    """Record the event in the caller's transaction for every active endpoint taking ``kind``
    (no statement when none does). ``data`` is plain JSON data without personal data."""
    record_events(session, kind, [data], now=now)


def record_events(session: Session, kind: str, events: Iterable[dict], *, now: datetime,
                  event_ids: Iterable[str] | None = None) -> None:
    """:func:`record_event` for several events of one kind, in one statement. ``event_ids``:
    ids that name what the events report (else random ones)."""
    endpoints = programme(session).webhook_endpoints.get(kind)
    if not endpoints:
        return
    rows = []
    for data, event_id in zip(events, event_ids or iter(_new_event_id, None)):
        event_id, body = _event(kind, data, now, event_id)
        rows += [dict(endpoint_id=endpoint, event_id=event_id, kind=kind, body=body, created_at=now,
                      status="pending", attempts=0, next_attempt_at=now) for endpoint in endpoints]
    if rows:
        session.execute(_INSERT_DELIVERIES, rows)


def record_credit(session: Session, *, member_id: str, points: int, reason: str, transaction_id: int,
                  at: datetime, now: datetime) -> None:
    """Record a ``points.credited`` event for one posting (named by it: ``evt_credit_<id>``);
    ``engine.ledger.bulk.credit_members`` writes the same events set-based."""
    assert reason in CREDIT_REASONS, reason
    record_events(session, "points.credited", [dict(member_id=member_id, points=points, reason=reason, at=at,
                                                     transaction_id=transaction_id)],
                  now=now, event_ids=[f"{CREDIT_EVENT_PREFIX}{transaction_id}"])


# built once, and on the table rather than the ORM class: accruals run it (an ORM bulk
# insert costs several times the Python work of the same Core insert)
_INSERT_DELIVERIES = sa.insert(WebhookDeliveryRow.__table__)


def deliver_webhooks(db: Database, *, now: datetime, allowed_private: frozenset[str], resolver: Resolver = resolve,
                     send: Sender | None = None, limit: int = BATCH) -> SendingRound:
    """One sending round: take up to ``limit`` deliveries that are due for each active
    endpoint (oldest first), post each, record how it went. The endpoints' posts go side by
    side (a thread each), so a slow or backlogged receiver holds up no other; an endpoint's
    first post of the round goes alone, and once it went through, the others
    ``POSTS_AT_ONCE`` at a time. Once an endpoint's attempt fails, its other deliveries of the
    round wait for the next one without an attempt counted, so a receiver that is down costs
    a round one timeout, not one per event. Safe to run in several processes at once: a
    delivery taken by one is leased to it (``LEASE``). Posts to one receiver share kept
    connections (``send``: :class:`Connections` for the round)."""
    with Connections() as connections:
        return _round(db, now, allowed_private, resolver, send or connections, limit)[0]


def deliver_due(db: Database, *, now: datetime, allowed_private: frozenset[str], within: float = 50.0,
                resolver: Resolver = resolve, send: Sender | None = None, limit: int = BATCH) -> SendingRound:
    """Sending rounds one after the other until no endpoint has a full batch due, or
    ``within`` seconds have passed (the scheduler's minute); what they did together."""
    started, total = time.monotonic(), SendingRound(0, 0, 0, 0)
    with Connections() as connections:  # kept over the rounds
        while True:
            done, more = _round(db, now, allowed_private, resolver, send or connections, limit)
            total = SendingRound(*(a + b for a, b in zip(astuple(total), astuple(done))))
            if not more or time.monotonic() - started >= within:
                return total


def _round(db: Database, now: datetime, allowed_private: frozenset[str], resolver: Resolver, send: Sender,
           limit: int) -> tuple[SendingRound, bool]:
    """One round: what it did, and whether an endpoint had a full batch (more may be due)."""
    batches = _take_due(db, now, limit)
    started = time.monotonic()

    def attempt(row) -> tuple:
        # signed when sent: a long round must not send posts a receiver takes for old ones
        at = now + timedelta(seconds=time.monotonic() - started)
        return (row, *_attempt(row, send, at, allowed_private, resolver))

    def send_batch(rows: list) -> list:
        """An endpoint's batch: its first post alone; once that went through, the others
        ``POSTS_AT_ONCE`` at a time, until one fails (the rest wait for the next round)."""
        first = attempt(rows[0])
        if first[2] is not None:
            return [first] + [(row, None, _DEFERRED) for row in rows[1:]]
        failed = threading.Event()

        def lane(rows: list) -> list:
            outcomes = []
            for row in rows:
                outcomes.append((row, None, _DEFERRED) if failed.is_set() else attempt(row))
                if outcomes[-1][2] is not None:
                    failed.set()
            return outcomes

        lanes = [rows[1 + n::POSTS_AT_ONCE] for n in range(min(POSTS_AT_ONCE, len(rows) - 1))]
        return [first, *(outcome for outcomes in _side_by_side(lane, lanes) for outcome in outcomes)]

    sent = _side_by_side(send_batch, batches)
    return _record(db, now, [outcome for outcomes in sent for outcome in outcomes]), any(
        len(rows) == limit for rows in batches)


def _side_by_side(work: Callable, items: list) -> list:
    """``[work(item) for item in items]``, a thread each when there are several."""
    if len(items) < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(len(items), thread_name_prefix="webhooks") as pool:
        return list(pool.map(work, items))


_DEFERRED = "not tried: an earlier attempt to the endpoint failed in the same round"


def _take_due(db: Database, now: datetime, limit: int) -> list[list]:
    """Up to ``limit`` due deliveries of each active endpoint (oldest first), leased: a batch
    per endpoint with any due."""
    d, e = WebhookDeliveryRow, WebhookEndpointRow
    with db.transaction() as session:
        batches = []
        for endpoint_id, url, secret in session.execute(sa.select(e.id, e.url, e.secret).where(e.active.is_(True))):
            due = session.execute(
                sa.select(d.id, d.endpoint_id, d.body, d.event_id, d.kind, d.attempts)
                .where(d.endpoint_id == endpoint_id, d.status == "pending", d.next_attempt_at <= now)
                .order_by(d.next_attempt_at, d.id).limit(limit).with_for_update(skip_locked=True)).all()
            if due:
                batches.append([_Due(*row, url=url, secret=secret) for row in due])
        if batches:
            session.execute(sa.update(d).where(d.id.in_([row.id for rows in batches for row in rows]))
                            .values(next_attempt_at=now + LEASE, last_attempt_at=now))
    return batches


@dataclass(frozen=True, slots=True)
class _Due:
    """A delivery taken for a round, with its endpoint's URL and secret."""
    id: int
    endpoint_id: int
    body: str
    event_id: str
    kind: str
    attempts: int
    url: str
    secret: str


def _attempt(row, send: Sender, at: datetime, allowed_private: frozenset[str],
             resolver: Resolver) -> tuple[int | None, str | None]:
    """(the receiver's status, what went wrong or None) of one post."""
    address, problems = _checked_address(row.url, allowed_private, resolver)
    if problems:
        return None, "; ".join(p.message for p in problems)
    body = row.body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": "loyalty-webhooks/1", "Loyalty-Event": row.kind,
               "Loyalty-Event-Id": row.event_id, "Loyalty-Delivery": str(row.id),
               SIGNATURE_HEADER: signature(row.secret, body, at)}
    try:
        status = send(row.url, address, body, headers)
    except (OSError, http.client.HTTPException) as failure:
        return None, f"{type(failure).__name__}: {failure}"
    return status, None if 200 <= status < 300 else f"answered {status}"


def _record(db: Database, now: datetime, outcomes: list) -> SendingRound:
    d = WebhookDeliveryRow
    counts = {"delivered": 0, "retrying": 0, "failed": 0, "deferred": 0}
    changes: dict[tuple, list[int]] = {}  # the same change for many deliveries is one statement
    for row, status, error in outcomes:
        attempts = row.attempts + (error is not _DEFERRED)
        if error is None:
            outcome, values = "delivered", (("status", "delivered"),)
        elif error is _DEFERRED:
            outcome, values = "deferred", (("next_attempt_at", now + RETRY_AFTER[0]),)
        elif attempts >= MAX_ATTEMPTS:
            outcome, values = "failed", (("status", "failed"),)
        else:
            outcome, values = "retrying", (("next_attempt_at", now + RETRY_AFTER[attempts - 1]),)
        counts[outcome] += 1
        key = values + (("attempts", attempts), ("last_status", status),
                        ("last_error", None if error is None else error[:300]))
        changes.setdefault(key, []).append(row.id)
    with db.transaction() as session:
        for values, ids in changes.items():
            session.execute(sa.update(d).where(d.id.in_(ids), d.status == "pending").values(dict(values)))
    return SendingRound(**counts)


def purge_deliveries(db: Database, *, as_of: datetime) -> int:
    """Forget deliveries ``KEEP_DAYS`` after they were delivered or failed (their last attempt;
    an event that waited long for its endpoint is kept as long as a prompt one); how many."""
    d = WebhookDeliveryRow
    with db.transaction() as session:
        last_touched = sa.func.coalesce(d.last_attempt_at, d.created_at)
        return session.execute(sa.delete(d).where(
            d.status != "pending", last_touched < as_of - timedelta(days=KEEP_DAYS))).rowcount


def signature(secret: str, body: bytes, at: datetime) -> str:
    """The ``Loyalty-Signature`` header of ``body`` sent at ``at``."""
    stamp = int(at.timestamp())
    return f"t={stamp},v1={_mac(secret, stamp, body)}"


def signature_matches(secret: str, header: str, body: bytes, *, now: datetime,
                      tolerance: timedelta = SIGNATURE_TOLERANCE) -> bool:
    """The receiver's check: ``header`` signs ``body`` under ``secret`` and was made within
    ``tolerance`` of ``now`` (so a captured post cannot be replayed later)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdecimal() or "v1" not in fields:
        return False
    stamp = int(fields["t"])
    if abs(now.timestamp() - stamp) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(_mac(secret, stamp, body), fields["v1"])


def post(url: str, address: str, body: bytes, headers: dict[str, str], *, tls: ssl.SSLContext | None = None) -> int:
    """POST ``body`` to ``url`` over a new connection to ``address``, as :class:`Connections`
    posts; the answer's status."""
    with Connections(tls) as connections:
        return connections(url, address, body, headers)


class Connections:
    """A :data:`Sender` that keeps connections open between posts (per URL origin and
    address, up to ``POSTS_AT_ONCE`` idle ones), until closed: a round's posts to one receiver
    share its connections (and over https their TLS handshakes) instead of opening one each.
    Safe to call from several threads: a connection serves one post at a time.

    Every post connects to the ``address`` it is given (checked just before); a connection
    is used again only for the same address. TLS for https is verified against the URL's host
    (``tls``: the system's trusted authorities). Redirects are answers. A connection is kept
    only when the receiver did not ask to close it and its answer was small and of known
    length (``KEPT_ANSWER_BYTES``), read to the end within ``TIMEOUT_SECONDS``; the body of any
    other answer is not read, so a receiver cannot hold a round by trickling one. A kept
    connection the receiver has closed meanwhile is replaced by a new one for the post (which
    a receiver may then see twice: delivery is at least once)."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self._tls = tls
        # per origin, up to POSTS_AT_ONCE idle connections
        self._kept: dict[tuple[str, str, int, str], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()  # a round's threads share it

    def __call__(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> int:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        origin = (parts.scheme, parts.hostname, port, address)
        with self._lock:
            idle = self._kept.get(origin)
            connection = idle.pop() if idle else None
        response = None
        if connection is not None:
            try:
                response = _exchange(connection, target, body, headers)
            except ConnectionError:  # closed by the receiver since the last post: a new one
                connection.close()
        if response is None:
            connection = self._connection(parts.scheme, parts.hostname, port, address)
            try:
                response = _exchange(connection, target, body, headers)
            except BaseException:
                connection.close()
                raise
        reusable = _read_to_end(response)
        with self._lock:
            idle = self._kept.setdefault(origin, [])
            if reusable and len(idle) < POSTS_AT_ONCE:
                idle.append(connection)
                connection = None
        if connection is not None:
            connection.close()
        return response.status

    def _connection(self, scheme: str, host: str, port: int, address: str) -> http.client.HTTPConnection:
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            return _PinnedHTTPS(host, port, address, TIMEOUT_SECONDS, self._tls)
        return _PinnedHTTP(host, port, address, TIMEOUT_SECONDS)

    def close(self) -> None:
        with self._lock:
            kept, self._kept = [c for idle in self._kept.values() for c in idle], {}
        for connection in kept:
            connection.close()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


KEPT_ANSWER_BYTES = 1024


def _exchange(connection: http.client.HTTPConnection, target: str, body: bytes,
              headers: dict[str, str]) -> http.client.HTTPResponse:
    connection.request("POST", target, body=body, headers=headers)
    if _QUICKACK is not None:
        # acknowledge the answer's first part at once: a receiver that writes its headers and
        # body separately under Nagle's algorithm holds the body until then (40 ms otherwise)
        connection.sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
    return connection.getresponse()


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux


def _read_to_end(response: http.client.HTTPResponse) -> bool:
    """Whether the answer's body was read to its end (small, of known length, in time), which
    a connection must have done before it takes the next request."""
    if response.will_close or response.length is None or response.length > KEPT_ANSWER_BYTES:
        return False
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while response.length:
        if time.monotonic() > deadline or not response.read1(response.length):
            return False
    response.read()  # nothing left: marks the answer done, so the connection takes another request
    return True


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to ``address`` for a URL naming the host (the Host header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = _connected(self._address, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to ``address``, its certificate checked for the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float, tls: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=tls)
        self._address, self._tls = address, tls

    def connect(self) -> None:
        self.sock = self._tls.wrap_socket(_connected(self._address, self.port, self.timeout),
                                          server_hostname=self.host)


def _connected(address: str, port: int, timeout: float) -> socket.socket:
    raw = socket.create_connection((address, port), timeout)
    # http.client writes a request's headers and body separately: on a kept connection, Nagle's
    # algorithm would hold the body until the receiver's delayed acknowledgement (40 ms)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return raw


def _mac(secret: str, stamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def record_events_selected(session: Session, kind: str, *, event_id: str, data: str, rows: str,
                           binds: Iterable[sa.BindParameter], now: datetime) -> None:
    """For set-based jobs: the event of every row ``rows`` (SQL from ``FROM`` on, with the
    parameters ``binds``) selects, for every active endpoint taking ``kind``, in one statement
    per endpoint; ``event_id`` and ``data`` are SQL expressions over those rows (``data`` a
    JSON object built with ``engine.database.json_object``). The body has the shape
    :func:`record_events` gives it, its keys in another order."""
    endpoints = programme(session).webhook_endpoints.get(kind)
    body = (f"CAST({json_object(session)}('id', {event_id}, 'kind', CAST(:kind AS TEXT), "
            f"'created_at', CAST(:created_text AS TEXT), 'data', {data}) AS TEXT)")
    for endpoint in endpoints or ():
        session.execute(sa.text(
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, kind, body, created_at, status, attempts, "
            f"next_attempt_at) SELECT :endpoint, {event_id}, CAST(:kind AS TEXT), {body}, :created, 'pending', 0, :created "
            f"{rows}")
            .bindparams(sa.bindparam("created", now, type_=UTCDateTime()), *binds),
            {"endpoint": endpoint, "kind": kind, "created_text": instant_text(now)})


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def instant_text(at: datetime) -> str:
    """An instant as events carry it: ISO 8601 in UTC, written ``Z``."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _event(kind: str, data: dict, now: datetime, event_id: str | None = None) -> tuple[str, str]:
    event_id = event_id or _new_event_id()
    created = instant_text(now)
    return event_id, json.dumps({"id": event_id, "kind": kind, "created_at": created,
                                "data": to_plain({k: instant_text(v) if isinstance(v, datetime) else v
                                                  for k, v in data.items()})},
                                separators=(",", ":"), sort_keys=True, default=str)


def _checked_address(url: object, allowed_private: frozenset[str], resolver: Resolver) -> tuple[str | None, list[Problem]]:
    """The address to post ``url``'s requests to, or why there is none."""
    def refused(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem("url", message)]

    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL or not url.isascii() or not url.isprintable():
        return refused(f"must be an absolute URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        return refused(f"is not a URL: {error}")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        return refused("must be an https URL with a host")
    if parts.username is not None or parts.password is not None:
        return refused("must not carry a user or password (the signature proves the sender)")
    if parts.fragment:
        return refused("must not have a fragment")
    private_allowed = host in allowed_private
    if parts.scheme != "https" and not private_allowed:
        return refused("must be https (plain http only for a host the operator lists in "
                       "LOYALTY_WEBHOOK_PRIVATE_HOSTS)")
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as error:
        return refused(f"host {host} cannot be resolved ({error})")
    if not addresses:
        return refused(f"host {host} cannot be resolved")
    if not private_allowed:
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            if not address.is_global or address.is_multicast:
                return refused(f"host {host} resolves to {text}, a private or reserved address; list the host in "
                               "LOYALTY_WEBHOOK_PRIVATE_HOSTS to send to an internal receiver")
    return addresses[0], []


def _kinds_problems(kinds: object) -> list[Problem]:
    if not (isinstance(kinds, list | tuple) and kinds and all(isinstance(k, str) for k in kinds)):
        return [Problem("kinds", f"must list at least one of {', '.join(EVENT_KINDS)}")]
    unknown = sorted(set(kinds) - set(EVENT_KINDS))
    if unknown:
        return [Problem("kinds", f"unknown event kinds {', '.join(unknown)}: use {', '.join(EVENT_KINDS)}")]
    return []


def _description_problems(description: object) -> list[Problem]:
    if not (isinstance(description, str) and len(description.strip()) <= MAX_DESCRIPTION and description.isprintable()):
        return [Problem("description", f"must be a text of at most {MAX_DESCRIPTION} characters")]
    return []


def _endpoint_row(session: Session, endpoint_id: int) -> WebhookEndpointRow:
    row = session.get(WebhookEndpointRow, endpoint_id) if _is_id(endpoint_id, ENDPOINT_IDS) else None
    if row is None:
        raise not_found("webhook endpoint", endpoint_id)
    return row


def _refuse_taken(session: Session, url: str) -> None:
    if session.scalar(sa.select(WebhookEndpointRow.id).where(WebhookEndpointRow.url == url)) is not None:
        raise _taken(url)


def _taken(url: str) -> Conflict:
    return Conflict(f"{url} receives webhooks already", code="webhook_exists")


def _is_id(value: object, bound: int) -> bool:
    """Whether ``value`` can be a key of a column holding ids below ``bound`` (anything else
    names nothing, and PostgreSQL would refuse to compare it)."""
    return isinstance(value, int) and 0 < value < bound


def _endpoint(row: WebhookEndpointRow) -> WebhookEndpoint:
    return WebhookEndpoint(row.id, row.url, tuple(json.loads(row.kinds)), row.description, row.active,
                           row.created_at, row.created_by)


def _delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(row.id, row.endpoint_id, row.event_id, row.kind, row.created_at, row.status,
                           row.attempts, row.next_attempt_at if row.status == "pending" else None,
                           row.last_attempt_at, row.last_status, row.last_error)
