"""``loyalty``: the operator's command line. Every command is a thin call into the engine."""
from __future__ import annotations

import os
import sys

import click

from api.config import ConfigError, load_config
from cli import (access, cards, db, demo, jobs, ledger, members, rewards, rules, serve, settings, stores, tiers,
                 webhooks)
from cli.audit import install_audit
from cli.runtime import Runtime
from engine.errors import InvalidInput, LoyaltyError
from engine.sealing import use_data_keys


class LoyaltyGroup(click.Group):
    """Turns engine refusals into a clear message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except LoyaltyError as error:
            lines = [f"{error.message} [{error.code}]"]
            if isinstance(error, InvalidInput) and len(error.problems) > 1:
                lines = ["the input is not valid [invalid_input]"] + [f"  - {p}" for p in error.problems]
            raise click.ClickException("\n".join(lines)) from error


@click.group(cls=LoyaltyGroup)
@click.option("--database-url", metavar="URL",
              help="SQLAlchemy URL of the programme database "
                   "[env LOYALTY_DATABASE_URL; default: SQLite in the instance folder]")
@click.pass_context
def loyalty(ctx: click.Context, database_url: str | None) -> None:
    """Run and administer the loyalty programme."""
    try:
        config = load_config(os.environ)
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    use_data_keys(config["DATA_KEYS"])
    runtime = Runtime(database_url or config["DATABASE_URL"], webhook_private_hosts=config["WEBHOOK_PRIVATE_HOSTS"])
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)


for module in (db, settings, stores, members, cards, ledger, rules, tiers, rewards, jobs, access, webhooks, demo,
               serve):
    for command in module.COMMANDS:
        loyalty.add_command(command)
install_audit(loyalty)


def main(argv: list[str] | None = None) -> None:
    loyalty.main(args=argv, prog_name="loyalty")


if __name__ == "__main__":
    main(sys.argv[1:])
