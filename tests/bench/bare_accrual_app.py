"""The machine's floor for an HTTP accrual, served beside the real API by tests/bench/api_accrual.py.

The bare accrual that ``../shared/reference/performance-ceilings.md`` measured when the bar of
issue 4 was set (about 1,300/s then, with a plain one-query Flask endpoint at about 2,800/s):
Flask and SQLAlchemy, one transaction of four statements (the account locked, a ledger row
inserted, the balance updated, the commit) for a random one of ``ACCOUNTS`` accounts, no
authentication, no rules, no idempotency. It is not a loyalty accrual; it says what this
machine gives the simplest one at the hour the benchmark runs, so that the real accrual's
rate can be read against it when the machine's speed has moved.

    BARE_ACCRUAL_DATABASE_URL=postgresql+psycopg://... gunicorn tests.bench.bare_accrual_app:app
"""
from __future__ import annotations

import os
import random

import sqlalchemy as sa
from flask import Flask, jsonify

ACCOUNTS = 100_000
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS bare_accounts (id integer PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS bare_ledger (id bigserial PRIMARY KEY, "
    "account_id integer NOT NULL REFERENCES bare_accounts (id), points bigint NOT NULL, "
    "created_at timestamptz NOT NULL DEFAULT now())",
    f"INSERT INTO bare_accounts (id) SELECT generate_series(1, {ACCOUNTS}) ON CONFLICT DO NOTHING",
]
LOCK = sa.text("SELECT balance FROM bare_accounts WHERE id = :id FOR UPDATE")
POST = sa.text("INSERT INTO bare_ledger (account_id, points) VALUES (:id, :points)")
MOVE = sa.text("UPDATE bare_accounts SET balance = balance + :points WHERE id = :id RETURNING balance")


def create_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in SCHEMA:
            connection.execute(sa.text(statement))
    engine.dispose()


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    engine = sa.create_engine(url, pool_size=8, max_overflow=0)

    @app.post("/accrue")
    def accrue():
        account, points = random.randint(1, ACCOUNTS), random.randint(1, 100)
        with engine.begin() as connection:
            connection.execute(LOCK, {"id": account})
            connection.execute(POST, {"id": account, "points": points})
            balance = connection.execute(MOVE, {"id": account, "points": points}).scalar_one()
        return jsonify(account=account, points=points, balance=balance), 201

    return app


def served_app():
    return create_app(os.environ["BARE_ACCRUAL_DATABASE_URL"])
