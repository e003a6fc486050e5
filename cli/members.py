"""``loyalty members`` and ``loyalty messages``."""
from __future__ import annotations

import click

from cli.ledger import cli_caller, idempotency_key, key_option
from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine import cards, members
from engine.member_closure import CloseMember, close_member
from engine.member_suspension import ReinstateMember, SuspendMember, reinstate_member, suspend_member
from engine.member_import import COLUMNS, import_members, members_csv_text, read_members_csv, write_mapping
from engine.messages import mark_delivered, pending_messages
from engine.rules import segments
from engine.settings import get_settings


@click.group("members")
def members_group() -> None:
    """Programme members."""


@members_group.command("create")
@click.option("--name", "full_name", required=True)
@click.option("--email")
@click.option("--phone")
@click.option("--birthday", type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--consent", "consents", multiple=True,
              type=click.Choice(members.CONSENTS), help="A consent the member gave (repeatable)")
@pass_runtime
def create_member(runtime: Runtime, full_name: str, email: str | None, phone: str | None,
                  birthday, consents: tuple[str, ...]) -> None:
    """Enrol a member; prints the member's id."""
    member = members.enrol_member(
        runtime.db, full_name=full_name, email=email, phone=phone,
        birthday=birthday.date() if birthday else None,
        consents={name: True for name in consents}, now=runtime.now())
    emit_one(member, as_json=False)


@members_group.command("import")
@click.argument("csv_file", type=click.File("rb"))
@click.option("--mapping", type=click.File("w", encoding="utf-8"),
              help="Write each line's new member id here (CSV: line, reference, member_id, opening_points)")
@key_option
@json_option
@pass_runtime
def import_(runtime: Runtime, csv_file, mapping, key: str | None, as_json: bool) -> None:
    """Import the members of another system from CSV_FILE (UTF-8; a header, then one member
    per line), all or nothing; any problem is reported by line and column and nothing changes.

    \b
    Columns (only full_name is required): {columns}.
    Consents are yes or no; birthday YYYY-MM-DD; enrolled_at a date or an instant with a time
    zone; opening_points whole points credited at once, usable through points_expire_on
    (YYYY-MM-DD, to its end in the programme's time zone; else the programme's expiry from now); card_uid (the chip UID of the member's
    old card, in hex) becomes an active UID-only card; reference (the old customer number)
    comes back in the mapping, and is not stored.
    """
    rows = read_members_csv(members_csv_text(csv_file.read()), now=runtime.now(), timezone=get_settings(runtime.db).timezone)
    done = import_members(runtime.db, rows, caller=cli_caller(), idempotency_key=idempotency_key(key),
                          now=runtime.now())
    if mapping is not None:
        write_mapping(mapping, done.imported)
    if as_json:
        emit_one(done, as_json=True)
    else:
        click.echo(f"imported {done.members:,} members with {done.points:,} opening points"
                   + (f"; their ids are in {mapping.name}" if mapping is not None else ""))


import_.help = import_.help.format(columns=", ".join(COLUMNS))


@members_group.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, type=click.IntRange(0))
@json_option
@pass_runtime
def list_members(runtime: Runtime, limit: int, offset: int, as_json: bool) -> None:
    """List members in enrolment order."""
    emit(members.list_members(runtime.db, limit=limit, offset=offset),
         ("public_id", "full_name", "email", "status", "enrolled_at"), as_json=as_json, title="members")


@members_group.command("show")
@click.argument("member_id")
@json_option
@pass_runtime
def show_member(runtime: Runtime, member_id: str, as_json: bool) -> None:
    """Show one member and their cards."""
    member = members.get_member(runtime.db, member_id)
    member_cards = cards.list_cards(runtime.db, member_id=member_id)
    emit_one({**vars(member), "cards": [f"{c.number} ({c.kind}, {c.status})" for c in member_cards]},
             as_json=as_json)


@members_group.command("close")
@click.argument("member_id")
@click.option("--reason", required=True, help="Why, e.g. the member asked for erasure")
@click.option("--key", help="Idempotency key (repeat it to retry safely)")
@json_option
@pass_runtime
def close(runtime: Runtime, member_id: str, reason: str, key: str | None, as_json: bool) -> None:
    """Close MEMBER_ID's account and erase their personal data: points forfeited, cards retired,
    sign-ins ended, the profile emptied."""
    command = CloseMember(member_id=member_id, reason=reason, actor=cli_caller())
    emit_one(close_member(runtime.db, command, caller=cli_caller(), idempotency_key=idempotency_key(key),
                          now=runtime.now()), as_json=as_json)


@members_group.command("suspend")
@click.argument("member_id")
@click.option("--reason", required=True, help="Why, e.g. the case being looked into")
@click.option("--key", help="Idempotency key (repeat it to retry safely)")
@json_option
@pass_runtime
def suspend(runtime: Runtime, member_id: str, reason: str, key: str | None, as_json: bool) -> None:
    """Suspend MEMBER_ID's account while fraud is looked into: no points earned or spent until
    it is reinstated."""
    emit_one(suspend_member(runtime.db, SuspendMember(member_id, reason, cli_caller()), caller=cli_caller(),
                            idempotency_key=idempotency_key(key), now=runtime.now()), as_json=as_json)


@members_group.command("reinstate")
@click.argument("member_id")
@click.option("--key", help="Idempotency key (repeat it to retry safely)")
@json_option
@pass_runtime
def reinstate(runtime: Runtime, member_id: str, key: str | None, as_json: bool) -> None:
    """Reinstate MEMBER_ID's suspended account: it earns and spends again at once."""
    emit_one(reinstate_member(runtime.db, ReinstateMember(member_id, cli_caller()), caller=cli_caller(),
                              idempotency_key=idempotency_key(key), now=runtime.now()), as_json=as_json)


@members_group.command("attributes")
@click.argument("member_id")
@click.option("--set", "to_set", multiple=True, metavar="NAME=VALUE", help="Set an attribute (repeatable)")
@click.option("--remove", "to_remove", multiple=True, metavar="NAME", help="Remove an attribute (repeatable)")
@json_option
@pass_runtime
def member_attributes(runtime: Runtime, member_id: str, to_set: tuple[str, ...], to_remove: tuple[str, ...],
                      as_json: bool) -> None:
    """Show a member's attributes (which rules and segments can test), after setting or
    removing the ones given."""
    pairs = [item.partition("=") for item in to_set]
    for item, (_, equals, _) in zip(to_set, pairs):
        if not equals:
            raise click.BadParameter(f"{item!r}: write NAME=VALUE", param_hint="--set")
    segments.change_member_attributes(runtime.db, member_id, to_set={name: value for name, _, value in pairs},
                                      to_remove=list(to_remove))
    attributes = segments.member_attributes(runtime.db, member_id)
    if attributes or as_json:
        emit_one(attributes, as_json=as_json)
    else:
        click.echo(f"{member_id} has no attributes")


@click.group("messages")
def messages_group() -> None:
    """Messages for members (expiry warnings) waiting for delivery."""


@messages_group.command("pending")
@click.option("--after", "after_id", type=int, default=0, help="The last message id already fetched")
@click.option("--limit", type=int, default=100)
@json_option
@pass_runtime
def pending(runtime: Runtime, after_id: int, limit: int, as_json: bool) -> None:
    """Undelivered messages, oldest first, with the member's name and e-mail."""
    emit(pending_messages(runtime.db, after_id=after_id, limit=limit),
         ("id", "kind", "member_id", "full_name", "email", "payload", "created_at"), as_json=as_json,
         title="messages")


@messages_group.command("delivered")
@click.argument("message_ids", nargs=-1, type=int, required=True)
@pass_runtime
def delivered(runtime: Runtime, message_ids: tuple[int, ...]) -> None:
    """Mark MESSAGE_IDS delivered (marking one twice changes nothing)."""
    click.echo(f"{mark_delivered(runtime.db, list(message_ids), now=runtime.now())} marked delivered")


COMMANDS = (members_group, messages_group)
