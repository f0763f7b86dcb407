"""HTTP for every source: timeouts, a size cap, conditional GET, and errors worded for people.

Every request has one deadline for all of it — connecting, each redirect, the
headers and the body — enforced on every socket read (a server that sends one
header line every few seconds never trips a per-read timeout), and a request
gives up within half a second of its fetcher being cancelled (the worker's stop).
"""

from __future__ import annotations

import contextvars
import hashlib
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpcore
import httpx

from tracker.sources.base import RateLimited, SourceError

USER_AGENT = "SummitWatch/0.1 (personal forecasting workbench)"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_DEADLINE = 30.0  # seconds for a whole download, against servers that drip bytes
MAX_REDIRECTS = 5
DEFAULT_BACKOFF = 300.0  # seconds to wait after a 429 that gives no Retry-After
MAX_BACKOFF = 24 * 3600.0  # a Retry-After further off than a day is the server's mistake
READ_SLICE = 0.5  # seconds: how often a blocked read looks at the deadline and the cancel flag


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def body_hash(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def _retry_after(value: str | None) -> float:
    """RFC 9110's Retry-After (whole seconds, or an HTTP date), between 1 s and MAX_BACKOFF; a
    value that is neither (``nan``, ``1e400``, ``-5``) gets the default back-off."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        return min(max(float(text[:12]), 1.0), MAX_BACKOFF)  # 12 digits: far past the cap
    try:
        wait = parsedate_to_datetime(text).timestamp() - time.time()
    except (TypeError, ValueError, IndexError, OverflowError):
        return DEFAULT_BACKOFF
    return min(max(wait, 1.0), MAX_BACKOFF) if math.isfinite(wait) else DEFAULT_BACKOFF


@dataclass
class _Limits:
    """The current request's deadline (time.monotonic) and cancel flag, for its socket reads."""

    deadline: float
    cancelled: threading.Event | None


_limits: contextvars.ContextVar[_Limits] = contextvars.ContextVar("summit_http_limits")


def _remaining(timeout: float | None) -> float:
    """The timeout for the next socket operation: never past the deadline, at most READ_SLICE."""
    limits = _limits.get(None)
    if limits is None:
        return timeout if timeout is not None else READ_SLICE
    if limits.cancelled is not None and limits.cancelled.is_set():
        raise httpcore.ReadError("cancelled")
    left = limits.deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("deadline")
    return min(left, READ_SLICE, timeout if timeout is not None else math.inf)


class _BoundedStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes keep to the request's deadline and cancel flag."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        waited = 0.0
        while True:  # slices of READ_SLICE until the read's own timeout
            piece = _remaining(None if timeout is None else timeout - waited)
            try:
                return self.stream.read(max_bytes, piece)
            except httpcore.ReadTimeout:
                waited += piece
                if timeout is not None and waited >= timeout:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _BoundedStream(self.stream.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class _BoundedBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        limits = _limits.get(None)
        left = limits.deadline - time.monotonic() if limits else math.inf
        if left <= 0:
            raise httpcore.ConnectTimeout("deadline")
        bounded = min(left, timeout if timeout is not None else math.inf)
        stream = self.backend.connect_tcp(
            host, port, None if math.isinf(bounded) else bounded, local_address, socket_options
        )
        return _BoundedStream(stream)

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def _bounded_transport() -> httpx.HTTPTransport:
    """httpx's transport with our network backend under its connection pool (httpx has no
    option for one; the test of a dripping server fails if a new version moves the pool)."""
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_BoundedBackend()
    )
    return transport


class Fetcher:
    """One httpx client with our limits; ``get`` raises :class:`SourceError` for every failure."""

    def __init__(
        self,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline: float = DEFAULT_DEADLINE,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.cancelled = cancelled  # set (by the worker's stop): requests give up at once
        self.client = httpx.Client(
            transport=_bounded_transport(),
            timeout=timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        accept_not_modified: bool = True,
    ) -> Response:
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        token = _limits.set(_Limits(started + self.deadline, self.cancelled))
        try:
            return self._get(url, request_headers, params, accept_not_modified, started)
        except (httpx.TimeoutException, httpx.NetworkError) as error:
            if self.cancelled is not None and self.cancelled.is_set():
                raise SourceError(f"{url}: stopped (the worker is stopping)") from None
            if time.monotonic() - started >= self.deadline:
                raise SourceError(f"{url}: the request took over {self.deadline:.0f} s; gave up") from None
            raise _worded(url, error) from None
        finally:
            _limits.reset(token)

    def _get(
        self,
        url: str,
        request_headers: dict[str, str],
        params: dict[str, str] | None,
        accept_not_modified: bool,
        started: float,
    ) -> Response:
        try:
            with self.client.stream("GET", url, headers=request_headers, params=params) as response:
                status = response.status_code
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                if status == 304 and accept_not_modified:
                    return Response(304, b"", response_headers, str(response.url))
                if status == 429:
                    wait = _retry_after(response_headers.get("retry-after"))
                    raise RateLimited(f"{url}: HTTP 429 Too Many Requests; backing off {wait:.0f} s", wait)
                if status >= 400:
                    reason = response.reason_phrase or "error"
                    raise SourceError(f"{url}: HTTP {status} {reason}")
                declared = response_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise SourceError(
                        f"{url}: response of {int(declared):,} bytes is over the {self.max_bytes:,}-byte cap"
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise SourceError(
                            f"{url}: response is over the {self.max_bytes:,}-byte cap; stopped reading"
                        )
                    if time.monotonic() - started > self.deadline:
                        raise SourceError(f"{url}: download took over {self.deadline:.0f} s; gave up")
                    chunks.append(chunk)
                return Response(status, b"".join(chunks), response_headers, str(response.url))
        except httpx.TooManyRedirects:
            raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
        except httpx.InvalidURL as error:
            raise SourceError(f"{url}: not a valid URL ({error})") from None
        except httpx.UnsupportedProtocol:
            raise SourceError(f"{url}: only http:// and https:// URLs are supported") from None
        except (httpx.TimeoutException, httpx.NetworkError):
            raise  # worded by get, which knows about the deadline and the cancel flag
        except httpx.HTTPError as error:
            raise SourceError(f"{url}: {type(error).__name__}: {error}") from None


def _worded(url: str, error: httpx.HTTPError) -> SourceError:
    if isinstance(error, httpx.ConnectTimeout):
        return SourceError(f"{url}: timed out connecting")
    if isinstance(error, httpx.TimeoutException):
        return SourceError(f"{url}: timed out waiting for the response")
    if isinstance(error, httpx.ConnectError):
        return SourceError(f"{url}: cannot connect ({error})")
    return SourceError(f"{url}: {type(error).__name__}: {error}")
