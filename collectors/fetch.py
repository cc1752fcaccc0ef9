"""The safe HTTP fetcher: one GET, with every limit a hostile or broken server could abuse.

feedparser can fetch by itself, but without a timeout or a size cap, so feeds are fetched
here with httpx and only the bytes are handed to the parser. What this guards against:

- slow servers: a connect timeout, a read timeout, and a total deadline checked between
  chunks (a server dripping one byte every few seconds never trips a read timeout);
- big bodies: a byte cap counted after decompression, with our own bounded inflater
  (httpx's decoders have no output limit, so one 64 KB gzip chunk could become 64 MB);
- redirects: followed by hand, at most `max_redirects`, each hop checked again;
- other schemes: only http and https, on every hop;
- private networks: every hop's host is resolved once, the address is checked (loopback,
  private, link-local, reserved... are refused unless allowed) and the connection is pinned
  to that address, so a second DNS answer cannot swap it (TLS still verifies the name).
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass
from typing import Callable, Literal
from urllib.parse import urljoin

import httpx

from collectors.config import FeedsConfig
from newswatch.errors import CollectError

REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")

FailureKind = Literal["connect", "connect-timeout", "read-timeout", "deadline", "too-large",
                      "redirects", "scheme", "refused-address", "dns", "protocol",
                      "encoding"]

Resolver = Callable[[str, int], list[str]]


class FetchError(CollectError):
    """A fetch that could not complete; `kind` says which guard or failure stopped it."""

    def __init__(self, kind: FailureKind, message: str, *, fix: str | None = None) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {message}", fix=fix)


@dataclass(frozen=True)
class FetchPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 10 * 1024 ** 2
    max_redirects: int = 5
    allow_private: bool = False
    user_agent: str = "newswatch/0.1"

    @classmethod
    def from_config(cls, config: FeedsConfig) -> "FetchPolicy":
        lim = config.limits
        return cls(connect_timeout=lim.connect_timeout, read_timeout=lim.read_timeout,
                   deadline=lim.deadline, max_bytes=lim.max_bytes,
                   max_redirects=lim.max_redirects,
                   allow_private=config.allow_private_networks, user_agent=config.user_agent)


@dataclass(frozen=True)
class FetchResponse:
    """The final answer after redirects. `body` is read (and decompressed) only for 200."""

    status: int
    url: str
    headers: dict[str, str]
    body: bytes = b""
    redirects: tuple[tuple[int, str], ...] = ()
    permanent_url: str | None = None  # where the feed moved, when every hop was permanent
    finished: float = 0.0  # time.monotonic() when the body was complete

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns", f"cannot resolve {host!r}: {exc}",
                         fix="check the feed URL's host name") from None
    return [info[4][0] for info in infos]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _BoundedInflater:
    """Content-Encoding decoder whose output never exceeds the limit it is given."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        self._raw_deflate_tried = False
        if encoding in ("", "identity"):
            self._wbits: int | None = None
        elif encoding in ("gzip", "x-gzip"):
            self._wbits = 16 + zlib.MAX_WBITS
        elif encoding == "deflate":
            self._wbits = zlib.MAX_WBITS
        else:
            raise FetchError("encoding", f"unsupported Content-Encoding {encoding!r}",
                             fix="the server sent an encoding that was not asked for")
        self._inflater = zlib.decompressobj(self._wbits) if self._wbits is not None else None
        self._started = False

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode `data`, producing at most `limit` (>= 1) bytes; more means over the cap."""
        if self._inflater is None:
            return data
        out: list[bytes] = []
        produced = 0
        while data and produced < limit:
            try:
                piece = self._inflater.decompress(data, limit - produced)
            except zlib.error as exc:
                if self._wbits == zlib.MAX_WBITS and not self._started:
                    # "deflate" is zlib-wrapped by the standard, raw by many servers.
                    self._wbits = -zlib.MAX_WBITS
                    self._inflater = zlib.decompressobj(self._wbits)
                    continue
                raise FetchError("encoding", f"corrupt compressed body: {exc}") from None
            self._started = True
            out.append(piece)
            produced += len(piece)
            tail = self._inflater.unconsumed_tail
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if not rest.strip(b"\0"):
                    break
                self._inflater = zlib.decompressobj(self._wbits)  # next gzip member
                data = rest
            elif not piece and tail == data:
                break
            else:
                data = tail
        return b"".join(out)


class Fetcher:
    """Fetches feeds under a FetchPolicy. Thread-safe: workers share one instance."""

    def __init__(self, policy: FetchPolicy, *, resolver: Resolver = system_resolver,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self._resolve = resolver
        # No keep-alive: connections are pinned to checked addresses, and a pooled TLS
        # connection must never serve a second host name that shares the address.
        self._client = httpx.Client(
            follow_redirects=False, trust_env=False, transport=transport,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> FetchResponse:
        """GET `url` with conditional headers; follow redirects; read a 200's body."""
        policy = self.policy
        started = time.monotonic()
        deadline = started + policy.deadline
        redirects: list[tuple[int, str]] = []
        permanent: str | None = None
        all_permanent = True
        current = url
        seen = {url}
        while True:
            response = self._send(current, etag, last_modified, deadline)
            try:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError("protocol", f"{response.status_code} redirect "
                                         f"without a Location from {current}")
                    target = urljoin(current, location.strip())
                    redirects.append((response.status_code, target))
                    all_permanent = all_permanent and response.status_code in PERMANENT
                    permanent = target if all_permanent else None
                    if target in seen:
                        raise FetchError("redirects", f"redirect loop at {target}",
                                         fix="the server redirects back to a URL already "
                                         "visited; fix the feed URL")
                    if len(redirects) > policy.max_redirects:
                        raise FetchError("redirects", f"more than {policy.max_redirects} "
                                         f"redirects (last: {target})",
                                         fix="use the final URL in feeds.yaml")
                    seen.add(target)
                    current = target
                    continue
                headers = {k.lower(): v for k, v in response.headers.items()}
                body = b""
                if response.status_code == 200:
                    body = self._read_body(response, headers, deadline, current)
                return FetchResponse(status=response.status_code, url=current,
                                     headers=headers, body=body, redirects=tuple(redirects),
                                     permanent_url=permanent,
                                     finished=time.monotonic())
            finally:
                response.close()

    # -- one hop ---------------------------------------------------------------------

    def _pin(self, url: httpx.URL) -> tuple[httpx.URL, str]:
        """Resolve and check the host; return the URL aimed at the checked address."""
        if url.scheme not in ("http", "https"):
            raise FetchError("scheme", f"refused {url.scheme}:// URL {url}",
                             fix="only http and https feeds are fetched")
        host = url.host
        if not host:
            raise FetchError("protocol", f"URL without a host: {url}")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = self._resolve(host, port)
        if not addresses:
            raise FetchError("dns", f"{host!r} has no address")
        # One address, checked and then used: IPv4 first, as many hosts lack IPv6 routes.
        address = min(addresses, key=lambda a: ":" in a)
        if not self.policy.allow_private and not is_public(address):
            raise FetchError("refused-address", f"{host} resolves to {address}, a private, "
                             "loopback or reserved address",
                             fix="set allow_private_networks: true in feeds.yaml only if "
                             "this feed is meant to be on your own network")
        return url.copy_with(host=address.split("%", 1)[0]), host

    def _send(self, target: str, etag: str | None, last_modified: str | None,
              deadline: float) -> httpx.Response:
        try:
            url = httpx.URL(target)
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError("protocol", f"invalid URL {target!r}: {exc}") from None
        pinned, host = self._pin(url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("deadline", f"no time left for {target} "
                             f"(deadline {self.policy.deadline:g}s)")
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": self.policy.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        timeout = httpx.Timeout(connect=min(self.policy.connect_timeout, remaining),
                                read=min(self.policy.read_timeout, remaining),
                                write=min(self.policy.read_timeout, remaining),
                                pool=min(self.policy.connect_timeout, remaining))
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        request = self._client.build_request("GET", pinned, headers=headers, timeout=timeout,
                                             extensions=extensions)
        try:
            return self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, target) from None

    def _read_body(self, response: httpx.Response, headers: dict[str, str], deadline: float,
                   url: str) -> bytes:
        cap = self.policy.max_bytes
        inflater = _BoundedInflater(headers.get("content-encoding", ""))
        declared = headers.get("content-length", "")
        if not headers.get("content-encoding") and declared.isdigit() and int(declared) > cap:
            raise FetchError("too-large", f"{url} announces {int(declared)} bytes, over the "
                             f"cap of {cap}", fix="raise limits.max_bytes if the feed is real")
        parts: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_raw():
                if time.monotonic() > deadline:
                    raise FetchError("deadline", f"{url} took longer than "
                                     f"{self.policy.deadline:g}s (slow or dripping server)")
                data = inflater.feed(chunk, cap - total + 1)
                total += len(data)
                if total > cap:
                    raise FetchError("too-large", f"{url} body exceeds {cap} bytes after "
                                     "decompression", fix="raise limits.max_bytes if the "
                                     "feed is real")
                parts.append(data)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, url) from None
        return b"".join(parts)


def _transport_error(exc: httpx.HTTPError, url: str) -> FetchError:
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchError("connect-timeout", f"connecting to {url} timed out")
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        return FetchError("read-timeout", f"{url} stopped sending (stalled connection)")
    if isinstance(exc, httpx.ConnectError):
        return FetchError("connect", f"cannot connect to {url}: {exc}")
    return FetchError("protocol", f"{url}: {type(exc).__name__}: {exc}")
