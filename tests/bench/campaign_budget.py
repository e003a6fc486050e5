"""Campaign budget benchmark: accruals through a budgeted campaign rule, racing on PostgreSQL.

The rules benchmark's accrual half. A campaign's budget is cut into slices (rows) so that
concurrent accruals take points from different rows instead of queueing on one; this
measures that they do. Every sale earns the base rate and a campaign rule's 300 bonus points
(``earn_points`` through the published rules, 3-line baskets named by card, C client
threads, default 8, each with members of its own), in three databases of one durable
PostgreSQL cluster:

- unbudgeted: the campaign has no budget (no slice is touched): the reference;
- sliced: a budget far larger than the run can spend, in the default number of slices;
- one_row: the same budget in one slice. An accrual never waits for a slice another holds
  (``FOR UPDATE SKIP LOCKED``), so here a sale whose slice is busy goes without its bonus
  although the budget is nowhere near spent.

The kinds alternate in R rounds (default 4) so that all see the machine alike; every round
is printed and the result pools them. Afterwards, in each database: the ledger invariants
hold, the slices' ``used`` never passed their ``size``, and the points the campaign rule
gave add up exactly to what the slices record as used; otherwise the script exits non-zero.
Reported per kind: accruals/s, p50/p99 latency, and the share of sales that did not get the
full bonus ("denied"). The last line printed is

    RESULT campaign_budget sliced_tps=... unbudgeted_tps=... ratio=... sliced_p99_ms=...
    unbudgeted_p99_ms=... sliced_denied_pct=... one_row_tps=... one_row_denied_pct=...
    slices=... clients=... rounds=...

(on one line). Run from the repository root:

    .venv/bin/python -m tests.bench.campaign_budget [--tiny] [--clients C] [--seconds S] [--members N] [--rounds R]
"""
from __future__ import annotations

import signal
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.database import Database
from engine.ledger.invariants import check_ledger
from engine.rules.campaigns import DEFAULT_SLICES, create_campaign
from engine.rules.versions import create_draft, publish_rules
from tests.bench.ledger_accrual import (
    Kind,
    Preset,
    engine_accruers,
    make_tills,
    parse_preset,
    pooled,
    prepare_database,
)
from tests.support.postgres import PostgresCluster

RULE = "summer-bonus"
BONUS = 300
BUDGET = 10**12  # the largest budget a campaign takes: never spent within a run


@dataclass(frozen=True)
class Budget:
    """How one kind's campaign is budgeted."""

    name: str
    budget: int | None
    slices: int


KINDS = (Budget("unbudgeted", None, DEFAULT_SLICES), Budget("sliced", BUDGET, DEFAULT_SLICES),
         Budget("one_row", BUDGET, 1))


@dataclass(frozen=True)
class Outcome:
    """What one kind's database holds after the run."""

    sales: int
    denied: int  # sales that did not get the full bonus

    @property
    def denied_pct(self) -> float:
        return 100 * self.denied / self.sales


def prepare(cluster: PostgresCluster, budget: Budget, preset: Preset) -> Database:
    """The ledger benchmark's store, terminal and members, and a running campaign whose rule
    gives every sale ``BONUS`` points."""
    db = prepare_database(cluster, f"bench_{budget.name}", members_count=preset.members, clients=preset.clients)
    now = datetime.now(UTC)
    create_campaign(db, code="summer", name="Summer", starts_at=now - timedelta(days=1),
                    ends_at=now + timedelta(days=30), budget=budget.budget, slices=budget.slices, now=now)
    create_draft(db, {"key": RULE, "name": "Summer bonus", "campaign": "summer",
                      "effect": {"kind": "fixed_per_transaction", "points": BONUS}}, now=now)
    publish_rules(db, [RULE], now=now - timedelta(minutes=1))
    return db


def outcome(kind: Kind, budget: Budget) -> Outcome:
    """The ledger checked, the budget kept, and how many sales went without their full bonus."""
    problems = check_ledger(kind.db)
    if problems:
        sys.exit(f"{kind.name}: the ledger check found {len(problems)} problems:\n" + "\n".join(problems[:20]))
    with kind.db.engine.connect() as connection:
        sales = connection.exec_driver_sql("SELECT count(*) FROM receipts").scalar_one()
        full, given = connection.exec_driver_sql(
            "SELECT count(*) FILTER (WHERE applied = desired), COALESCE(sum(applied), 0) "
            "FROM receipt_rule_awards WHERE rule_key = %(rule)s", {"rule": RULE}).one()
        used, overdrawn = connection.exec_driver_sql(
            "SELECT COALESCE(sum(used), 0), count(*) FILTER (WHERE used > size) FROM campaign_budget_slices").one()
    if overdrawn or (budget.budget is not None and given != used):
        sys.exit(f"{kind.name}: {overdrawn} slices overdrawn; the rule gave {given} points, the slices record {used}")
    return Outcome(sales, sales - full)


def run(cluster: PostgresCluster, preset: Preset) -> list[tuple[Kind, Outcome]]:
    """Every kind's rounds, alternating; each database checked afterwards."""
    with ExitStack() as stack:
        kinds = []
        for budget in KINDS:
            db = prepare(cluster, budget, preset)
            stack.callback(db.dispose)
            kinds.append(Kind(budget.name, db, engine_accruers(db, preset.clients), make_tills(db, preset.clients), []))
        for _ in range(preset.rounds):
            for kind in kinds:
                kind.run_round(preset.seconds / preset.rounds)
        return [(kind, outcome(kind, budget)) for kind, budget in zip(kinds, KINDS)]


def report(preset: Preset, results: list[tuple[Kind, Outcome]]) -> None:
    print(f"campaign budget: {preset.clients} clients, {preset.members} members, {preset.rounds} x "
          f"{preset.seconds / preset.rounds:g} s per kind (alternating), a {BONUS}-point campaign rule on every "
          f"sale, durable PostgreSQL; budgets: " + ", ".join(
              f"{b.name} {'none' if b.budget is None else f'{b.slices} slice(s)'}" for b in KINDS))
    for n in range(preset.rounds):
        print(f"  round {n + 1}: " + ", ".join(f"{kind.name} {kind.rounds[n].tps:7.1f}/s" for kind, _ in results))
    figures = {}
    for kind, found in results:
        m = pooled(kind.rounds)
        figures[kind.name] = (m, found)
        print(f"{kind.name:10} {m.accruals:6d} accruals in {m.seconds:5.1f} s: {m.tps:7.1f}/s  "
              f"p50 {m.latency_ms(50):6.2f} ms  p99 {m.latency_ms(99):6.2f} ms  "
              f"denied the bonus: {found.denied} of {found.sales} sales ({found.denied_pct:.1f} %)")
    (sliced, sliced_outcome), (unbudgeted, _), (one_row, one_row_outcome) = (
        figures[name] for name in ("sliced", "unbudgeted", "one_row"))
    ratio = sliced.tps / unbudgeted.tps
    print(f"sliced/unbudgeted: {ratio:.3f}")
    print(f"RESULT campaign_budget sliced_tps={sliced.tps:.1f} unbudgeted_tps={unbudgeted.tps:.1f} ratio={ratio:.3f} "
          f"sliced_p99_ms={sliced.latency_ms(99):.2f} unbudgeted_p99_ms={unbudgeted.latency_ms(99):.2f} "
          f"sliced_denied_pct={sliced_outcome.denied_pct:.1f} one_row_tps={one_row.tps:.1f} "
          f"one_row_denied_pct={one_row_outcome.denied_pct:.1f} slices={DEFAULT_SLICES} "
          f"clients={preset.clients} rounds={preset.rounds}")


def main(argv: list[str] | None = None) -> None:
    preset = parse_preset(argv, __doc__)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so the cluster stops
    cluster = PostgresCluster(durable=True)
    try:
        cluster.start()
        report(preset, run(cluster, preset))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
