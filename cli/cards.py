"""``loyalty cards``: issue cards and move them through their lifecycle."""
from __future__ import annotations

import click

from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine import cards
from engine.card_lifecycle import CARD_KINDS

number_argument = click.argument("number")


@click.group("cards")
def cards_group() -> None:
    """Member cards."""


@cards_group.command("issue")
@click.option("--member", "member_id", required=True, help="The member's id (M...)")
@click.option("--kind", type=click.Choice(CARD_KINDS), default="applet", show_default=True)
@click.option("--number", help="Card number (applet: generated if omitted; uid: the card's UID)")
@click.option("--key-version", type=int, help="Key version for applet cards (default 1)")
@click.option("--activate", is_flag=True, help="Activate the card at once")
@pass_runtime
def issue(runtime: Runtime, member_id: str, kind: str, number: str | None,
          key_version: int | None, activate: bool) -> None:
    """Issue a card to a member."""
    card = cards.issue_card(runtime.db, member_id=member_id, kind=kind, number=number,
                            key_version=key_version, now=runtime.now())
    if activate:
        card = cards.activate_card(runtime.db, card.number, now=runtime.now())
    emit_one(card, as_json=False)


@cards_group.command()
@number_argument
@pass_runtime
def activate(runtime: Runtime, number: str) -> None:
    """Activate an issued card."""
    emit_one(cards.activate_card(runtime.db, number, now=runtime.now()), as_json=False)


@cards_group.command()
@number_argument
@click.option("--reason", required=True, help="Why: lost, stolen, ...")
@pass_runtime
def block(runtime: Runtime, number: str, reason: str) -> None:
    """Block a card at once."""
    emit_one(cards.block_card(runtime.db, number, reason=reason, now=runtime.now()), as_json=False)


@cards_group.command()
@number_argument
@pass_runtime
def unblock(runtime: Runtime, number: str) -> None:
    """Lift a block placed by mistake."""
    emit_one(cards.unblock_card(runtime.db, number, now=runtime.now()), as_json=False)


@cards_group.command()
@number_argument
@click.option("--number", "new_number", help="Number of the new card (applet: generated if omitted)")
@click.option("--key-version", type=int, help="Key version of the new card (default: the old card's)")
@pass_runtime
def replace(runtime: Runtime, number: str, new_number: str | None, key_version: int | None) -> None:
    """Replace a card; the member keeps their points. Prints the new card."""
    emit_one(cards.replace_card(runtime.db, number, new_number=new_number, key_version=key_version,
                                now=runtime.now()), as_json=False)


@cards_group.command()
@number_argument
@pass_runtime
def retire(runtime: Runtime, number: str) -> None:
    """Take a card out of use for good."""
    emit_one(cards.retire_card(runtime.db, number, now=runtime.now()), as_json=False)


@cards_group.command("show")
@number_argument
@json_option
@pass_runtime
def show(runtime: Runtime, number: str, as_json: bool) -> None:
    """Show one card."""
    emit_one(cards.get_card(runtime.db, number), as_json=as_json)


@cards_group.command("list")
@click.option("--member", "member_id", help="Only this member's cards")
@json_option
@pass_runtime
def list_cards(runtime: Runtime, member_id: str | None, as_json: bool) -> None:
    """List cards."""
    emit(cards.list_cards(runtime.db, member_id=member_id),
         ("number", "kind", "status", "member_id", "key_version", "block_reason"),
         as_json=as_json, title="cards")


COMMANDS = (cards_group,)
