"""``loyalty settings``: show and change the programme settings."""
from __future__ import annotations

import click

from cli.runtime import Runtime, emit_one, json_option, pass_runtime
from engine.errors import Problem
from engine.settings import get_settings, update_settings_from_text


@click.group("settings")
def settings_group() -> None:
    """Programme settings (points name, currency, earn rate, pending period, expiry, ...)."""


@settings_group.command()
@json_option
@pass_runtime
def show(runtime: Runtime, as_json: bool) -> None:
    """Show every programme setting."""
    emit_one(get_settings(runtime.db), as_json=as_json)


@settings_group.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE...")
@pass_runtime
def set_(runtime: Runtime, assignments: tuple[str, ...]) -> None:
    """Change settings, e.g. ``pending_days=30 expiry_rounding=end_of_year``.

    All changes are checked together and saved together, or none is.
    """
    texts = dict(word.partition("=")[::2] for word in assignments if "=" in word)
    malformed = [Problem(word, "write settings as NAME=VALUE") for word in assignments if "=" not in word]
    emit_one(update_settings_from_text(runtime.db, texts, now=runtime.now(), problems=malformed), as_json=False)


COMMANDS = (settings_group,)
