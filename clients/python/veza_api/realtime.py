"""The real-time client: the WebSocket's frames as an iterator, reconnected with
backoff, and caught up over REST after each reconnect (needs `websocket-client`:
`pip install "veza-api-client[realtime]"`)."""

from __future__ import annotations

import json
import random
import time
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Tuple

from .errors import VezaError

if TYPE_CHECKING:
    from . import VezaClient

#: Close codes of the server (docs/REALTIME.md).
SESSION_ENDED = 4001
TOKEN_EXPIRED = 4002


class SessionEnded(Exception):
    """The session behind the connection ended (logout, password change,
    deactivation) and no refresh token could start a new one."""


class Realtime:
    """Iterate to receive frames (`{"type", "data", "room_id"?, ...}`). After a
    reconnect, the messages sent meanwhile in the rooms and conversations heard
    so far are yielded first, as `message.created` frames with `"catch_up": True`."""

    def __init__(self, client: "VezaClient", max_backoff: float = 30.0,
                 recv_timeout: float = 60.0) -> None:
        self.client = client
        self.max_backoff = max_backoff
        self.recv_timeout = recv_timeout
        self.last_seen: Dict[Tuple[str, int], int] = {}
        self._ws: Any = None
        self._closed = False

    def url(self) -> str:
        root = self.client.transport.root
        scheme = "wss" if root.startswith("https") else "ws"
        host = root.split("://", 1)[1]
        return f"{scheme}://{host}/api/v1/ws?token={self.client.transport.token}"

    def connect(self) -> Dict[str, Any]:
        """Opens the socket; the `ready` frame."""
        import websocket  # optional dependency

        self._ws = websocket.create_connection(self.url(), timeout=self.recv_timeout)
        ready = json.loads(self._ws.recv())
        return ready

    def send(self, frame: Dict[str, Any]) -> None:
        if self._ws is not None:
            self._ws.send(json.dumps(frame))

    def typing(self, room_id: Optional[int] = None, conversation_id: Optional[int] = None) -> None:
        place = {"room_id": room_id} if room_id is not None else {"conversation_id": conversation_id}
        self.send({"type": "typing", **place})

    def close(self) -> None:
        self._closed = True
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:
                pass

    def _note(self, frame: Dict[str, Any]) -> None:
        if frame.get("type") != "message.created":
            return
        data = frame.get("data") or {}
        for kind in ("room_id", "conversation_id"):
            if frame.get(kind) is not None and isinstance(data.get("id"), int):
                key = (kind, frame[kind])
                self.last_seen[key] = max(self.last_seen.get(key, 0), data["id"])

    def _catch_up(self) -> Iterator[Dict[str, Any]]:
        for (kind, place), last in list(self.last_seen.items()):
            path = ("rooms" if kind == "room_id" else "conversations") + f"/{place}/messages"
            after = last
            while True:
                page = self.client.transport.call("GET", path, params={"after_id": after, "limit": 100})
                messages = sorted(page["messages"], key=lambda m: m["id"])
                for message in messages:
                    frame = {"type": "message.created", "data": message, kind: place, "catch_up": True}
                    self._note(frame)
                    yield frame
                if not page.get("has_more") or not messages:
                    break
                after = messages[-1]["id"]

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        import websocket

        attempt = 0
        while not self._closed:
            try:
                if self._ws is None:
                    if attempt > 0 and not self.client.transport.refresh():
                        if self.client.transport.refresh_token:
                            raise SessionEnded("the session has ended")
                    self.connect()
                    if attempt > 0:
                        yield from self._catch_up()
                    attempt = 0
                text = self._ws.recv()
                if not text:
                    raise websocket.WebSocketConnectionClosedException("closed")
                frame = json.loads(text)
                self._note(frame)
                yield frame
            except SessionEnded:
                raise
            except VezaError as e:
                if e.status < 500 and e.status != 429:
                    raise
                self._ws = None
                attempt += 1
                time.sleep(min(self.max_backoff, 0.5 * 2 ** attempt))
            except (websocket.WebSocketException, OSError, ValueError) as e:
                if self._closed:
                    return
                status = getattr(self._ws, "status", None) if self._ws is not None else None
                self._ws = None
                if status == SESSION_ENDED and not self.client.transport.refresh_token:
                    raise SessionEnded("the session has ended") from e
                delay = 0 if status == TOKEN_EXPIRED else min(
                    self.max_backoff, 0.5 * 2 ** attempt
                ) * (0.5 + random.random() / 2)
                attempt += 1
                time.sleep(delay)
