"""``loyalty stores`` and ``loyalty terminals``."""
from __future__ import annotations

import click

from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine import stores


@click.group("stores")
def stores_group() -> None:
    """Stores of the programme."""


@stores_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--timezone", required=True, help="IANA time zone, e.g. Europe/Berlin")
@click.option("--group", help="Store group code, e.g. CITY")
@click.option("--online", is_flag=True, help="A web shop: its terminals post orders naming the member, no card")
@pass_runtime
def create_store(runtime: Runtime, code: str, name: str, timezone: str, group: str | None, online: bool) -> None:
    """Create a store with code CODE."""
    store = stores.create_store(runtime.db, code=code, name=name, timezone=timezone, group=group,
                                channel="online" if online else "store", now=runtime.now())
    emit_one(store, as_json=False)


@stores_group.command("list")
@json_option
@pass_runtime
def list_stores(runtime: Runtime, as_json: bool) -> None:
    """List every store."""
    emit(stores.list_stores(runtime.db), ("code", "name", "timezone", "group", "channel"),
         as_json=as_json, title="stores")


@click.group("terminals")
def terminals_group() -> None:
    """Terminals (tills) in the stores."""


@terminals_group.command("create")
@click.argument("code")
@click.option("--store", "store_code", required=True, help="Code of the store the till stands in")
@click.option("--name")
@pass_runtime
def create_terminal(runtime: Runtime, code: str, store_code: str, name: str | None) -> None:
    """Register a terminal with code CODE."""
    terminal = stores.create_terminal(runtime.db, code=code, store_code=store_code, name=name,
                                      now=runtime.now())
    emit_one(terminal, as_json=False)


@terminals_group.command("retire")
@click.argument("code")
@pass_runtime
def retire_terminal(runtime: Runtime, code: str) -> None:
    """Retire terminal CODE for good: its keys are refused at once, it gets no new one."""
    emit_one(stores.retire_terminal(runtime.db, code), as_json=False)


@terminals_group.command("list")
@click.option("--store", "store_code", help="Only the terminals of this store")
@json_option
@pass_runtime
def list_terminals(runtime: Runtime, store_code: str | None, as_json: bool) -> None:
    """List terminals."""
    emit(stores.list_terminals(runtime.db, store_code=store_code),
         ("code", "store_code", "name", "status"), as_json=as_json, title="terminals")


COMMANDS = (stores_group, terminals_group)
