"""SQLAlchemy tables of the engine. Importing this package registers every table on
``Base.metadata`` (Alembic and the tests rely on that)."""
from engine.orm import (access, cards, jobs, ledger, members, programme, rewards, rules,  # noqa: F401
                        stores, tiers, webhooks)  # (registers tables)
from engine.orm.base import Base

metadata = Base.metadata
