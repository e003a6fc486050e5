"""The password link a test member was sent, as the mailer would read it from the messages."""
from __future__ import annotations

from engine.database import Database
from engine.messages import pending_messages


def sent_path(database: Database) -> str:
    """The portal path of the newest password link waiting for the mailer."""
    [*_, message] = [m for m in pending_messages(database) if m.kind == "password_link"]
    return message.payload["path"]


def sent_link(database: Database) -> str:
    """The secret of the newest password link waiting for the mailer."""
    return sent_path(database).split("?link=", 1)[1]
