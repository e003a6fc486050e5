"""Migration 0011 keeps one draft per rule (the newest, where a race had added two) and then
holds it so with a partial unique index."""
import pytest
import sqlalchemy as sa

from engine import schema
from tests.migrations.test_migrations import empty_db  # noqa: F401  (the fixture: both databases)

AT = "2026-12-01 10:00:00+00:00"
VERSION = ("INSERT INTO rule_versions (rule_key, version, status, definition, digest, created_at, published_at) "
           "VALUES (:key, :version, :status, '{}', 'd', :at, :published)")


def test_older_duplicate_drafts_go_and_a_second_draft_is_refused_after(empty_db):  # noqa: F811
    schema.upgrade(empty_db, "0010")
    with empty_db.transaction() as session:
        for key, version, status in (("tea", 1, "published"), ("tea", 2, "draft"), ("tea", 3, "draft"),
                                     ("coffee", 1, "draft")):
            session.execute(sa.text(VERSION), {"key": key, "version": version, "status": status, "at": AT,
                                               "published": AT if status == "published" else None})
    schema.upgrade(empty_db, "0011")
    with empty_db.transaction() as session:
        kept = sorted(tuple(row) for row in session.execute(sa.text(
            "SELECT rule_key, version, status FROM rule_versions")))
    assert kept == [("coffee", 1, "draft"), ("tea", 1, "published"), ("tea", 3, "draft")]
    with pytest.raises(sa.exc.IntegrityError), empty_db.transaction() as session:
        session.execute(sa.text(VERSION), {"key": "coffee", "version": 2, "status": "draft", "at": AT,
                                           "published": None})
    schema.downgrade(empty_db, "0010")
