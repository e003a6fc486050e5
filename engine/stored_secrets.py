"""The stored secrets as a whole: every column typed ``engine.sealing.SealedText``, found in
the tables' definitions.

Guarantees: ``seal_stored_secrets`` leaves every stored secret sealed with the newest data
key, reading as it did before (a second run changes nothing; without data keys nothing is
changed); ``unopened_secrets`` names every column holding a value the configured data keys
do not open, so a process can refuse to start (``start_refusal``) rather than fail on its
first request.
"""
from __future__ import annotations

import sqlalchemy as sa

from engine.database import Database
from engine.orm import metadata
from engine.schema import readiness_problems
from engine.sealing import SealedText, SealedValueError, is_sealed_with_newest, unseal


def seal_stored_secrets(db: Database) -> dict[str, int]:
    """Seal again, with the newest data key, every stored secret that is not; how many per
    ``table.column``."""
    done = {}
    with db.transaction() as session:
        for table, column in _sealed_columns():
            key = table.primary_key.columns.values()[0]
            # the stored text as it is (no unsealing), beside the secret it holds
            rows = session.execute(sa.select(key, sa.type_coerce(column, sa.Text()), column)
                                   .where(column.is_not(None))).all()
            stale = [(pk, plain) for pk, stored, plain in rows if not is_sealed_with_newest(stored)]
            for pk, plain in stale:
                session.execute(sa.update(table).where(key == pk).values({column.name: plain}))
            done[f"{table.name}.{column.name}"] = len(stale)
    return done


def unopened_secrets(db: Database) -> list[str]:
    """For each column holding values the configured data keys do not open: how many, and why
    the first does not."""
    problems = []
    with db.transaction() as session:
        for table, column in _sealed_columns():
            failures = []
            for stored in session.scalars(sa.select(sa.type_coerce(column, sa.Text())).where(column.is_not(None))):
                try:
                    unseal(stored, column.type.purpose)
                except SealedValueError as error:
                    failures.append(str(error))
            if failures:
                problems.append(f"{table.name}.{column.name}: {len(failures)} values do not open ({failures[0]})")
    return problems


def _sealed_columns():
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, SealedText):
                yield table, column


def start_refusal(db: Database) -> str | None:
    """Why a process should not start serving ``db`` with its data keys (None: nothing
    against it). A database that is not ready says so itself (``/health/ready``)."""
    not_ready, _ = readiness_problems(db)
    unopened = [] if not_ready else unopened_secrets(db)
    if not unopened:
        return None
    return ("stored secrets do not open with the configured data keys (LOYALTY_DATA_KEYS or "
            "LOYALTY_DATA_KEYS_FILE): " + "; ".join(unopened))
