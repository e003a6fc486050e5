"""Entry point for WSGI servers: ``gunicorn 'api.wsgi:app'``. Like ``loyalty serve``, a worker
refuses to start while stored secrets do not open with its data keys."""
from api import create_app
from api.context import DATABASE_KEY
from api.serving import settle_for_serving
from engine.stored_secrets import start_refusal

app = create_app()
_refusal = start_refusal(app.extensions[DATABASE_KEY])
if _refusal:
    raise RuntimeError(_refusal)
settle_for_serving()
