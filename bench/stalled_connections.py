"""Slowloris against ``recovery serve --sandbox``: N clients send half a request line and stall.

Prints the server's threads (its whole process tree) before and while they are held, how long a
signed webhook takes meanwhile, and how long the server takes to close them all (its header
timeout). Usage: ``.venv/bin/python bench/stalled_connections.py [N]`` (default 2000).
"""
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.security.test_stalled_connections import closed_by_server, open_stalled  # noqa: E402
from tests.serve_support import ServeCommand, elapsed  # noqa: E402


def main(count: int = 2000) -> None:
    serve = ServeCommand(Path(tempfile.mkdtemp()))
    try:
        serve.post_answer("warm-up")
        threads_before = serve.threads()
        stalled: list[socket.socket] = []
        _, opening = elapsed(lambda: stalled.extend(open_stalled(serve.url, count)))
        opened_at = time.monotonic()
        response, took = elapsed(lambda: serve.post_answer("while-stalled"))
        print(f"{count} stalled connections opened in {opening:.1f} s; threads {threads_before} before, "
              f"{serve.threads()} while held; webhook meanwhile {response.status_code} in {took * 1000:.0f} ms")
        open_ones = list(stalled)
        while open_ones and time.monotonic() - opened_at < 120:
            open_ones = [s for s in open_ones if not closed_by_server(s)]
            time.sleep(0.1)  # a benchmark's sampling interval
        print(f"all closed by the server {time.monotonic() - opened_at:.1f} s after the last one opened "
              f"({len(open_ones)} still open)")
        for sock in stalled:
            sock.close()
    finally:
        serve.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
