"""``loyalty demo``: a small programme to look at and try."""
from __future__ import annotations

import click

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


COMMANDS = (demo_group,)
