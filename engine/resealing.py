"""Sealing the secrets stored before data keys were configured, or with an older data key:
every column typed ``engine.sealing.SealedText``, found in the tables' definitions.

Guarantees: afterwards every stored secret is sealed with the newest data key and reads as
it did before; a second run changes nothing; without data keys nothing is changed.
"""
from __future__ import annotations

import sqlalchemy as sa

from engine.database import Database
from engine.orm import metadata
from engine.sealing import SealedText, is_sealed_with_newest


def seal_stored_secrets(db: Database) -> dict[str, int]:
    """Seal again, with the newest data key, every stored secret that is not; how many per
    ``table.column``."""
    done = {}
    with db.transaction() as session:
        for table in metadata.sorted_tables:
            key = table.primary_key.columns.values()[0]
            for column in (c for c in table.columns if isinstance(c.type, SealedText)):
                # the stored text as it is (no unsealing), beside the secret it holds
                rows = session.execute(sa.select(key, sa.type_coerce(column, sa.Text()), column)
                                       .where(column.is_not(None))).all()
                stale = [(pk, plain) for pk, stored, plain in rows if not is_sealed_with_newest(stored)]
                for pk, plain in stale:
                    session.execute(sa.update(table).where(key == pk).values({column.name: plain}))
                done[f"{table.name}.{column.name}"] = len(stale)
    return done
