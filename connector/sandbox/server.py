"""Run a WSGI app on a loopback port in a background thread.

Used for the sandbox and the end-to-end tests. ``stop()`` then ``start()``
again on the same port lets a test simulate refused connections.
"""
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class PlainLogHandler(WSGIRequestHandler):
    """Werkzeug colours its access lines with ANSI codes, which a log file or journal shows as
    junk: the stand-ins log the plain request line (control characters escaped by our logging)."""

    def log_request(self, code="-", size="-") -> None:
        self.log("info", '"%s" %s %s', self.requestline, code, size)


class BackgroundServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.host = host
        self.port = port
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> "BackgroundServer":
        if self._server is not None:
            return self
        self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=PlainLogHandler)
        self.port = self._server.server_port  # resolves port 0 once, then reused
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"sandbox:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
