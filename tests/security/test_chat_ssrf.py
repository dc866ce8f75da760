"""Issue 14, finding 3: SSRF through a tenant's ``CHAT_WEBHOOK_URL``.

Loopback, private, link-local and metadata addresses were accepted in every spelling; the worker
posted case data there, followed redirects (a 307 re-sends the body elsewhere), and the job's
``last_error`` told closed ports from open ones. Now: HTTPS only outside sandbox mode, the
address checked after DNS and the connection made to the checked address, no redirects, an
optional allow-list of chat hosts, one error text for every way a post fails to arrive."""
import socket
import threading

import pytest
import requests
import responses

from connector.installs import store
from connector.ports.errors import PermanentError, RetryableError, SyncError
from connector.providers.chat import ChatAlerts
from connector.providers.chat.guard import ChatPolicy
from connector.store.db import transaction
from tests.conftest import ADMIN_TOKEN, make_runtime
from tests.installs.support import oauth_config

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SPELLINGS = ("127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]", "0.0.0.0", "localhost",
             "[::ffff:127.0.0.1]")
PRIVATE = ("10.0.0.5", "192.168.1.10", "172.16.0.1", "169.254.169.254", "100.64.0.1", "[fd00::1]", "[fe80::1]")


class Listener:
    """A TCP port on loopback that counts the connections it receives (the internal service)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port, self.accepted, self.stop = self.sock.getsockname()[1], 0, threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.mark.parametrize("host", SPELLINGS + PRIVATE)
def test_a_non_public_address_in_any_spelling_is_never_connected_to(listener, host):
    chat = ChatAlerts(f"https://{host}:{listener.port}/hooks/x", policy=ChatPolicy())
    with pytest.raises(PermanentError, match="not allowed"):
        chat.post("case data")
    assert listener.accepted == 0


def test_a_name_that_resolves_to_a_private_address_is_refused_after_dns(listener, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):  # the attacker's DNS: a public answer beside a loopback one
        if host == "chat.attacker.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", listener.port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", listener.port))]
        return real(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(PermanentError, match="not allowed"):
        ChatAlerts(f"https://chat.attacker.example:{listener.port}/x", policy=ChatPolicy()).post("case data")
    assert listener.accepted == 0


def test_plain_http_is_refused_outside_sandbox_mode(listener):
    with pytest.raises(PermanentError, match="not allowed"):
        ChatAlerts("http://hooks.slack.example/services/x", policy=ChatPolicy()).post("case data")
    sandbox = ChatAlerts(f"http://127.0.0.1:{listener.port}/hook", policy=ChatPolicy(sandbox=True))
    with pytest.raises(RetryableError):  # the stand-ins are local: sandbox mode reaches them
        sandbox.post("hello")
    assert listener.accepted == 1


@responses.activate
def test_a_redirect_is_not_followed():
    responses.post("https://hooks.slack.example/x", status=307, headers={"Location": "https://elsewhere.example/y"})
    responses.post("https://elsewhere.example/y", status=200)
    with pytest.raises(PermanentError):
        ChatAlerts("https://hooks.slack.example/x").post("case data")
    assert [call.request.url for call in responses.calls] == ["https://hooks.slack.example/x"]


@responses.activate
def test_a_refused_port_and_a_silent_one_read_the_same_in_the_jobs_error():
    responses.post("https://a.example/x", body=requests.ConnectionError("Connection refused"))
    responses.post("https://b.example/x", body=requests.ReadTimeout("read timed out"))
    errors = []
    for url in ("https://a.example/x", "https://b.example/x"):
        with pytest.raises(SyncError) as raised:
            ChatAlerts(url).post("case data")
        errors.append((type(raised.value), str(raised.value)))
    assert errors[0] == errors[1]


@responses.activate
def test_an_allow_list_keeps_chat_to_the_named_hosts():
    responses.post("https://hooks.slack.com/services/x", status=200)
    policy = ChatPolicy(allowed_hosts=("hooks.slack.com", "*.webhook.office.com"))
    ChatAlerts("https://hooks.slack.com/services/x", policy=policy).post("ok")
    with pytest.raises(PermanentError, match="not allowed"):
        ChatAlerts("https://evil.example/x", policy=policy).post("case data")
    assert len(responses.calls) == 1


@pytest.fixture
def admin(db_url):
    from connector.web.app import create_app

    rt = make_runtime(oauth_config(db_url))
    with transaction(rt.sessions) as session:
        store.ensure_tenant(session, "t_acme")
    yield create_app(rt.config, runtime=rt).test_client()
    rt.engine.dispose()


def _put_chat(admin, url: str):
    return admin.put("/api/tenants/t_acme/secrets", headers=ADMIN, json={"CHAT_WEBHOOK_URL": url})


@pytest.mark.parametrize("url", [f"https://{host}/hook" for host in SPELLINGS + PRIVATE] + [
    "http://hooks.slack.com/services/x"])
def test_the_admin_api_refuses_a_chat_url_that_could_not_be_posted_to(admin, url):
    put = _put_chat(admin, url)
    assert put.status_code == 422 and "CHAT_WEBHOOK_URL" in put.get_json()["fields"], url


def test_the_admin_api_keeps_to_the_allow_list_when_one_is_set(admin):
    admin.application.config["CHAT_ALLOWED_HOSTS"] = "hooks.slack.com *.webhook.office.com"
    for url in ("https://evil.example/hook", "https://hooks.slack.com.evil.example/x"):
        assert _put_chat(admin, url).status_code == 422, url
    for url in ("https://hooks.slack.com/services/T0/B0/x", "https://acme.webhook.office.com/webhookb2/x"):
        assert _put_chat(admin, url).status_code == 200, url
