"""Reading and changing the programme settings.

A database that was never configured answers with the defaults of ``ProgrammeSettings``;
``update_settings`` validates the whole merged result and saves all of it or nothing.
"""
from __future__ import annotations

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
