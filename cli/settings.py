"""``loyalty settings``: show and change the programme settings."""
from __future__ import annotations

import typing

import click

from cli.runtime import Runtime, emit_one, json_option, pass_runtime
from engine.errors import Problem, refuse_if
from engine.programme import ProgrammeSettings
from engine.settings import get_settings, update_settings

_NONE_WORDS = ("", "none", "null")


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
    changes = parse_assignments(assignments)
    emit_one(update_settings(runtime.db, changes, now=runtime.now()), as_json=False)


def parse_assignments(assignments: tuple[str, ...]) -> dict[str, object]:
    """``NAME=VALUE`` words as typed values; refuses every word it cannot read."""
    hints = typing.get_type_hints(ProgrammeSettings)
    changes: dict[str, object] = {}
    problems = []
    for word in assignments:
        name, sep, text = word.partition("=")
        if not sep:
            problems.append(Problem(word, "write settings as NAME=VALUE"))
        elif name not in hints:
            problems.append(Problem(name, "is not a programme setting"))
        else:
            try:
                changes[name] = _typed(hints[name], text.strip())
            except ValueError:
                problems.append(Problem(name, f"{text!r} is not a whole number"))
    refuse_if(problems)
    return changes


def _typed(hint, text: str):
    optional = type(None) in typing.get_args(hint)
    if optional and text.lower() in _NONE_WORDS:
        return None
    if hint is int or int in typing.get_args(hint):
        return int(text)
    return text


COMMANDS = (settings_group,)
