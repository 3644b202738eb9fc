"""The HTTP core of the Veza client: tokens, refresh, errors, rate limits."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, Iterator, Optional

import requests

from .errors import VezaError

#: How many times a request waits out a 429 before giving up.
MAX_RATE_LIMIT_WAITS = 3
#: The longest single wait for a 429, in seconds.
MAX_RATE_LIMIT_SLEEP = 60.0


def api_root(base_url: str) -> str:
    """The server root of `base_url`, which may end in `/api/v1` (or not)."""
    url = base_url.rstrip("/")
    for suffix in ("/api/v1", "/api"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


class Transport:
    """Sends requests with the access token, refreshes it once on a 401 when a
    refresh token is held (one refresh at a time), waits out 429s, and turns
    error envelopes into `VezaError`."""

    def __init__(
        self,
        base_url: str,
        token: Optional[str] = None,
        refresh_token: Optional[str] = None,
        timeout: float = 30.0,
        session: Optional[requests.Session] = None,
    ) -> None:
        self.root = api_root(base_url)
        self.token = token
        self.refresh_token = refresh_token
        self.timeout = timeout
        self.session = session or requests.Session()
        # requests already sends `Accept-Encoding: gzip, deflate` and decodes.
        self.session.headers.setdefault("User-Agent", "veza-api-client (python)")
        self._refresh_lock = threading.Lock()

    def url(self, path: str) -> str:
        if path.startswith("/"):
            return self.root + path
        return f"{self.root}/api/v1/{path}"

    def set_tokens(self, data: Dict[str, Any]) -> None:
        """Keeps the tokens of a login, register or refresh answer."""
        self.token = data.get("access_token", self.token)
        self.refresh_token = data.get("refresh_token", self.refresh_token)

    def refresh(self, spent: Optional[str] = None) -> bool:
        """Trades the refresh token for a new pair; false when there is none or
        the server refuses it. `spent` is the access token that failed: when another
        thread refreshed meanwhile, its fresh token is used instead."""
        with self._refresh_lock:
            if spent is not None and self.token != spent:
                return True
            if not self.refresh_token:
                return False
            response = self.session.post(
                self.url("auth/refresh"),
                json={"refresh_token": self.refresh_token},
                timeout=self.timeout,
            )
            if response.status_code == 429 or response.status_code >= 500:
                # The server is busy or restarting: not an answer about the session.
                raise VezaError.from_response(response)
            if response.status_code != 200:
                return False
            self.set_tokens(response.json()["data"])
            return True

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Dict[str, Any]] = None,
        json: Any = None,
        data: Any = None,
        headers: Optional[Dict[str, str]] = None,
        stream: bool = False,
        auth: bool = True,
    ) -> requests.Response:
        """One request; the raw response once it is a success."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        refreshed = False
        waits = 0
        while True:
            sent_with = self.token
            all_headers = dict(headers or {})
            if auth and self.token:
                all_headers["Authorization"] = f"Bearer {self.token}"
            if hasattr(data, "rewind") and (refreshed or waits):
                data.rewind()
            response = self.session.request(
                method,
                self.url(path),
                params=params,
                json=json,
                data=data,
                headers=all_headers,
                stream=stream,
                timeout=self.timeout,
            )
            if response.status_code == 401 and auth and not refreshed and not path.startswith("auth/"):
                refreshed = True
                if self.refresh(spent=sent_with):
                    continue
            if response.status_code == 429 and waits < MAX_RATE_LIMIT_WAITS:
                waits += 1
                time.sleep(min(retry_after(response), MAX_RATE_LIMIT_SLEEP))
                continue
            if response.status_code >= 400:
                raise VezaError.from_response(response)
            return response

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the `data` of its answer (None for a 204)."""
        response = self.send(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        body = response.json()
        return body.get("data", body) if isinstance(body, dict) else body

    def pages(self, path: str, key: str, params: Dict[str, Any]) -> Iterator[Any]:
        """Every item of a paged list (`page` and `limit`), page after page."""
        page = 1
        while True:
            data = self.call("GET", path, params={**params, "page": page})
            for item in data[key]:
                yield item
            if not data.get("has_more"):
                return
            page += 1


def retry_after(response: requests.Response) -> float:
    """The seconds a 429 asks to wait (1 when it does not say)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
