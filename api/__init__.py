"""The HTTP API: translates requests into engine calls and engine answers into JSON."""
from api.app import create_app

__all__ = ["create_app"]
