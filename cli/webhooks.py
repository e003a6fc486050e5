"""``loyalty webhooks``: the endpoints the programme's events are posted to, their
deliveries, and a sending round by hand (the scheduler sends every minute)."""
from __future__ import annotations

import click

from cli.ledger import cli_caller
from cli.runtime import Runtime, emit, emit_one, json_option, pass_runtime
from engine import webhooks

KINDS = click.Choice(list(webhooks.EVENT_KINDS))
ENDPOINT_COLUMNS = ("id", "url", "kinds", "active", "description", "created_by")
DELIVERY_COLUMNS = ("id", "event_id", "kind", "created_at", "status", "attempts", "next_attempt_at", "last_status",
                    "last_error")


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhooks: events posted, signed, to the chain's other systems."""


@webhooks_group.command("add")
@click.argument("url")
@click.option("--kind", "kinds", multiple=True, required=True, type=KINDS, help="An event kind to send (repeat)")
@click.option("--description", default="")
@json_option
@pass_runtime
def add(runtime: Runtime, url: str, kinds: tuple[str, ...], description: str, as_json: bool) -> None:
    """Add an endpoint at URL; prints the secret its posts are signed with, this once."""
    added = webhooks.add_endpoint(runtime.db, url=url, kinds=list(kinds), description=description,
                                  actor=cli_caller(), now=runtime.now(),
                                  allowed_private=runtime.webhook_private_hosts)
    emit_one(added.shown(), as_json=as_json)


@webhooks_group.command("list")
@json_option
@pass_runtime
def list_command(runtime: Runtime, as_json: bool) -> None:
    """Every endpoint (without secrets)."""
    emit(webhooks.list_endpoints(runtime.db), ENDPOINT_COLUMNS, as_json=as_json, title="webhook endpoints")


@webhooks_group.command("change")
@click.argument("endpoint_id", type=int)
@click.option("--url")
@click.option("--kind", "kinds", multiple=True, type=KINDS, help="The event kinds to send from now on (repeat)")
@click.option("--description")
@click.option("--active/--inactive", default=None, help="Inactive: nothing is recorded or sent for it")
@json_option
@pass_runtime
def change(runtime: Runtime, endpoint_id: int, url: str | None, kinds: tuple[str, ...], description: str | None,
           active: bool | None, as_json: bool) -> None:
    """Change endpoint ENDPOINT_ID."""
    emit_one(webhooks.change_endpoint(runtime.db, endpoint_id, allowed_private=runtime.webhook_private_hosts,
                                      url=url, kinds=list(kinds) or None, description=description, active=active),
             as_json=as_json)


@webhooks_group.command("new-secret")
@click.argument("endpoint_id", type=int)
@json_option
@pass_runtime
def new_secret(runtime: Runtime, endpoint_id: int, as_json: bool) -> None:
    """A new signing secret for endpoint ENDPOINT_ID, printed this once (posts from now on are signed with it)."""
    emit_one(webhooks.renew_secret(runtime.db, endpoint_id).shown(), as_json=as_json)


@webhooks_group.command("remove")
@click.argument("endpoint_id", type=int)
@pass_runtime
def remove(runtime: Runtime, endpoint_id: int) -> None:
    """Remove endpoint ENDPOINT_ID and its deliveries."""
    webhooks.remove_endpoint(runtime.db, endpoint_id)
    click.echo(f"webhook endpoint {endpoint_id} removed")


@webhooks_group.command("deliveries")
@click.argument("endpoint_id", type=int)
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]))
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@json_option
@pass_runtime
def deliveries(runtime: Runtime, endpoint_id: int, status: str | None, limit: int, as_json: bool) -> None:
    """The deliveries of endpoint ENDPOINT_ID, newest first."""
    emit(webhooks.list_deliveries(runtime.db, endpoint_id, status=status, limit=limit), DELIVERY_COLUMNS,
         as_json=as_json, title=f"deliveries to endpoint {endpoint_id}")


@webhooks_group.command("send-again")
@click.argument("endpoint_id", type=int)
@click.argument("delivery_id", type=int)
@json_option
@pass_runtime
def send_again(runtime: Runtime, endpoint_id: int, delivery_id: int, as_json: bool) -> None:
    """Send failed delivery DELIVERY_ID of endpoint ENDPOINT_ID again."""
    emit_one(webhooks.send_again(runtime.db, endpoint_id, delivery_id, now=runtime.now()), as_json=as_json)


@webhooks_group.command("test")
@click.argument("endpoint_id", type=int)
@json_option
@pass_runtime
def test(runtime: Runtime, endpoint_id: int, as_json: bool) -> None:
    """Queue a webhook.test event for endpoint ENDPOINT_ID alone."""
    emit_one(webhooks.send_test_event(runtime.db, endpoint_id, now=runtime.now()), as_json=as_json)


@webhooks_group.command("send")
@pass_runtime
def send(runtime: Runtime) -> None:
    """Send the deliveries that are due now (for up to 50 seconds)."""
    click.echo(_summary(runtime, _round(runtime)))


def webhooks_tick(runtime: Runtime) -> webhooks.SendingRound:
    """The scheduler's minutely work: what is due, for up to 50 seconds; says what it did,
    when it did anything."""
    done = _round(runtime)
    if done != webhooks.SendingRound(0, 0, 0):
        click.echo(_summary(runtime, done))
    return done


def _round(runtime: Runtime) -> webhooks.SendingRound:
    return webhooks.deliver_due(runtime.db, now=runtime.now(), allowed_private=runtime.webhook_private_hosts)


def _summary(runtime: Runtime, done: webhooks.SendingRound) -> str:
    return (f"{runtime.now().isoformat()} webhooks: {done.delivered} delivered, {done.retrying} to be tried again, "
            f"{done.failed} failed, {done.deferred} left for the next round (their endpoint is down)")


COMMANDS = (webhooks_group,)
