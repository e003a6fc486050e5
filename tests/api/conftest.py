import pytest

from api import create_app


@pytest.fixture
def make_app(database, clock):
    """An application on the test's database; ``config`` adds or overrides settings."""
    def make(**config):
        return create_app({"DATABASE": database, "CLOCK": clock, "TESTING": True, **config})
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
