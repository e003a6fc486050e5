"""``loyalty demo``: a small programme to look at and try."""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import click

from api.config import load_config
from cli.access import add_master_key
from engine.access.passwords import Passwords
from engine.demo_access import load_demo_access

from cli.runtime import Runtime, pass_runtime
from engine.demo import load_demo
from engine.errors import InvalidState


@click.group("demo")
def demo_group() -> None:
    """The demo programme."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True,
              help="Succeed quietly when the database already holds a programme")
@pass_runtime
def load(runtime: Runtime, if_empty: bool) -> None:
    """Load the demo programme (stores, terminals, members, cards) into an empty database."""
    try:
        summary = load_demo(runtime.db, now=runtime.now())
    except InvalidState as error:
        if if_empty and error.code == "not_empty":
            click.echo("the database already holds a programme; demo not loaded again")
            return
        raise
    click.echo(f"demo programme loaded: {summary.stores} stores, {summary.terminals} terminals, "
               f"{summary.members} members; cards {', '.join(summary.cards)}")
    instance = Path(load_config(os.environ)["INSTANCE_PATH"])
    keys_file = Path(os.environ.get("LOYALTY_CARD_MASTER_KEYS_FILE") or instance / "card-master-keys")
    if not os.environ.get("LOYALTY_CARD_MASTER_KEYS") and not keys_file.exists():
        add_master_key(keys_file)
        click.echo(f"card master key version 1 generated in {keys_file}")
    credentials = load_demo_access(runtime.db, passwords=Passwords(), now=runtime.now())
    path = instance / "demo-credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(dataclasses.asdict(credentials), file, indent=2)
    click.echo(f"demo sign-ins (staff, members, terminal keys) written to {path}")


COMMANDS = (demo_group,)
