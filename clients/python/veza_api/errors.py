"""The error every failed call raises."""

from __future__ import annotations

from typing import Any, Dict, Optional


class VezaError(Exception):
    """A failed call: the HTTP `status` and the server's error envelope
    (`code`, `message`, `details`, `request_id`, `timestamp`)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Optional[Dict[str, Any]] = None,
        request_id: Optional[str] = None,
        timestamp: Optional[str] = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.request_id = request_id
        self.timestamp = timestamp

    @classmethod
    def from_response(cls, response: Any) -> "VezaError":
        try:
            error = response.json()["error"]
        except Exception:  # not the envelope: a proxy's page, a cut connection
            return cls(
                response.status_code,
                "HTTP_ERROR",
                response.reason or "request failed",
                request_id=response.headers.get("X-Request-Id"),
            )
        return cls(
            response.status_code,
            error.get("code", "HTTP_ERROR"),
            error.get("message", ""),
            error.get("details") or {},
            error.get("request_id") or response.headers.get("X-Request-Id"),
            error.get("timestamp"),
        )
