"""SQLAlchemy tables of the engine. Importing this package registers every table on
``Base.metadata`` (Alembic and the tests rely on that)."""
from engine.orm import cards, jobs, ledger, members, programme, rewards, stores, tiers  # noqa: F401  (registers tables)
from engine.orm.base import Base

metadata = Base.metadata
