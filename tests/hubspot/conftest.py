"""Fixtures for the HubSpot adapter and stand-in tests.

Outbound calls are tested against the stand-in over real HTTP (BackgroundServer)
with the real SDK: hubspot-api-client talks urllib3, which ``responses`` cannot
intercept, and a fake at the SDK boundary would not exercise what breaks in
practice (host override, retries, (de)serialization, error classes).
"""
import pytest
from hubspot_helpers import TOKEN

from connector.providers.hubspot import HubSpotAdapter
from connector.providers.hubspot.mapping import load_hubspot_mapping
from connector.sandbox.hubspot import create_hubspot_standin
from connector.sandbox.server import BackgroundServer


@pytest.fixture
def mapping():
    return load_hubspot_mapping()


@pytest.fixture
def standin():
    return create_hubspot_standin()


@pytest.fixture
def state(standin):
    return standin.extensions["hubspot_standin"]


@pytest.fixture
def api(standin):
    """Flask test client that sends the bearer token."""
    client = standin.test_client()

    def call(method, path, json=None, token=TOKEN, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.open(path, method=method, json=json, headers=headers, **kwargs)
    return call


class _Switch:
    """WSGI app that forwards to the current test's stand-in (one server per session:
    werkzeug takes half a second to shut a server down)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def _shared_server():
    srv = BackgroundServer(_Switch()).start()
    yield srv
    srv.stop()


@pytest.fixture
def serve(_shared_server):
    """``serve(app)`` puts ``app`` behind the shared loopback server and returns the server."""
    def put(app):
        _shared_server.app.app = app
        return _shared_server.start()
    yield put
    _shared_server.start()   # a test may have stopped it to simulate an outage


@pytest.fixture
def server(serve, standin):
    return serve(standin)


@pytest.fixture
def adapter(server, mapping):
    return HubSpotAdapter.from_config(
        {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": server.url, "HUBSPOT_TIMEOUT": 5}, mapping)
