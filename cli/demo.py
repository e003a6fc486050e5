"""``loyalty demo``: a small programme to look at and try."""
from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click

from api.config import PREFIX, key_file, load_config
from cli.access import add_data_key, add_master_key
from engine.access.passwords import Passwords
from engine.cards import list_cards
from engine.demo_access import DEMO_WEBHOOK_HOSTS, load_demo_access
from engine.members import list_members

from cli.runtime import Runtime, pass_runtime
from engine.demo import load_demo
from engine.errors import InvalidState
from engine.sealing import use_data_keys
from engine.webhooks import change_endpoint, signature_matches


@click.group("demo")
def demo_group() -> None:
    """The demo programme."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True,
              help="Succeed quietly when the database already holds a programme")
@pass_runtime
def load(runtime: Runtime, if_empty: bool) -> None:
    """Load the demo programme (stores, terminals, members, cards) into an empty database."""
    for name, add, what in (("DATA_KEYS", add_data_key, "data key"),
                            ("CARD_MASTER_KEYS", add_master_key, "card master key")):
        path = key_file(os.environ, name)
        if not os.environ.get(PREFIX + name) and not path.exists():
            add(path)
            click.echo(f"{what} version 1 generated in {path}")
    use_data_keys(load_config(os.environ)["DATA_KEYS"])  # the demo's secrets are sealed from the first
    try:
        summary = load_demo(runtime.db, now=runtime.now())
    except InvalidState as error:
        if if_empty and error.code == "not_empty":
            click.echo("the database already holds a programme; demo not loaded again")
            return
        raise
    click.echo(f"demo programme loaded: {summary.stores} stores, {summary.terminals} terminals, "
               f"{summary.members} members; cards {', '.join(summary.cards)}")
    credentials = load_demo_access(runtime.db, passwords=Passwords(), now=runtime.now())
    path = Path(load_config(os.environ)["INSTANCE_PATH"]) / "demo-credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(path, json.dumps(dataclasses.asdict(credentials), indent=2))
    click.echo(f"demo sign-ins (staff, members, terminal keys) written to {path}")


@demo_group.command("till")
@click.option("--api-url", default="http://127.0.0.1:8000", show_default=True, help="Where the service answers")
@click.option("--terminal", "terminal_code", default="BER-01-T1", show_default=True, help="The demo till")
@pass_runtime
def till(runtime: Runtime, api_url: str, terminal_code: str) -> None:
    """Write the demo till's configuration and the demo cards' keys into the instance folder
    (for the virtual card, a development tool: real cards hold their key and never tell it)."""
    config = load_config(os.environ)
    instance = Path(config["INSTANCE_PATH"])
    credentials = json.loads((instance / "demo-credentials.json").read_text())
    key = credentials["terminals"][terminal_code]
    till_file = instance / "till.toml"
    _write_private(till_file, "\n".join([
        "# The demo till (written by `loyalty demo till`).",
        f'api_url = "{api_url}"', f'key_id = "{key["key_id"]}"', f'secret = "{key["secret"]}"',
        f'store_code = "{key["store_code"]}"', f'terminal_code = "{terminal_code}"',
        'reader = "Virtual PCD 00 00"', f'outbox = "{instance / "till-outbox.sqlite3"}"', ""]))
    keys = config["CARD_MASTER_KEYS"]
    cards = [{"member": member.full_name, "card_number": card.number, "key_version": card.key_version,
              "status": card.status, "card_key": keys.card_key(card.key_version, card.number).hex()}
             for member in list_members(runtime.db) for card in list_cards(runtime.db, member_id=member.public_id)
             if card.kind == "applet"]
    _write_private(instance / "demo-cards.json", json.dumps(cards, indent=2))
    click.echo(f"demo till configuration written to {till_file}; demo card keys to {instance / 'demo-cards.json'}")


@demo_group.command("receiver")
@click.option("--bind", default="127.0.0.1:8001", show_default=True, metavar="127.0.0.1:PORT",
              help="Where to receive (the demo's webhook endpoint is pointed here)")
@pass_runtime
def receiver(runtime: Runtime, bind: str) -> None:
    """Stand in for the chain's CRM: receive the demo's webhook posts and print each event,
    its signature checked with the endpoint's secret (from demo-credentials.json)."""
    instance = Path(load_config(os.environ)["INSTANCE_PATH"])
    webhook = json.loads((instance / "demo-credentials.json").read_text()).get("webhook")
    if not webhook:
        click.echo("this demo instance has no webhook endpoint (it was loaded before webhooks); no receiver")
        return
    host, _, port = bind.rpartition(":")
    url = f"http://{bind}/hooks/loyalty"
    change_endpoint(runtime.db, webhook["id"], url=url, allowed_private=DEMO_WEBHOOK_HOSTS)
    server = ThreadingHTTPServer((host, int(port)), _receiver_handler(webhook["secret"]))
    click.echo(f"demo receiver: the programme's events arrive at {url}; Ctrl-C stops", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _receiver_handler(secret: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signed = signature_matches(secret, self.headers.get("Loyalty-Signature", ""), body,
                                       now=datetime.now(UTC))
            self.send_response(204 if signed else 401)
            self.end_headers()
            click.echo(describe_event(body, signed=signed))

        def log_message(self, *args):
            pass
    return Handler


def describe_event(body: bytes, *, signed: bool) -> str:
    """One line for a received post: its kind and data, or why it is not taken."""
    if not signed:
        return "REFUSED a post without a valid signature"
    event = json.loads(body)
    return f"{event['created_at']} {event['kind']}: " + ", ".join(f"{k}={v}" for k, v in event["data"].items())


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


COMMANDS = (demo_group,)
