"""Where a chat alert may go: a tenant chooses the URL, so the connector must not let it point
the worker at its own network (SSRF).

* HTTPS only, except in sandbox mode (the stand-ins are local);
* optionally, only the hosts of an allow-list (``RECOVERY_CHAT_ALLOWED_HOSTS``:
  ``hooks.slack.com *.webhook.office.com``);
* only public addresses, checked **after** DNS, at send time, and the socket connects to the
  very address that was checked (a second lookup could answer otherwise: DNS rebinding). An
  address in any spelling (``2130706433``, ``0x7f000001``, ``[::1]``, ``0.0.0.0``,
  ``[::ffff:127.0.0.1]``) is what the resolver makes of it, and that is what is checked.

``advocate`` did this for requests, but its last release is from 2020 and predates urllib3 2;
hence this small adapter: a urllib3 connection whose ``_new_conn`` resolves, checks, and
connects to the checked address, while TLS still verifies the certificate of the host name.
"""
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

from connector.ports.errors import PermanentError

NOT_ALLOWED = "chat webhook address not allowed"


class BlockedDestination(PermanentError):
    """The URL or the address it resolves to is not one the connector posts to."""


def public(address: str) -> bool:
    """A globally routable unicast address (IPv4 inside IPv6 judged as the IPv4 it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not public(str(embedded)):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _numeric(host: str) -> str | None:
    """The address a literal host spells (any spelling the resolver accepts), or None for a name."""
    try:
        return str(socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)[0][4][0])
    except (socket.gaierror, UnicodeError, ValueError):
        return None


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


@dataclass(frozen=True)
class ChatPolicy:
    sandbox: bool = False
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "ChatPolicy":
        hosts = str(config.get("CHAT_ALLOWED_HOSTS") or "").replace(",", " ").split()
        return cls(sandbox=bool(config.get("SANDBOX")), allowed_hosts=tuple(hosts))

    def check_url(self, url: str) -> None:
        """What can be told before any lookup: scheme, allow-list, a literal address."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError:
            raise BlockedDestination(f"{NOT_ALLOWED}: not a URL") from None
        if parts.scheme != "https" and not (self.sandbox and parts.scheme == "http"):
            raise BlockedDestination(f"{NOT_ALLOWED}: https only")
        if not host:
            raise BlockedDestination(f"{NOT_ALLOWED}: no host")
        if self.allowed_hosts and not any(_host_matches(host, p) for p in self.allowed_hosts):
            raise BlockedDestination(f"{NOT_ALLOWED}: host not in RECOVERY_CHAT_ALLOWED_HOSTS")
        literal = _numeric(host)
        if literal is not None:
            self.check_address(literal)

    def check_setting(self, url: str) -> None:
        """For the admin API: ``check_url``, and a name that resolves now to a non-public address
        is refused at once (a name that does not resolve yet is left to the check at send time)."""
        self.check_url(url)
        parts = urlsplit(url)
        try:
            self.resolve(parts.hostname or "", parts.port or 443)
        except (socket.gaierror, UnicodeError):
            pass

    def check_address(self, address: str) -> None:
        if not self.sandbox and not public(address):
            raise BlockedDestination(f"{NOT_ALLOWED}: not a public address")

    def resolve(self, host: str, port: int) -> list[tuple[int, str]]:
        """Every address of ``host``, each checked: one non-public answer refuses them all."""
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found = [(family, str(sockaddr[0])) for family, _, _, _, sockaddr in answers]
        for _, address in found:
            self.check_address(address)
        return found


def _connection_class(base: type[HTTPConnection], policy: ChatPolicy) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            try:
                addresses = policy.resolve(self._dns_host, self.port)
            except socket.gaierror as exc:
                raise NameResolutionError(self.host, self, exc) from exc
            last: OSError | None = None
            for _, address in addresses:  # connect to the address checked, not to a new lookup
                try:
                    return connection.create_connection((address, self.port), self.timeout,
                                                        source_address=self.source_address,
                                                        socket_options=self.socket_options)
                except TimeoutError as exc:
                    raise ConnectTimeoutError(self, "connection timed out") from exc
                except OSError as exc:
                    last = exc
            raise NewConnectionError(self, f"Failed to establish a new connection: {last}")
    return Guarded


class GuardedAdapter(HTTPAdapter):
    """A requests transport adapter that only ever connects to addresses ``policy`` allows."""

    def __init__(self, policy: ChatPolicy):
        self.policy = policy
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        policy = self.policy
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,),
                         {"ConnectionCls": _connection_class(HTTPConnection, policy)}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": _connection_class(HTTPSConnection, policy)}),
        }
