"""Staff API for stores and their terminals (``terminals.write``, admins): a shop opening, a
till added, a web shop's backend registered. Their signing keys are issued and revoked under
``/v1/staff/terminals/{code}/keys`` (``api.staff``)."""
from __future__ import annotations

from api.auth import BEARER_AUTH, staff_only
from api.context import database, now
from api.json_body import Blueprint
from api.schemas.stores import StoreInSchema, StoreSchema, TerminalInSchema, TerminalQuerySchema, TerminalSchema
from api.schemas.terminal import EmptySchema
from engine import stores

blp = Blueprint("stores", __name__, url_prefix="/v1/staff",
                description="Stores and their terminals: tills, and web shops' backends (staff: terminals.write).")
AUTH = {"security": [BEARER_AUTH]}


@blp.route("/stores", methods=["GET"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.response(200, StoreSchema(many=True))
def list_stores():
    """Every store, by code."""
    return stores.list_stores(database())


@blp.route("/stores", methods=["POST"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.arguments(StoreInSchema())
@blp.response(201, StoreSchema)
def create_store(body):
    """Open a store (``channel`` ``online``: a web shop). A code taken already is refused with
    409 ``duplicate_store``, so a retry opens no second."""
    return stores.create_store(database(), now=now(), **body)


@blp.route("/terminals", methods=["GET"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.arguments(TerminalQuerySchema(), location="query")
@blp.response(200, TerminalSchema(many=True))
def list_terminals(query):
    """The terminals, of one store or of all."""
    return stores.list_terminals(database(), store_code=query["store_code"])


@blp.route("/terminals", methods=["POST"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.arguments(TerminalInSchema())
@blp.response(201, TerminalSchema)
def create_terminal(body):
    """Register a till in a store, or a web shop's backend in its online store; then give it a
    signing key (``POST /v1/staff/terminals/{code}/keys``). A code taken already is refused
    with 409 ``duplicate_terminal``."""
    return stores.create_terminal(database(), now=now(), **body)


@blp.route("/terminals/<terminal_code>/retire", methods=["POST"])
@staff_only("terminals.write")
@blp.doc(**AUTH)
@blp.arguments(EmptySchema())
@blp.response(200, TerminalSchema)
def retire_terminal(_body, terminal_code):
    """Retire a terminal for good (a till taken out, a web shop's backend replaced): its keys
    are refused at once and it gets no new one. Retiring twice answers the same."""
    return stores.retire_terminal(database(), terminal_code)
