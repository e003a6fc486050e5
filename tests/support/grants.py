"""Points grants in the state a stopped approval leaves them."""
import sqlalchemy as sa

from engine.database import Database


def approved_but_not_credited(database: Database, grant_id: str, members, *, by: str = "ben") -> None:
    """Mark the pending ``grant_id`` approved by ``by`` with ``members`` queued and none of them
    credited: what an approval leaves when its process stops before the first chunk."""
    with database.transaction() as session:
        grant_pk = session.scalar(sa.text("SELECT id FROM points_grants WHERE public_id = :id"), {"id": grant_id})
        session.execute(sa.text("UPDATE points_grants SET status = 'approved', decided_by = :by, "
                                "decided_at = requested_at, members = :members WHERE id = :grant"),
                        {"by": by, "members": len(members), "grant": grant_pk})
        session.execute(sa.text("INSERT INTO points_grant_queue (grant_id, member_id) "
                                "SELECT :grant, id FROM members WHERE public_id IN :ids")
                        .bindparams(sa.bindparam("ids", expanding=True)),
                        {"grant": grant_pk, "ids": [m.public_id for m in members]})
