"""Importing members from another system: a sound CSV file enrols everyone and credits the
opening points in one go; a file with any problem is refused, every problem named by line and
column, and nothing changes; a retry under its key gets the first answer."""
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.cards import get_card
from engine.errors import InvalidInput
from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.ledger.earning import earn_points
from engine.member_import import MAX_PROBLEMS, import_members, read_members_csv
from engine.members import get_member
from engine.rules.segments import create_segment, list_segments, member_attributes
from engine.rules.versions import create_draft, publish_rules
from engine.settings import get_settings, update_settings
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

SOUND = """full_name,email,birthday,marketing_email,enrolled_at,opening_points,reference
Ada Lovelace,Ada@Example.org,1985-12-10,yes,2019-04-01,1200,C-1001
Grace Hopper,grace@example.org,,no,,0,C-1002
Alan Turing,,1990-06-23,,2021-02-03T10:00:00+01:00,35,
"""


@pytest.fixture
def load(database, clock):
    """``load(text)``: read and import a CSV text; the answer."""
    def run(text: str, *, key: str | None = None):
        rows = read_members_csv(text, now=clock(), timezone=get_settings(database).timezone)
        return import_members(database, rows, caller="cli:ops", idempotency_key=key or new_key(), now=clock())
    return run


def problems_of(text: str, now: datetime) -> list[str]:
    with pytest.raises(InvalidInput) as refusal:
        read_members_csv(text, now=now, timezone="UTC")
    return [str(p) for p in refusal.value.problems]


def test_a_sound_file_enrols_everyone_with_their_opening_points(database, clock, load):
    done = load(SOUND)
    assert (done.members, done.points) == (3, 1235)
    assert [(m.line, m.reference, m.opening_points) for m in done.imported] == [
        (2, "C-1001", 1200), (3, "C-1002", 0), (4, None, 35)]
    ada, grace, alan = (get_member(database, m.member_id) for m in done.imported)
    assert (ada.full_name, ada.email, ada.birthday, ada.consents["marketing_email"]) == (
        "Ada Lovelace", "ada@example.org", date(1985, 12, 10), True)
    assert ada.enrolled_at == datetime(2019, 4, 1, tzinfo=UTC)
    assert (grace.enrolled_at, grace.consents["marketing_email"]) == (clock(), False)
    assert alan.enrolled_at == datetime(2021, 2, 3, 9, 0, tzinfo=UTC) and alan.email is None
    balances = [get_balance(database, m.member_id, as_of=clock()) for m in done.imported]
    assert [(b.balance, b.available) for b in balances] == [(1200, 1200), (0, 0), (35, 35)]
    assert member_attributes(database, grace.public_id) == {"origin": "import"}
    assert check_ledger(database) == []


def test_the_opening_points_expire_under_the_programme_policy_counted_from_the_import(database, clock, load):
    member_id = load(SOUND).imported[0].member_id  # imported 2026-03-02; enrolled in 2019
    # the default policy: 24 months after earning, at the end of that month (2028-03-31)
    assert get_balance(database, member_id, as_of=datetime(2028, 3, 30, tzinfo=UTC)).available == 1200
    assert get_balance(database, member_id, as_of=datetime(2028, 4, 2, tzinfo=UTC)).available == 0


def test_a_retry_under_its_key_gets_the_first_answer_and_a_new_key_finds_the_members_there(database, clock, load):
    first = load(SOUND, key="import-1")
    clock.advance(hours=1)
    assert load(SOUND, key="import-1") == first
    with refused_unchanged(database, InvalidInput) as refusal:
        load(SOUND)
    assert [str(p) for p in refusal.value.problems] == [
        "line 2.email: is the address of a member already", "line 3.email: is the address of a member already"]


def test_imported_members_can_be_left_out_of_a_first_purchase_bonus_by_their_origin(database, clock, load,
                                                                                   make_member):
    load(SOUND)
    make_member()
    create_segment(database, code="imported", predicate={"attributes": {"origin": ["import"]}}, now=clock())
    assert [(s.code, s.members) for s in list_segments(database)] == [("imported", 3)]


def test_every_problem_is_named_by_line_and_column_and_nothing_changes(database, clock, load):
    text = """full_name;email;phone;birthday;marketing_sms;enrolled_at;opening_points;reference
;a@example.org;;;;;;
Bo;not-an-address;12;1985-13-01;maybe;2999-01-01;-5;
Cy;c@example.org;;;;yesterday;1.5;""" + "x" * 101 + """
Di;C@example.org;;;;;;
Ed;e@example.org;;;
"""
    with refused_unchanged(database, InvalidInput) as refusal:
        load(text)
    assert [str(p) for p in refusal.value.problems] == [
        "line 2.full_name: must be a non-empty text of at most 200 characters",
        "line 3.birthday: '1985-13-01' is not a date such as 1985-12-10",
        "line 3.enrolled_at: cannot be in the future",
        "line 3.marketing_sms: 'maybe' is neither yes nor no",
        "line 3.opening_points: '-5' is not a whole number of points from 0 to 1,000,000,000",
        "line 3.email: 'not-an-address' is not an e-mail address",
        "line 3.phone: '12' is not a phone number",
        "line 4.enrolled_at: 'yesterday' is not a date or an instant with a time zone",
        "line 4.opening_points: '1.5' is not a whole number of points from 0 to 1,000,000,000",
        "line 4.reference: is longer than 100 characters",
        "line 5.email: c@example.org is also on line 4",
        "line 6: has 5 values for 8 columns",
    ]


@pytest.mark.parametrize("text, expected", [
    ("", ["header: must name the column full_name"]),
    ("name,email\nAda,a@example.org\n", ["header: unknown column 'name'; known: full_name, email, phone, birthday, "
                                         "marketing_email, marketing_sms, profiling, enrolled_at, opening_points, "
                                         "points_expire_on, card_uid, reference", "header: must name the column full_name"]),
    ("full_name,email,email\nAda,a,b\n", ["header: names 'email' twice"]),
    ("full_name\n\n", ["file: holds no members"]),
    ("full_name\nAda\n\nBo\x00\n", ["line 4: holds a NUL character"]),
    ('full_name,email\n"Ada,a@example.org\n', ["line 2: is not CSV: unexpected end of data"]),
])
def test_a_file_of_the_wrong_shape_is_refused_before_any_row(clock, text, expected):
    assert problems_of(text, clock()) == expected


def test_a_spreadsheets_byte_order_mark_and_blank_lines_are_no_problem(clock):
    rows = read_members_csv("\ufefffull_name\tphone\r\nAda\t+49 30 1234567\r\n\r\n", now=clock(), timezone="UTC")
    assert [(r.line, r.full_name, r.phone) for r in rows] == [(2, "Ada", "+49 30 1234567")]


def test_a_file_full_of_problems_stops_at_a_hundred(clock):
    text = "full_name,email\n" + "".join(f"M{n},bad{n}\n" for n in range(500))
    found = problems_of(text, clock())
    assert len(found) == MAX_PROBLEMS + 1 and found[-1] == f"file: stopped reading after {MAX_PROBLEMS} problems"


def test_a_first_purchase_bonus_leaves_out_the_imported_members_by_their_origin(database, clock, load, make_member,
                                                                                earn, till):
    imported = get_member(database, load(SOUND).imported[1].member_id)
    newcomer = make_member()
    create_segment(database, code="imported", predicate={"attributes": {"origin": ["import"]}}, now=clock())
    create_draft(database, {"key": "welcome", "name": "Welcome", "effect": {"kind": "fixed_per_transaction",
                                                                            "points": 500},
                            "conditions": [{"kind": "first_purchase"},
                                           {"kind": "segment", "values": ["imported"], "exclude": True}]},
                 now=clock())
    publish_rules(database, ["welcome"], now=clock() - timedelta(hours=1))
    assert [earn(m, 1000).points for m in (imported, newcomer)] == [10, 510]


def test_opening_points_keep_the_last_day_the_old_system_gave_them(database, clock, load):
    text = "full_name,opening_points,points_expire_on\nAda,100,2026-06-30\nBo,50,\n"
    ada, bo = load(text).imported
    assert get_balance(database, ada.member_id, as_of=datetime(2026, 6, 30, 23, tzinfo=UTC)).available == 100
    assert get_balance(database, ada.member_id, as_of=datetime(2026, 7, 1, 1, tzinfo=UTC)).available == 0
    assert get_balance(database, bo.member_id, as_of=datetime(2026, 7, 1, 1, tzinfo=UTC)).available == 50
    assert check_ledger(database) == []


def test_the_files_days_are_the_programmes_days(database, clock, load):
    # A New York programme: the old system's "through 30 June" ends at midnight there, as the
    # programme's own lots and vouchers do, not at 20:00 on the 30th (midnight UTC).
    update_settings(database, {"timezone": "America/New_York"}, now=clock())
    (ada,) = load("full_name,enrolled_at,opening_points,points_expire_on\nAda,2019-04-01,100,2026-06-30\n").imported
    assert get_member(database, ada.member_id).enrolled_at == datetime(2019, 4, 1, 4, tzinfo=UTC)
    assert get_balance(database, ada.member_id, as_of=datetime(2026, 7, 1, 3, 59, tzinfo=UTC)).available == 100
    assert get_balance(database, ada.member_id, as_of=datetime(2026, 7, 1, 4, tzinfo=UTC)).available == 0


def test_a_past_or_unreadable_last_day_is_refused(clock):
    assert problems_of("full_name,opening_points,points_expire_on\nAda,1,2026-03-01\nBo,1,31/12/2026\n", clock()) == [
        "line 2.points_expire_on: is past: leave those points out of the import",
        "line 3.points_expire_on: '31/12/2026' is not a date such as 2027-03-31"]


def test_the_card_from_the_old_programme_becomes_an_active_uid_card_that_earns_at_the_till(database, clock, load,
                                                                                          make_basket):
    done = load("full_name,card_uid\nAda Lovelace,04:a1:b2:c3:d4:e5:f6\nGrace Hopper,\n")
    ada = done.imported[0].member_id
    card = get_card(database, "04A1B2C3D4E5F6")
    assert (card.kind, card.status, card.member_id) == ("uid", "active", ada)
    member = get_member(database, ada)
    earned = earn_points(database, make_basket(member, 2500, card_number="04A1B2C3D4E5F6"), caller="S1-T1",
                         idempotency_key=new_key(), now=clock())
    assert (earned.member_id, earned.points) == (ada, 25)


def test_a_card_uid_that_is_malformed_repeated_or_already_a_card_is_refused_and_nothing_changes(database, clock,
                                                                                              load, make_card):
    assert problems_of("full_name,card_uid\nAda,04A1\nBo,04A1B2C3\nCy,04 a1 b2 c3\n", clock()) == [
        "line 2.card_uid: a card UID is 4, 7 or 10 bytes written in hex, such as 04A1B2C3D4E5F6",
        "line 4.card_uid: 04A1B2C3 is also on line 3"]
    make_card(kind="uid", number="04A1B2C3")
    with refused_unchanged(database, InvalidInput) as refusal:
        load("full_name,email,card_uid\nAda,ada@example.org,04A1B2C3\nBo,bo@example.org,04A1B2C4\n")
    assert [str(p) for p in refusal.value.problems] == ["line 2.card_uid: is a card already"]
