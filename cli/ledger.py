"""``loyalty earn | holds | refund | adjust | grants | balance | history | check-ledger | expire | purge-keys``:
the points ledger by hand.

Every mutating command carries an idempotency key scoped to the caller ``cli:<OS user>``:
pass ``--key`` to retry a request safely; without it a fresh key is generated and printed
(on stderr, so ``--json`` output stays clean) before the request is sent. Input that comes
as JSON (a basket) is shape-checked by the same marshmallow schemas as the HTTP API;
nothing reaches the engine until it has the right shape.
"""
from __future__ import annotations

import getpass
import json
import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import click
import marshmallow as ma
import sqlalchemy as sa

from api.schemas import problems_of
from api.schemas.ledger import BasketSchema, RefundLineSchema, RefundSchema
from api.text_guard import bad_text
from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime, progress_bar
from engine.errors import InvalidInput, Problem
from engine.ledger.adjustments import adjust_points
from engine.ledger.balances import get_balance, get_history
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, VoidHold
from engine.ledger.earning import earn_points
from engine.ledger.expiry import expire_lots
from engine.ledger.holds import capture_hold, place_hold, release_lapsed_holds, void_hold
from engine.ledger.idempotency import purge_idempotency_keys
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.orm.ledger import LedgerTransactionRow
from engine.plain import to_plain
from engine.points_grants import DecideGrant, GrantPoints, credit_grant, decide_grant, list_grants, request_grant

CALLER_PREFIX = "cli:"


def cli_caller() -> str:
    """The idempotency scope of the command line: ``cli:`` and the OS user name."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment nor in the password database
        user = f"uid{os.getuid()}"
    return CALLER_PREFIX + user


def idempotency_key(key: str | None, *, also: str = "") -> str:
    """The key given, or a new one, printed so that the operator can retry with it (and with
    ``also``: options the retry must repeat to be the same request)."""
    if key is None:
        key = str(uuid.uuid4())
        click.echo(f"idempotency key: {key} (to retry this request safely, repeat it with --key {key}"
                   f"{' ' + also if also else ''})", err=True)
    return key


key_option = click.option(
    "--key", metavar="KEY",
    help="Idempotency key of this request: a retry with the same key returns the first answer "
         "and posts nothing twice (generated and printed when omitted)")


class IsoInstant(click.ParamType):
    """An ISO 8601 instant with a time zone, e.g. 2026-03-02T10:15:00+01:00 or ...Z."""

    name = "ISO-INSTANT"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 instant such as 2026-03-02T10:15:00+01:00", param, ctx)
        if instant.tzinfo is None:
            self.fail(f"{value!r} has no time zone; add one, e.g. +01:00 or Z", param, ctx)
        return instant.astimezone(UTC)


class ReturnedLine(click.ParamType):
    """``LINE_NO:QTY``: a line of the receipt and the quantity returned (up to 3 decimals)."""

    name = "LINE_NO:QTY"

    def convert(self, value, param, ctx) -> dict:
        if isinstance(value, dict):
            return value
        number, colon, quantity = value.partition(":")
        if not colon or not number.strip().isdecimal():
            self.fail(f"{value!r} is not LINE_NO:QTY, e.g. 2:1 or 3:0.5", param, ctx)
        line = {"line_no": int(number), "quantity": quantity.strip()}
        errors = RefundLineSchema().validate(line)
        if errors:
            self.fail(f"{value!r}: " + "; ".join(str(p) for p in problems_of(ma.ValidationError(errors))),
                      param, ctx)
        return line


def as_of_option(help_text: str):
    return click.option("--as-of", "as_of", type=IsoInstant(),
                        help=f"{help_text} (ISO 8601 with a time zone; default: now; never in the future)")


def _as_of(runtime: Runtime, as_of: datetime | None) -> datetime:
    now = runtime.now()
    if as_of is None:
        return now
    if as_of > now:
        raise click.BadParameter(f"{as_of.isoformat()} lies in the future (now is {now.isoformat()}); "
                                 "a job runs only for an instant that has passed", param_hint="'--as-of'")
    return as_of


def load_input(schema: ma.Schema, data, *, root: str):
    """``data`` loaded by ``schema``; a wrong shape is refused naming every field that is wrong."""
    try:
        return schema.load(data)
    except ma.ValidationError as error:
        raise InvalidInput(problems_of(error, root=root)) from error


def read_json(stream, *, what: str):
    """The JSON document in ``stream``; refuses text that is not JSON, saying where it breaks,
    and text no database can store (a NUL, an unpaired surrogate), naming where it is."""
    try:
        data = json.loads(stream.read(), parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InvalidInput([Problem(what, f"is not valid JSON: {error.msg} at line {error.lineno} "
                                          f"column {error.colno}")]) from error
    except UnicodeDecodeError as error:
        raise InvalidInput([Problem(what, f"is not UTF-8 text ({error.reason})")]) from error
    found = bad_text(data)
    if found is not None:
        path, message = found
        raise InvalidInput([Problem(f"{what}.{path}" if path else what, message)])
    return data


def show(result, *, as_json: bool, **for_people) -> None:
    """Print an engine result; ``for_people`` replaces fields in the human-readable form."""
    emit_one(result if as_json else {**to_plain(result), **for_people}, as_json=as_json)


# -- earning ----------------------------------------------------------------------------------

@click.command("earn")
@click.argument("basket_file", type=click.File("r", encoding="utf-8"))
@key_option
@json_option
@pass_runtime
def earn(runtime: Runtime, basket_file, key: str | None, as_json: bool) -> None:
    """Credit the points a completed sale earns.

    BASKET_FILE is a JSON basket (or - to read it from stdin): store_code, terminal_code,
    receipt_number, occurred_at, currency, lines [line_no, sku, quantity, amount_minor,
    category, brand], paid_with_points_minor, and member_id or card_number. A receipt earns once.
    """
    basket = load_input(BasketSchema(), read_json(basket_file, what="basket"), root="basket")
    result = earn_points(runtime.db, basket, caller=cli_caller(), idempotency_key=idempotency_key(key),
                         now=runtime.now())
    show(result, as_json=as_json,
         lines=", ".join(f"line {line.line_no}: {line.points}" for line in result.lines) or "none")


# -- paying with points -----------------------------------------------------------------------

@click.group("holds")
def holds_group() -> None:
    """Paying with points at the till: place a hold, then capture or void it."""


@holds_group.command("place")
@click.option("--store", "store_code", required=True, help="Code of the store")
@click.option("--terminal", "terminal_code", required=True, help="Code of the till placing the hold")
@click.option("--points", required=True, type=int, help="Points to reserve")
@click.option("--member", "member_id", help="The member's id (M...)")
@click.option("--card", "card_number", help="The number of the member's active card")
@key_option
@json_option
@pass_runtime
def place(runtime: Runtime, store_code: str, terminal_code: str, points: int, member_id: str | None,
          card_number: str | None, key: str | None, as_json: bool) -> None:
    """Reserve a member's available points for a payment (name the member by --member or --card)."""
    if (member_id is None) == (card_number is None):
        raise click.UsageError("name the member by exactly one of --member and --card")
    command = PlaceHold(store_code=store_code, terminal_code=terminal_code, points=points,
                        member_id=member_id, card_number=card_number)
    show(place_hold(runtime.db, command, caller=cli_caller(), idempotency_key=idempotency_key(key),
                    now=runtime.now()), as_json=as_json)


@holds_group.command("capture")
@click.argument("hold_id")
@click.option("--points", type=int, help="Points to spend (default: the whole hold; the rest is released)")
@click.option("--receipt", "receipt_number", help="The receipt the points paid for (so a refund gives them back)")
@key_option
@json_option
@pass_runtime
def capture(runtime: Runtime, hold_id: str, points: int | None, receipt_number: str | None, key: str | None,
            as_json: bool) -> None:
    """Spend all or part of a hold's points; the rest becomes available again."""
    command = CaptureHold(hold_id=hold_id, points=points, receipt_number=receipt_number)
    show(capture_hold(runtime.db, command, caller=cli_caller(), idempotency_key=idempotency_key(key),
                      now=runtime.now()), as_json=as_json)


@holds_group.command("void")
@click.argument("hold_id")
@key_option
@json_option
@pass_runtime
def void(runtime: Runtime, hold_id: str, key: str | None, as_json: bool) -> None:
    """Cancel a hold: all its points become available again."""
    show(void_hold(runtime.db, VoidHold(hold_id=hold_id), caller=cli_caller(),
                   idempotency_key=idempotency_key(key), now=runtime.now()), as_json=as_json)


@holds_group.command("release-lapsed")
@as_of_option("Release the pending holds whose deadline passed before this instant")
@pass_runtime
def release_lapsed(runtime: Runtime, as_of: datetime | None) -> None:
    """Release every pending hold past its deadline (the scheduler runs this job too)."""
    when = _as_of(runtime, as_of)
    released = release_lapsed_holds(runtime.db, as_of=when)
    click.echo(f"released {released} lapsed hold{'' if released == 1 else 's'} (as of {when.isoformat()})")


# -- refunds and adjustments ------------------------------------------------------------------

@click.command("refund")
@click.option("--store", "store_code", required=True, help="Code of the store of the sale")
@click.option("--terminal", "terminal_code", required=True, help="Code of the till that rang up the sale")
@click.option("--receipt", "receipt_number", required=True, help="Receipt number of the sale")
@click.option("--line", "lines", required=True, multiple=True, type=ReturnedLine(),
              help="A returned line and quantity, e.g. 2:1 (repeatable)")
@click.option("--occurred-at", type=IsoInstant(),
              help="When the goods came back (default: now; a retry with the same --key must repeat it)")
@key_option
@json_option
@pass_runtime
def refund(runtime: Runtime, store_code: str, terminal_code: str, receipt_number: str, lines: tuple[dict, ...],
           occurred_at: datetime | None, key: str | None, as_json: bool) -> None:
    """Reverse what the returned lines of a receipt earned and give back points spent on them."""
    occurred_at = occurred_at or runtime.now()
    command = load_input(RefundSchema(), {
        "store_code": store_code, "terminal_code": terminal_code, "receipt_number": receipt_number,
        "lines": list(lines), "occurred_at": occurred_at.isoformat()}, root="refund")
    key = idempotency_key(key, also=f"--occurred-at {command.occurred_at.isoformat()}")
    show(refund_receipt(runtime.db, command, caller=cli_caller(), idempotency_key=key, now=runtime.now()),
         as_json=as_json)


@click.command("adjust", context_settings={"ignore_unknown_options": True})
@click.argument("member_id")
@click.argument("points", type=int)
@click.option("--reason", required=True, help="Why (kept with the posting)")
@click.option("--actor", required=True, help="Who decided it (kept with the posting)")
@key_option
@json_option
@pass_runtime
def adjust(runtime: Runtime, member_id: str, points: int, reason: str, actor: str, key: str | None,
           as_json: bool) -> None:
    """Credit or debit a member's points by hand; a negative POINTS (such as -50) debits.

    Every adjustment keeps its reason and who decided it; a debit takes only points the
    member has and that no hold reserves."""
    command = AdjustPoints(member_id=member_id, points=points, reason=reason, actor=actor)
    show(adjust_points(runtime.db, command, caller=cli_caller(), idempotency_key=idempotency_key(key),
                       now=runtime.now()), as_json=as_json)


@click.group("grants")
def grants_group() -> None:
    """The same points for every active member of a segment: one person asks, another approves."""


@grants_group.command("ask")
@click.argument("segment")
@click.argument("points", type=int)
@click.option("--reason", required=True, help="Why (shown in each member's history)")
@click.option("--actor", required=True, help="Who asks (someone else must approve)")
@key_option
@json_option
@pass_runtime
def ask_grant(runtime: Runtime, segment: str, points: int, reason: str, actor: str, key: str | None,
              as_json: bool) -> None:
    """Ask for POINTS for each active member of SEGMENT; nothing moves until approved."""
    command = GrantPoints(segment=segment, points=points, reason=reason, actor=actor)
    show(request_grant(runtime.db, command, caller=cli_caller(), idempotency_key=idempotency_key(key),
                       now=runtime.now()), as_json=as_json)


def _decide_grant(approve: bool):
    @click.argument("grant_id")
    @click.option("--actor", required=True, help="Who decides (not the person who asked)")
    @key_option
    @json_option
    @pass_runtime
    def decide(runtime: Runtime, grant_id: str, actor: str, key: str | None, as_json: bool) -> None:
        command = DecideGrant(grant_id=grant_id, approve=approve, actor=actor)
        with progress_bar(f"crediting {grant_id}", hidden=as_json or not approve) as progress:
            decided = decide_grant(runtime.db, command, caller=cli_caller(), idempotency_key=idempotency_key(key),
                                   now=runtime.now(), progress=progress)
        show(decided, as_json=as_json)
    decide.__doc__ = ("Approve GRANT_ID: every active member of its segment is credited now, a chunk at a time."
                      if approve else "Reject GRANT_ID: no points move.")
    return decide


grants_group.command("approve")(_decide_grant(True))
grants_group.command("reject")(_decide_grant(False))


@grants_group.command("credit")
@click.argument("grant_id")
@json_option
@pass_runtime
def credit_grant_command(runtime: Runtime, grant_id: str, as_json: bool) -> None:
    """Finish crediting approved GRANT_ID where a stopped process left it (nothing twice;
    the nightly grants job does the same)."""
    with progress_bar(f"crediting {grant_id}", hidden=as_json) as progress:
        credited = credit_grant(runtime.db, grant_id, now=runtime.now(), progress=progress)
    show(credited, as_json=as_json)


@grants_group.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]))
@json_option
@pass_runtime
def grants_list(runtime: Runtime, status: str | None, as_json: bool) -> None:
    """Grants, newest first (pending ones with the members approving them now would credit)."""
    emit(list_grants(runtime.db, status=status, limit=200),
         ("grant_id", "segment", "points", "members", "credited", "total_points", "status", "reason",
          "requested_by", "decided_by"), as_json=as_json, title="grants")


# -- reading --------------------------------------------------------------------------------

@click.command("balance")
@click.argument("member_id")
@json_option
@pass_runtime
def balance(runtime: Runtime, member_id: str, as_json: bool) -> None:
    """A member's points: balance, available, pending, reserved, debt, and what expires soon."""
    result = get_balance(runtime.db, member_id, as_of=runtime.now())
    show(result, as_json=as_json, expiring=", ".join(
        f"{item.points} on {item.expires_at.isoformat()}" for item in result.expiring) or "none soon")


@click.command("history")
@click.argument("member_id")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, type=click.IntRange(0))
@json_option
@pass_runtime
def history(runtime: Runtime, member_id: str, limit: int, offset: int, as_json: bool) -> None:
    """A member's ledger postings, newest first."""
    emit(get_history(runtime.db, member_id, limit=limit, offset=offset),
         ("transaction_id", "occurred_at", "kind", "points", "description", "actor"),
         as_json=as_json, title="history")


# -- checks and jobs ----------------------------------------------------------------------------

@click.command("check-ledger")
@pass_runtime
def check_ledger_command(runtime: Runtime) -> None:
    """Run every ledger invariant check; exits 1 and lists the problems if any is found."""
    checked = _transaction_count(runtime)
    problems = check_ledger(runtime.db)
    if problems:
        click.echo(f"ledger NOT sound: {len(problems)} problem{'' if len(problems) == 1 else 's'} "
                   f"in {checked} transactions")
        for problem in problems:
            click.echo(f"  - {problem}")
        raise click.exceptions.Exit(1)
    click.echo(f"ledger sound: {checked} transactions checked")


def _transaction_count(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(LedgerTransactionRow))


@click.command("expire")
@as_of_option("Expire the lots due at this instant")
@pass_runtime
def expire(runtime: Runtime, as_of: datetime | None) -> None:
    """Expire every lot that is due (the scheduler runs this job too; a rerun expires nothing twice)."""
    when = _as_of(runtime, as_of)
    run = expire_lots(runtime.db, as_of=when)
    click.echo(f"expired {run.points} points from {run.lots} lots of {run.members} members "
               f"(as of {when.isoformat()})")


@click.command("purge-keys")
@as_of_option("Forget idempotency keys older than the retention at this instant")
@pass_runtime
def purge_keys(runtime: Runtime, as_of: datetime | None) -> None:
    """Forget idempotency keys older than the programme's retention (idempotency_retention_days)."""
    when = _as_of(runtime, as_of)
    purged = purge_idempotency_keys(runtime.db, as_of=when)
    click.echo(f"purged {purged} idempotency key{'' if purged == 1 else 's'} (as of {when.isoformat()})")


COMMANDS = (earn, holds_group, refund, adjust, grants_group, balance, history, check_ledger_command, expire, purge_keys)
