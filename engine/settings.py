"""Reading and changing the programme settings.

A database that was never configured answers with the defaults of ``ProgrammeSettings``;
``update_settings`` validates the whole merged result and saves all of it or nothing;
``update_settings_from_text`` does it for settings typed as text (a command line, a form).
"""
from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import InvalidInput, Problem, refuse_if
from engine.orm.programme import ProgrammeSettingsRow
from engine.programme import ProgrammeSettings, validate_settings
from engine.snapshot import lock_programme, programme


def get_settings(db: Database) -> ProgrammeSettings:
    """The programme's current settings (the defaults until someone changes them)."""
    with db.transaction() as session:
        return read_settings(session)


def read_settings(session: Session) -> ProgrammeSettings:
    """The settings, read inside a caller's transaction (from the programme snapshot)."""
    return programme(session).settings


def update_settings(db: Database, changes: Mapping[str, object], *, now: datetime) -> ProgrammeSettings:
    """Apply ``changes`` (field name -> new value) and return the saved settings.

    Refuses with every problem found (unknown fields included); nothing is saved then.
    """
    known = set(ProgrammeSettings.field_names())
    unknown = [Problem(name, "is not a programme setting") for name in changes if name not in known]
    refuse_if(unknown)
    if not changes:
        raise InvalidInput([Problem("settings", "name at least one setting to change")])
    with db.transaction() as session:
        lock_programme(session)  # two changes at once take turns: neither undoes the other
        merged = read_settings(session).replace(**changes)
        refuse_if(validate_settings(merged))
        save_settings(session, merged, now=now)
    return merged


def save_settings(session: Session, settings: ProgrammeSettings, *, now: datetime) -> None:
    """Write already-validated ``settings`` inside a caller's transaction."""
    row = session.get(ProgrammeSettingsRow, 1) or ProgrammeSettingsRow(id=1)
    for name in ProgrammeSettings.field_names():
        setattr(row, name, getattr(settings, name))
    row.updated_at = now
    session.add(row)


NO_VALUE_WORDS = ("", "none", "null")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def update_settings_from_text(db: Database, texts: Mapping[str, str], *, now: datetime,
                              problems: list[Problem] | None = None) -> ProgrammeSettings:
    """``update_settings`` for settings typed as text: whole numbers, true or false (yes/no,
    on/off, 1/0), nothing (empty or "none") for a setting that may have no value, text for
    the rest. Refuses every problem at once: unknown names, words it cannot read, values read
    that cannot be saved (and ``problems`` the caller found already)."""
    values, problems = _from_text(texts, list(problems or []))
    if problems:
        unread = {p.field for p in problems}
        merged = get_settings(db).replace(**values)
        refuse_if(problems + [p for p in validate_settings(merged) if p.field not in unread])
    return update_settings(db, values, now=now)


def _from_text(texts: Mapping[str, str], problems: list[Problem]) -> tuple[dict[str, object], list[Problem]]:
    hints = typing.get_type_hints(ProgrammeSettings)
    values: dict[str, object] = {}
    for name, text in texts.items():
        hint, text = hints.get(name), text.strip()
        kinds = typing.get_args(hint) or (hint,)
        if hint is None:
            problems.append(Problem(name, "is not a programme setting"))
        elif type(None) in kinds and text.lower() in NO_VALUE_WORDS:
            values[name] = None
        elif bool in kinds:
            if text.lower() not in TRUE_WORDS + FALSE_WORDS:
                problems.append(Problem(name, f"{text!r} is neither true nor false"))
            else:
                values[name] = text.lower() in TRUE_WORDS
        elif int in kinds:
            if not (text.lstrip("-").isdecimal() and text.isascii()):
                problems.append(Problem(name, f"{text!r} is not a whole number"))
            else:
                values[name] = int(text)
        else:
            values[name] = text
    return values, problems
