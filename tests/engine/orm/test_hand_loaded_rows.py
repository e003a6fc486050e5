"""Rows read through the driver and attached by ``engine.orm.hand_loaded`` behave in the
session as the ORM's own loads do: the same values, no pending change, changes tracked and
flushed, relationships loaded on use, an object already in the session refreshed in place.
(SQLAlchemy's version is pinned; this is what an upgrade must keep.)"""
from __future__ import annotations

import gc
from datetime import date

import pytest
import sqlalchemy as sa

from engine.database import postgresql_row
from engine.orm.cards import CardRow
from engine.orm.hand_loaded import LoadedTogether, relate
from engine.orm.members import MemberProfileRow, MemberRow

pytestmark = pytest.mark.postgres

CARD_MEMBER_PROFILE = LoadedTogether(CardRow, MemberRow, MemberProfileRow)
BY_NUMBER = (sa.select(*CARD_MEMBER_PROFILE.columns, sa.literal("kept").label("extra")).select_from(CardRow)
             .join(MemberRow, MemberRow.id == CardRow.member_id)
             .outerjoin(MemberProfileRow, MemberProfileRow.member_id == MemberRow.id)
             .where(CardRow.number == sa.bindparam("number")))


@pytest.fixture
def database(postgres_db):
    return postgres_db


def columns_of(row) -> dict:
    return {prop.key: getattr(row, prop.key) for prop in sa.inspect(type(row)).column_attrs}


def test_attached_rows_hold_what_the_orm_loads(database, make_card, make_member):
    card = make_card(make_member("Ada Lovelace", birthday=date(1985, 12, 10)))
    with database.transaction() as session:
        loaded = session.scalars(sa.select(CardRow).where(CardRow.number == card.number)).one()
        expected = columns_of(loaded), columns_of(loaded.member), columns_of(loaded.member.profile)
    with database.transaction() as session:
        found = postgresql_row(session, BY_NUMBER, {"number": card.number})
        attached = CARD_MEMBER_PROFILE.attach(session, found)
        assert (columns_of(attached[0]), columns_of(attached[1]), columns_of(attached[2])) == expected
        assert found.extra == "kept"  # the statement's other columns keep their names
        assert expected[0]["issued_at"].utcoffset().total_seconds() == 0
        assert not session.dirty and not session.new
        assert session.get(CardRow, attached[0].id) is attached[0]  # found by identity, no statement


def test_a_change_to_an_attached_row_is_flushed(database, make_card):
    card = make_card()
    with database.transaction() as session:
        row, member, _profile = CARD_MEMBER_PROFILE.attach(
            session, postgresql_row(session, BY_NUMBER, {"number": card.number}))
        relate(row, "member", member)
        assert not session.dirty
        row.member.tier_code = "GOLD"
        assert list(session.dirty) == [member]
    with database.transaction() as session:
        assert session.scalars(sa.select(MemberRow.tier_code).where(MemberRow.id == member.id)).one() == "GOLD"


def test_a_relationship_not_set_is_loaded_when_used(database, make_card, make_member):
    card = make_card(make_member("Grace Hopper"))
    with database.transaction() as session:
        row, _member, _profile = CARD_MEMBER_PROFILE.attach(
            session, postgresql_row(session, BY_NUMBER, {"number": card.number}))
        assert row.member.profile.full_name == "Grace Hopper"
        assert row.replaced_by is None


def test_a_row_an_outer_join_did_not_find_is_none(database, make_card):
    card = make_card()
    with database.transaction() as session:
        member_pk = session.scalars(sa.select(CardRow.member_id).where(CardRow.number == card.number)).one()
        session.execute(sa.delete(MemberProfileRow).where(MemberProfileRow.member_id == member_pk))
        _row, member, profile = CARD_MEMBER_PROFILE.attach(
            session, postgresql_row(session, BY_NUMBER, {"number": card.number}))
        assert profile is None and member.id == member_pk
        session.rollback()


def test_an_object_already_in_the_session_is_refreshed_in_place(database, make_card):
    card = make_card()
    with database.transaction() as session:
        loaded = session.scalars(sa.select(MemberRow).join(CardRow).where(CardRow.number == card.number)).one()
        session.execute(sa.update(MemberRow).where(MemberRow.id == loaded.id).values(tier_code="changed meanwhile"))
        _row, member, _profile = CARD_MEMBER_PROFILE.attach(
            session, postgresql_row(session, BY_NUMBER, {"number": card.number}))
        assert member is loaded and member.tier_code == "changed meanwhile"
        assert not session.dirty


def test_attached_rows_stay_in_the_session_while_it_lives(database, make_card):
    card = make_card()
    with database.transaction() as session:
        CARD_MEMBER_PROFILE.attach(session, postgresql_row(session, BY_NUMBER, {"number": card.number}))
        gc.collect()
        assert len(session.identity_map) == 3
