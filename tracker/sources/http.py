"""HTTP for every source: timeouts, a size cap, conditional GET, and errors worded for people."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from tracker.sources.base import RateLimited, SourceError

USER_AGENT = "SummitWatch/0.1 (personal forecasting workbench)"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_DEADLINE = 30.0  # seconds for a whole download, against servers that drip bytes
MAX_REDIRECTS = 5
DEFAULT_BACKOFF = 300.0  # seconds to wait after a 429 that gives no Retry-After


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
    if not value:
        return DEFAULT_BACKOFF
    try:
        return max(float(value), 1.0)
    except ValueError:
        try:
            return max((parsedate_to_datetime(value).timestamp() - time.time()), 1.0)
        except (TypeError, ValueError):
            return DEFAULT_BACKOFF


class Fetcher:
    """One httpx client with our limits; ``get`` raises :class:`SourceError` for every failure."""

    def __init__(
        self,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.client = httpx.Client(
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
        except httpx.ConnectTimeout:
            raise SourceError(f"{url}: timed out connecting") from None
        except httpx.ReadTimeout:
            raise SourceError(f"{url}: timed out waiting for the response") from None
        except httpx.ConnectError as error:
            raise SourceError(f"{url}: cannot connect ({error})") from None
        except httpx.InvalidURL as error:
            raise SourceError(f"{url}: not a valid URL ({error})") from None
        except httpx.UnsupportedProtocol:
            raise SourceError(f"{url}: only http:// and https:// URLs are supported") from None
        except httpx.HTTPError as error:
            raise SourceError(f"{url}: {type(error).__name__}: {error}") from None
