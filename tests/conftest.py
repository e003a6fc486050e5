"""The test bed: databases on SQLite and on a real PostgreSQL, a hand-moved clock, factories.

- ``database`` runs a test on both backends; ``sqlite_db`` / ``postgres_db`` on one.
- One PostgreSQL cluster per test run, started here and stopped at the end (also on
  failure); each test gets its own database, copied from a migrated template.
- Under ``CI=true`` a missing real part fails the test: nothing is skipped silently.
"""
from __future__ import annotations

import itertools
import os
import shutil

import pytest
from hypothesis import settings as hypothesis_settings

import uuid
from decimal import Decimal

from engine import cards, members, schema, stores
from engine.database import Database
from engine.ledger.adjustments import adjust_points
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import AdjustPoints
from engine.ledger.earning import earn_points
from engine.rules import segments
from engine.sealing import use_data_keys
from tests.support.clock import Clock
from tests.support.postgres import PostgresCluster, PostgresUnavailable
from terminal.devtools.pcsc_lab import PcscLab, PcscLabUnavailable, check_installed

IN_CI = os.environ.get("CI", "").lower() == "true"

hypothesis_settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", max_examples=200, deadline=None)
hypothesis_settings.register_profile("long", max_examples=5_000, deadline=None)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)
# The long profile's runs take tens of minutes per test: setup.cfg's per-test timeout (meant
# to catch a hang) would cut them short, so they get this one instead.
LONG_PROFILE_TIMEOUT_SECONDS = 4 * 3600


def require_real_part(what: str, why: str) -> None:
    """A real part is missing: fail under CI (where setup must provide it), skip elsewhere."""
    message = f"{what} is not available: {why}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# pcscd is one per machine (terminal.devtools.pcsc_lab): scripts/test runs the suite on
# several pytest-xdist workers, and the tests here, which start it, all run on the same one.
PCSCD_TESTS = ("tests/terminal/", "tests/bench_smoke/test_terminal_tap_bench.py",
               "tests/scripts/test_demo_script.py")
PCSCD_FIXTURES = {"pcsc_lab", "pcsc_lab_free"}


def pytest_itemcollected(item):
    if PCSCD_FIXTURES.intersection(item.fixturenames) and not item.nodeid.startswith(PCSCD_TESTS):
        raise pytest.UsageError(f"{item.nodeid} starts pcscd: add its file to PCSCD_TESTS in tests/conftest.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # xdist's own grouping (--dist loadgroup) renames node ids, which pytest 9 ignores
    from xdist.scheduler import LoadScopeScheduling

    class PcscdTestsOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "pcscd" if nodeid.startswith(PCSCD_TESTS) else nodeid

    return PcscdTestsOnOneWorker(config, log)


def pytest_collection_modifyitems(items):
    if HYPOTHESIS_PROFILE == "long":
        for item in items:
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(LONG_PROFILE_TIMEOUT_SECONDS))


@pytest.fixture
def pcsc_lab_free():
    """For a script that starts its own pcscd (one per machine): this run's lab is paused
    meanwhile."""
    try:
        check_installed()
    except PcscLabUnavailable as error:
        require_real_part("pcscd with the vpcd reader", str(error))
    with PcscLab.paused():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where nothing may be skipped: {report.longrepr}"


# -- databases ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    schema.upgrade(db)
    db.dispose()
    return path


@pytest.fixture
def sqlite_db(sqlite_template, tmp_path):
    path = tmp_path / "loyalty.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def postgres_cluster():
    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as error:
        require_real_part("PostgreSQL", str(error))
    try:
        cluster.start()
        template = Database(cluster.create_database("loyalty_template"))
        schema.upgrade(template)
        template.dispose()
        yield cluster
    finally:
        cluster.stop()


_database_names = itertools.count(1)


@pytest.fixture
def postgres_db(postgres_cluster):
    name = f"test_{os.getpid()}_{next(_database_names)}"
    db = Database(postgres_cluster.create_database(name, template="loyalty_template"))
    yield db
    db.dispose()
    postgres_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request) -> Database:
    """The programme database, migrated to head; the test runs once per backend."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "postgres_db")


@pytest.fixture(autouse=True)
def instance_folder(tmp_path_factory, monkeypatch):
    """Every test gets its own instance folder: nothing lands in the working copy, and no
    operator's keys or settings leak into a test."""
    folder = tmp_path_factory.mktemp("instance")
    monkeypatch.setenv("LOYALTY_INSTANCE_PATH", str(folder))
    for name in ("LOYALTY_DATABASE_URL", "LOYALTY_CARD_MASTER_KEYS", "LOYALTY_CARD_MASTER_KEYS_FILE",
                 "LOYALTY_DATA_KEYS", "LOYALTY_DATA_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    yield folder
    use_data_keys(None)  # the process's key ring: a test that set one leaves none behind


# -- time and factories ---------------------------------------------------------------------

@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_store(database, clock):
    numbers = itertools.count(1)

    def make(code: str | None = None, *, name: str | None = None, timezone: str = "Europe/Berlin",
             group: str | None = None) -> stores.Store:
        n = next(numbers)
        return stores.create_store(database, code=code or f"S{n:03d}", name=name or f"Store {n}",
                                   timezone=timezone, group=group, now=clock())
    return make


@pytest.fixture
def make_terminal(database, clock, make_store):
    numbers = itertools.count(1)

    def make(code: str | None = None, *, store: stores.Store | None = None) -> stores.Terminal:
        store = store or make_store()
        return stores.create_terminal(database, code=code or f"{store.code}-T{next(numbers)}",
                                      store_code=store.code, now=clock())
    return make


@pytest.fixture
def make_member(database, clock):
    """``make_member(points=500)``: a member, with that many points available at once."""
    numbers = itertools.count(1)

    def make(full_name: str | None = None, *, points: int = 0, **profile) -> members.Member:
        n = next(numbers)
        profile.setdefault("email", f"member{n}@example.org")
        member = members.enrol_member(database, full_name=full_name or f"Member {n}", now=clock(),
                                      **profile)
        if points:
            adjust_points(database, AdjustPoints(member.public_id, points, "test funding", "tests"),
                          caller="tests", idempotency_key=new_key(), now=clock())
        return member
    return make


def new_key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def till(database, clock):
    """The store and terminal ledger tests sell at: ``till.store_code``, ``till.terminal_code``."""
    stores.create_store(database, code="S1", name="Store 1", timezone="Europe/Berlin", now=clock())
    return stores.create_terminal(database, code="S1-T1", store_code="S1", now=clock())


@pytest.fixture
def make_basket(till, clock):
    """``make_basket(member, 1250, 800)``: a basket with one line per amount (minor units)."""
    receipts = itertools.count(1)

    def make(member: members.Member, *amounts: int, receipt: str | None = None, occurred_at=None,
             paid_with_points_minor: int = 0, quantities=None, card_number: str | None = None,
             cashier: str | None = None) -> Basket:
        amounts = amounts or (1000,)
        quantities = quantities or [1] * len(amounts)
        lines = tuple(BasketLine(line_no=i + 1, sku=f"SKU{i + 1}", quantity=Decimal(q), amount_minor=a)
                      for i, (a, q) in enumerate(zip(amounts, quantities)))
        return Basket(store_code=till.store_code, terminal_code=till.code,
                      receipt_number=receipt or f"auto-{next(receipts)}", occurred_at=occurred_at or clock(),
                      currency="EUR", lines=lines, paid_with_points_minor=paid_with_points_minor,
                      member_id=None if card_number else member.public_id, card_number=card_number,
                      cashier=cashier)
    return make


@pytest.fixture
def earn(database, clock, make_basket):
    """``earn(member, 1250)``: earn on a fresh receipt at the test till; returns PointsEarned."""
    def run(member: members.Member, *amounts: int, key: str | None = None, **basket):
        return earn_points(database, make_basket(member, *amounts, **basket), caller="S1-T1",
                           idempotency_key=key or new_key(), now=clock())
    return run


@pytest.fixture
def cashier_own_and_friends_sales(database, make_member, earn):
    """Cashier 0042 (a member whose ``cashier`` attribute names the operator) rang up a 5.00
    sale on their own card and three 10.00 sales on a friend's: (the cashier, the friend)."""
    employee, friend = make_member(), make_member()
    segments.set_member_attribute(database, employee.public_id, "cashier", "0042")
    earn(employee, 500, cashier="0042")
    for _ in range(3):
        earn(friend, 1000, cashier="0042")
    return employee, friend


@pytest.fixture
def make_card(database, clock, make_member):
    def make(member: members.Member | None = None, *, kind: str = "applet", number: str | None = None,
             status: str = "active") -> cards.Card:
        member = member or make_member()
        card = cards.issue_card(database, member_id=member.public_id, kind=kind, number=number,
                                now=clock())
        if status in ("active", "blocked"):
            card = cards.activate_card(database, card.number, now=clock())
        if status == "blocked":
            card = cards.block_card(database, card.number, reason="lost", now=clock())
        if status == "retired":
            card = cards.retire_card(database, card.number, now=clock())
        return card
    return make
