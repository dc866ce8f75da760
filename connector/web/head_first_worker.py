"""gunicorn's threaded worker, with each request's head read by the event loop, not by a thread.

gunicorn's ``gthread`` worker hands a connection to a pool thread as soon as its first bytes
arrive, and the thread then blocks until the request line and headers are complete. A client
that sends half a request line and stalls (slowloris, or just a bad network) holds that thread;
a few of them hold the whole pool and every other request waits.

Here the worker's main loop collects the head without blocking (``select`` on every open
socket), and a thread gets the connection only once the blank line that ends the head has
arrived. A stalled head costs a socket and a buffer, never a thread, and is closed after
``header_timeout`` seconds. Once in a thread, every read and write of the body or the answer
is bounded by ``io_timeout``: a client that stops half-way through its body loses its
connection instead of keeping the thread.

Plain HTTP/1.1 only (TLS is the proxy's job in front of the connector, as for any gunicorn).
"""
import errno
import selectors
import socket
import time
from functools import partial

from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

END_OF_HEAD = b"\r\n\r\n"
MAX_HEAD_BYTES = 64 * 1024  # past this the parser answers 431/400 itself; stop buffering


class BoundedSocket(socket.socket):
    """A socket whose blocking mode waits ``io_timeout`` at most, and whose timeout reads as a
    reset: gunicorn then closes the connection quietly instead of logging a traceback."""

    io_timeout: float = 30.0

    @classmethod
    def adopt(cls, sock: socket.socket, io_timeout: float) -> "BoundedSocket":
        bounded = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        bounded.io_timeout = io_timeout
        return bounded

    def setblocking(self, flag: bool) -> None:
        self.settimeout(self.io_timeout if flag else 0.0)

    def _bounded(self, call, *args):
        try:
            return call(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "client stalled past the I/O timeout") from None

    def recv(self, *args):
        return self._bounded(super().recv, *args)

    def recv_into(self, *args):
        return self._bounded(super().recv_into, *args)

    def send(self, *args):
        return self._bounded(super().send, *args)

    def sendall(self, *args):
        return self._bounded(super().sendall, *args)


class HeadFirstWorker(ThreadWorker):
    """``gthread`` with the request head read in the event loop (see the module docstring)."""

    header_timeout = 10.0
    io_timeout = 30.0

    def init_process(self):
        # Connections whose head is still arriving, in the order of their deadlines: every one
        # gets the same timeout, so the oldest entry always expires first.
        self.reading_heads: dict[TConn, float] = {}
        self.stopping_at: float | None = None
        super().init_process()

    def accept(self, listener):
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, BoundedSocket.adopt(client, self.io_timeout), address, listener.getsockname())
        self._await_head(conn)

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection starts its next request: collect its head the same way."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_head(conn)

    def _await_head(self, conn: TConn) -> None:
        conn.head = bytearray()
        self.reading_heads[conn] = time.monotonic() + self.header_timeout
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_head_bytes, conn))

    def _on_head_bytes(self, conn: TConn, sock: socket.socket) -> None:
        try:
            data = sock.recv(MAX_HEAD_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before finishing its head
            self._forget_head(conn)
            return
        conn.head += data
        if END_OF_HEAD not in conn.head and len(conn.head) < MAX_HEAD_BYTES:
            return
        self.poller.unregister(sock)
        del self.reading_heads[conn]
        conn.init()  # the HTTP/1 parser of a new connection; nothing for a kept-alive one
        conn.data_ready = True
        conn.parser.unreader.unread(bytes(conn.head))
        conn.head = None
        self.enqueue_req(conn)

    def _forget_head(self, conn: TConn) -> None:
        self.reading_heads.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        """Close the heads that did not arrive in time (called by the loop once a turn). A stopping
        worker gives the heads already arriving a short grace, then closes them too."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self.stopping_at is None:
            self.stopping_at = now + STOP_KEEPALIVE_LINGER
        while self.reading_heads:
            conn, deadline = next(iter(self.reading_heads.items()))
            if deadline > now and (self.stopping_at is None or self.stopping_at > now):
                break
            self._forget_head(conn)
