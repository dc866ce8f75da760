"""Slowloris against ``recovery serve``: clients that send half a request line and stall.

The development server it used to run gave each connection a thread (2,000 stalled connections,
2,008 threads, a 40 s drain). The production server must hold them all with a fixed number of
threads, keep answering webhooks meanwhile, and close each stalled one after the header timeout.
"""
import socket

import pytest

from tests.e2e.conftest import wait_until
from tests.serve_support import ServeCommand, elapsed

STALLED = 2000
HALF_A_REQUEST_LINE = b"POST /webhooks/surveys/gen"


def open_stalled(url: str, count: int) -> list[socket.socket]:
    host, port = url.removeprefix("http://").split(":")
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(HALF_A_REQUEST_LINE)
        sockets.append(sock)
    return sockets


def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


@pytest.fixture
def server(tmp_path):
    # A long header timeout: the stalled clients stay for the whole measurement.
    serve = ServeCommand(tmp_path, HEADER_TIMEOUT_SECONDS=120)
    yield serve
    serve.stop()


@pytest.mark.timeout(300)
def test_two_thousand_stalled_connections_cost_no_thread_and_a_webhook_still_lands(server):
    assert server.post_answer("warm-up").status_code == 202  # every web thread the pool starts
    threads_before, files_before = server.threads(), server.open_files()
    stalled = open_stalled(server.url, STALLED)
    try:
        # Held by the server (accepted: an open file each), not waiting in the kernel's backlog.
        wait_until(lambda: server.open_files() >= files_before + STALLED, timeout=60)
        response, took = elapsed(lambda: server.post_answer("while-stalled", timeout=10))
        assert response.status_code == 202 and response.json()["case_id"], response.text
        assert took < 5, f"the webhook waited {took:.1f} s behind the stalled clients"
        threads = server.threads()
        # A fixed pool per web process, whatever the number of connections: not one per connection.
        assert threads <= threads_before + 8, (threads_before, threads)
        assert threads < 60, threads
        assert not any(closed_by_server(s) for s in stalled[:50])  # still held, not dropped
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.timeout(180)
def test_a_stalled_request_head_is_closed_after_the_header_timeout(tmp_path):
    serve = ServeCommand(tmp_path, HEADER_TIMEOUT_SECONDS=1, KEEPALIVE_SECONDS=1)
    try:
        [stalled] = open_stalled(serve.url, 1)
        # Within the timeout plus the loop's one-second turn (and a loaded machine's slack).
        _, took = elapsed(lambda: wait_until(lambda: closed_by_server(stalled), timeout=15))
        assert took >= 0.5, "closed before the timeout: not the header timeout at work"
        assert serve.post_answer("after-timeout").status_code == 202
    finally:
        serve.stop()
