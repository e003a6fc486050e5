"""Liveness and readiness for load balancers and orchestrators."""
from __future__ import annotations

import marshmallow as ma

from api.context import database
from api.errors import ApiError, ErrorSchema
from api.json_body import Blueprint
from engine.schema import readiness_problems

blp = Blueprint("health", __name__, url_prefix="/health",
                description="Is the service up, and can it serve requests?")


class LiveSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})


class ReadySchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ready"})
    database = ma.fields.String(required=True, metadata={"example": "sqlite"})
    schema_revision = ma.fields.String(required=True)


@blp.route("/live")
@blp.response(200, LiveSchema)
def live():
    """The process answers (it says nothing about the database)."""
    return {"status": "ok"}


@blp.route("/ready")
@blp.response(200, ReadySchema)
@blp.alt_response(503, schema=ErrorSchema, description="Not ready: the message says why")
def ready():
    """The database answers and its schema is the one this code needs."""
    db = database()
    problems, revision = readiness_problems(db)
    if problems:
        raise ApiError(503, "not_ready", "; ".join(problems))
    return {"status": "ready", "database": db.url.get_backend_name(), "schema_revision": revision}
