"""The API's operations, grouped as `backend-api.md` prints them: `client.users`,
`client.chat`, and `client.rooms`, `client.members`, `client.messages`,
`client.reactions`, `client.conversations`, `client.files`, `client.webhooks`,
`client.streams`, `client.search`, `client.notifications`, `client.invites`, `client.admin`, `client.auth`, `client.server`.

Every method returns the `data` of the answer (a dict, a list inside a dict, or
None for a 204) and raises `VezaError` on failure."""

from __future__ import annotations

import hashlib
import os
from typing import IO, Any, Dict, Iterator, List, Optional, Union
from urllib.parse import quote

from .client import Transport
from .errors import VezaError
from .multipart import MultipartStream

JSON = Dict[str, Any]


def _fields(**values: Any) -> JSON:
    """The given values, without those left out (None)."""
    return {k: v for k, v in values.items() if v is not None}


class _Group:
    def __init__(self, transport: Transport) -> None:
        self._t = transport


class Auth(_Group):
    def register(self, username: str, email: str, password: str, **profile: Any) -> JSON:
        data = self._t.call(
            "POST",
            "auth/register",
            json={"username": username, "email": email, "password": password, **profile},
            auth=False,
        )
        self._t.set_tokens(data)
        return data

    def login(self, username_or_email: str, password: str) -> JSON:
        key = "email" if "@" in username_or_email else "username"
        data = self._t.call(
            "POST", "auth/login", json={key: username_or_email, "password": password}, auth=False
        )
        self._t.set_tokens(data)
        return data

    def refresh(self) -> bool:
        return self._t.refresh()

    def logout(self) -> None:
        self._t.call("POST", "auth/logout")

    def oauth_provider(self) -> JSON:
        return self._t.call("GET", "auth/oauth/provider", auth=False)

    def methods(self) -> JSON:
        """How one may sign in: `{password, registration_open, registration, email,
        identity_provider}`."""
        return self._t.call("GET", "auth/methods", auth=False)

    def verify_email(self, token: str) -> JSON:
        """Verifies an e-mail address with the token of its link (`#token=…`)."""
        return self._t.call("POST", "auth/verify-email", json={"token": token}, auth=False)

    def request_password_reset(self, email: str) -> JSON:
        """Asks for a reset link by mail; the same answer whether or not an account
        has `email`."""
        return self._t.call("POST", "auth/password-reset", json={"email": email}, auth=False)

    def confirm_password_reset(self, token: str, new_password: str) -> None:
        """Sets a new password with a reset link's token; every session ends."""
        self._t.call(
            "POST", "auth/password-reset/confirm",
            json={"token": token, "new_password": new_password}, auth=False,
        )

    def oauth_authorize_url(self, link: bool = False) -> str:
        """Where to send a browser to sign in with the identity provider (with
        `link`, to link it to the signed-in account)."""
        return self._redirect("GET", auth=link)

    def oauth_authorize(self) -> str:
        """The seed's `POST` spelling of `oauth_authorize_url`."""
        return self._redirect("POST", auth=False)

    def _redirect(self, method: str, auth: bool) -> str:
        headers = {"Authorization": f"Bearer {self._t.token}"} if auth and self._t.token else {}
        response = self._t.session.request(
            method, self._t.url("auth/oauth/authorize"), headers=headers,
            allow_redirects=False, timeout=self._t.timeout,
        )
        if response.status_code >= 400:
            raise VezaError.from_response(response)
        return response.headers["Location"]

    def oauth_callback(self, code: str, state: str) -> JSON:
        data = self._t.call(
            "GET", "auth/oauth/callback", params={"code": code, "state": state}, auth=False
        )
        self._t.set_tokens(data)
        return data

    def oauth_token(self, code: str, state: str) -> JSON:
        data = self._t.call(
            "POST", "auth/oauth/token", json={"code": code, "state": state}, auth=False
        )
        self._t.set_tokens(data)
        return data


class Users(_Group):
    def get_me(self) -> JSON:
        return self._t.call("GET", "users/me")

    def get_me_platform(self) -> JSON:
        """`GET /api/users/me`, the platform document's path."""
        return self._t.call("GET", "/api/users/me")

    def update_me(self, **fields: Any) -> JSON:
        return self._t.call("PUT", "users/me", json=fields)

    def change_password(self, current_password: str, new_password: str) -> JSON:
        return self._t.call(
            "PUT",
            "users/me/password",
            json={"current_password": current_password, "new_password": new_password},
        )

    def get(self, user_id: int) -> JSON:
        return self._t.call("GET", f"users/{user_id}")

    def search(self, q: str, limit: Optional[int] = None, page: Optional[int] = None) -> JSON:
        return self._t.call("GET", "users/search", params=_fields(q=q, limit=limit, page=page))

    def export_me(self) -> JSON:
        return self._t.call("GET", "users/me/export")

    def set_avatar(self, file: Union[str, "os.PathLike[str]", IO[bytes]],
                   filename: Optional[str] = None) -> JSON:
        """Sets the caller's avatar from a path or an open binary file."""
        stream = MultipartStream(file, filename=filename, fields={})
        try:
            return self._t.call(
                "PUT", "users/me/avatar", data=stream,
                headers={"Content-Type": stream.content_type},
            )
        finally:
            stream.close()

    def remove_avatar(self) -> None:
        self._t.call("DELETE", "users/me/avatar")

    def avatar(self, user_id: int, avatar_url: Optional[str] = None) -> bytes:
        """A user's avatar image; `avatar_url` is the user's (it names the version)."""
        v = None
        if avatar_url and "?v=" in avatar_url:
            v = avatar_url.split("?v=", 1)[1]
        response = self._t.send("GET", f"users/{user_id}/avatar", params=_fields(v=v))
        return response.content

    def sessions(self) -> JSON:
        """Where the caller is signed in: `{sessions, current_session_id}`."""
        return self._t.call("GET", "users/me/sessions")

    def end_session(self, session_id: int) -> None:
        """Signs one of the caller's sessions out (its tokens stop at once)."""
        self._t.call("DELETE", f"users/me/sessions/{session_id}")

    def resend_verification(self) -> JSON:
        """Mails the caller a new link to verify their address."""
        return self._t.call("POST", "users/me/verify-email")


class Bots(_Group):
    """Personal access tokens, bots and incoming webhooks (API §20). Tokens are
    managed from a signed-in session (a client holding an access token cannot
    make or revoke tokens)."""

    def create_token(self, name: str, scopes: List[str],
                     expires_in_days: Optional[int] = None) -> JSON:
        """The answer's `token` is shown this once."""
        return self._t.call(
            "POST", "users/me/tokens",
            json=_fields(name=name, scopes=scopes, expires_in_days=expires_in_days),
        )

    def tokens(self) -> JSON:
        return self._t.call("GET", "users/me/tokens")

    def revoke_token(self, token_id: int) -> None:
        self._t.call("DELETE", f"users/me/tokens/{token_id}")

    def create(self, username: str, display_name: Optional[str] = None) -> JSON:
        return self._t.call("POST", "bots", json=_fields(username=username, display_name=display_name))

    def list(self) -> JSON:
        return self._t.call("GET", "bots")

    def deactivate(self, bot_id: int) -> None:
        self._t.call("DELETE", f"bots/{bot_id}")

    def create_bot_token(self, bot_id: int, name: str, scopes: List[str],
                         expires_in_days: Optional[int] = None) -> JSON:
        return self._t.call(
            "POST", f"bots/{bot_id}/tokens",
            json=_fields(name=name, scopes=scopes, expires_in_days=expires_in_days),
        )

    def bot_tokens(self, bot_id: int) -> JSON:
        return self._t.call("GET", f"bots/{bot_id}/tokens")

    def revoke_bot_token(self, bot_id: int, token_id: int) -> None:
        self._t.call("DELETE", f"bots/{bot_id}/tokens/{token_id}")

    def create_hook(self, room_id: int, name: str) -> JSON:
        """An incoming webhook (moderators); the answer's `url` is shown once."""
        return self._t.call("POST", f"rooms/{room_id}/incoming-webhooks", json={"name": name})

    def hooks(self, room_id: int) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}/incoming-webhooks")

    def delete_hook(self, room_id: int, hook_id: int) -> None:
        self._t.call("DELETE", f"rooms/{room_id}/incoming-webhooks/{hook_id}")

    def rotate_hook(self, room_id: int, hook_id: int) -> JSON:
        return self._t.call("POST", f"rooms/{room_id}/incoming-webhooks/{hook_id}/rotate-secret")

    def post_to_hook(self, url: str, **body: Any) -> JSON:
        """Posts to a hook's URL (no token) in Slack's shape: `text`, `username`,
        `icon_url`, `attachments` (or `content`)."""
        response = self._t.session.post(url, json=body, timeout=self._t.timeout)
        if response.status_code >= 400:
            raise VezaError.from_response(response)
        return response.json()["data"]


class Invites(_Group):
    """Invitations (API §17): made by admins and room moderators."""

    def create(self, room_ids: Optional[List[int]] = None, max_uses: Optional[int] = None,
               expires_in_secs: Optional[int] = None, email: Optional[str] = None) -> JSON:
        """The answer's `code` and `url` are shown this once."""
        return self._t.call(
            "POST", "invites",
            json=_fields(room_ids=room_ids, max_uses=max_uses,
                         expires_in_secs=expires_in_secs, email=email),
        )

    def list(self, limit: Optional[int] = None, page: Optional[int] = None) -> JSON:
        return self._t.call("GET", "invites", params=_fields(limit=limit, page=page))

    def revoke(self, invite_id: int) -> None:
        self._t.call("DELETE", f"invites/{invite_id}")

    def preview(self, code: str) -> JSON:
        """What a code leads to; needs no token."""
        return self._t.call("GET", f"invites/{quote(code, safe='')}", auth=False)

    def accept(self, code: str, username: str, email: str, password: str,
               **profile: Any) -> JSON:
        """Registers with an invitation's code (and joins its rooms)."""
        data = self._t.call(
            "POST", "auth/register",
            json={"username": username, "email": email, "password": password,
                  **profile, "invite_code": code},
            auth=False,
        )
        self._t.set_tokens(data)
        return data


class Chat(_Group):
    def get_rooms(self, limit: Optional[int] = None, page: Optional[int] = None) -> JSON:
        """`GET /api/chat/rooms`, the platform document's list of rooms."""
        return self._t.call("GET", "/api/chat/rooms", params=_fields(limit=limit, page=page))


class Rooms(_Group):
    def list(self, filter: Optional[str] = None, search: Optional[str] = None,
             limit: Optional[int] = None, page: Optional[int] = None) -> JSON:
        return self._t.call(
            "GET", "rooms", params=_fields(filter=filter, search=search, limit=limit, page=page)
        )

    def iter(self, filter: Optional[str] = None, search: Optional[str] = None) -> Iterator[JSON]:
        """Every room of the list, page after page."""
        return self._t.pages("rooms", "rooms", _fields(filter=filter, search=search, limit=100))

    def create(self, name: str, **fields: Any) -> JSON:
        return self._t.call("POST", "rooms", json={"name": name, **fields})

    def get(self, room_id: int) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}")

    def update(self, room_id: int, **fields: Any) -> JSON:
        return self._t.call("PUT", f"rooms/{room_id}", json=fields)

    def delete(self, room_id: int) -> None:
        self._t.call("DELETE", f"rooms/{room_id}")

    def join(self, room_id: int) -> JSON:
        return self._t.call("POST", f"rooms/{room_id}/join", json={})

    def leave(self, room_id: int) -> None:
        self._t.call("POST", f"rooms/{room_id}/leave", json={})

    def read(self, room_id: int, message_id: Optional[int] = None) -> JSON:
        return self._t.call("POST", f"rooms/{room_id}/read", json=_fields(message_id=message_id))

    def stats(self, room_id: int, period: Optional[str] = None) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}/stats", params=_fields(period=period))

    def audit(self, room_id: int, **params: Any) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}/audit", params=params)

    def export(self, room_id: int) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}/export")

    def files(self, room_id: int, limit: Optional[int] = None, page: Optional[int] = None) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}/files", params=_fields(limit=limit, page=page))


class Members(_Group):
    def list(self, room_id: int, role: Optional[str] = None, **params: Any) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}/members", params=_fields(role=role, **params))

    def add(self, room_id: int, user_id: Optional[int] = None, username: Optional[str] = None,
            role: Optional[str] = None) -> JSON:
        return self._t.call(
            "POST", f"rooms/{room_id}/members",
            json=_fields(user_id=user_id, username=username, role=role),
        )

    def update(self, room_id: int, user_id: int, role: str) -> JSON:
        return self._t.call("PUT", f"rooms/{room_id}/members/{user_id}", json={"role": role})

    def remove(self, room_id: int, user_id: int) -> None:
        self._t.call("DELETE", f"rooms/{room_id}/members/{user_id}")


class Messages(_Group):
    def list(self, room_id: int, limit: Optional[int] = None, before_id: Optional[int] = None,
             after_id: Optional[int] = None, **params: Any) -> JSON:
        return self._t.call(
            "GET", f"rooms/{room_id}/messages",
            params=_fields(limit=limit, before_id=before_id, after_id=after_id, **params),
        )

    def iter_room(self, room_id: int, page_size: int = 100) -> Iterator[JSON]:
        """Every message of a room, newest first, following `before_id` cursors."""
        return _cursor(self._t, f"rooms/{room_id}/messages", page_size)

    def send(self, room_id: int, content: str, parent_message_id: Optional[int] = None,
             metadata: Optional[JSON] = None, attachments: Optional[List[int]] = None,
             idempotency_key: Optional[str] = None) -> JSON:
        return self._t.call(
            "POST", f"rooms/{room_id}/messages",
            json=_fields(content=content, parent_message_id=parent_message_id,
                         metadata=metadata, attachments=attachments),
            headers={"Idempotency-Key": idempotency_key} if idempotency_key else None,
        )

    def get(self, message_id: int) -> JSON:
        return self._t.call("GET", f"messages/{message_id}")

    def edit(self, message_id: int, content: str, edit_reason: Optional[str] = None) -> JSON:
        return self._t.call(
            "PUT", f"messages/{message_id}", json=_fields(content=content, edit_reason=edit_reason)
        )

    def delete(self, message_id: int, reason: Optional[str] = None) -> None:
        self._t.call("DELETE", f"messages/{message_id}", params=_fields(reason=reason))

    def thread(self, message_id: int, after_id: Optional[int] = None,
               limit: Optional[int] = None) -> JSON:
        return self._t.call(
            "GET", f"messages/{message_id}/thread", params=_fields(after_id=after_id, limit=limit)
        )

    def history(self, message_id: int) -> JSON:
        return self._t.call("GET", f"messages/{message_id}/history")

    def pin(self, message_id: int, pinned: bool = True) -> JSON:
        return self._t.call("POST", f"messages/{message_id}/pin", json={"pinned": pinned})


class Reactions(_Group):
    def list(self, message_id: int) -> JSON:
        return self._t.call("GET", f"messages/{message_id}/reactions")

    def add(self, message_id: int, emoji: str) -> JSON:
        return self._t.call("POST", f"messages/{message_id}/reactions", json={"emoji": emoji})

    def remove(self, message_id: int, emoji: str) -> None:
        from urllib.parse import quote

        self._t.call("DELETE", f"messages/{message_id}/reactions/{quote(emoji, safe='')}")


class Conversations(_Group):
    def list(self, **params: Any) -> JSON:
        return self._t.call("GET", "conversations", params=params)

    def open(self, user_id: int) -> JSON:
        return self._t.call("POST", "conversations", json={"user_id": user_id})

    def get(self, conversation_id: int) -> JSON:
        return self._t.call("GET", f"conversations/{conversation_id}")

    def messages(self, conversation_id: int, limit: Optional[int] = None,
                 before_id: Optional[int] = None, after_id: Optional[int] = None) -> JSON:
        return self._t.call(
            "GET", f"conversations/{conversation_id}/messages",
            params=_fields(limit=limit, before_id=before_id, after_id=after_id),
        )

    def iter_messages(self, conversation_id: int, page_size: int = 100) -> Iterator[JSON]:
        return _cursor(self._t, f"conversations/{conversation_id}/messages", page_size)

    def send(self, conversation_id: int, content: str, **fields: Any) -> JSON:
        return self._t.call(
            "POST", f"conversations/{conversation_id}/messages", json={"content": content, **fields}
        )

    def block(self, conversation_id: int, blocked: bool = True) -> JSON:
        return self._t.call("POST", f"conversations/{conversation_id}/block", json={"blocked": blocked})

    def read(self, conversation_id: int, message_id: Optional[int] = None) -> JSON:
        return self._t.call(
            "POST", f"conversations/{conversation_id}/read", json=_fields(message_id=message_id)
        )


class Files(_Group):
    def upload(self, file: Union[str, "os.PathLike[str]", IO[bytes]], room_id: Optional[int] = None,
               conversation_id: Optional[int] = None, description: Optional[str] = None,
               filename: Optional[str] = None) -> JSON:
        """Uploads from a path or an open binary file, streamed (never read whole)."""
        stream = MultipartStream(
            file, filename=filename,
            fields=_fields(room_id=room_id, conversation_id=conversation_id, description=description),
        )
        try:
            return self._t.call(
                "POST", "files/upload", data=stream,
                headers={"Content-Type": stream.content_type},
            )
        finally:
            stream.close()

    def get(self, file_id: int) -> JSON:
        return self._t.call("GET", f"files/{file_id}")

    def delete(self, file_id: int) -> None:
        self._t.call("DELETE", f"files/{file_id}")

    def download(self, file_id: int, dest: Union[str, "os.PathLike[str]"]) -> str:
        """Writes the file's bytes to `dest` as they arrive; their SHA-256 (hex)."""
        return self._save(f"files/{file_id}/download", dest)

    def thumbnail(self, file_id: int, dest: Union[str, "os.PathLike[str]"]) -> str:
        return self._save(f"files/{file_id}/thumbnail", dest)

    def _save(self, path: str, dest: Union[str, "os.PathLike[str]"]) -> str:
        digest = hashlib.sha256()
        response = self._t.send("GET", path, stream=True)
        with response, open(dest, "wb") as out:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest()


class Webhooks(_Group):
    def list(self) -> JSON:
        return self._t.call("GET", "webhooks")

    def create(self, url: str, events: List[str], secret: Optional[str] = None,
               room_id: Optional[int] = None) -> JSON:
        return self._t.call(
            "POST", "webhooks", json=_fields(url=url, events=events, secret=secret, room_id=room_id)
        )

    def get(self, webhook_id: int) -> JSON:
        return self._t.call("GET", f"webhooks/{webhook_id}")

    def update(self, webhook_id: int, **fields: Any) -> JSON:
        return self._t.call("PUT", f"webhooks/{webhook_id}", json=fields)

    def delete(self, webhook_id: int) -> None:
        self._t.call("DELETE", f"webhooks/{webhook_id}")

    def deliveries(self, webhook_id: int, **params: Any) -> JSON:
        return self._t.call("GET", f"webhooks/{webhook_id}/deliveries", params=params)

    def test(self, webhook_id: int) -> JSON:
        return self._t.call("POST", f"webhooks/{webhook_id}/test", json={})

    def rotate_secret(self, webhook_id: int) -> JSON:
        return self._t.call("POST", f"webhooks/{webhook_id}/rotate-secret", json={})


class Streams(_Group):
    def list(self, live: Optional[bool] = None, limit: Optional[int] = None,
             page: Optional[int] = None) -> JSON:
        flag = None if live is None else ("true" if live else "false")
        return self._t.call("GET", "streams", params=_fields(live=flag, limit=limit, page=page))

    def list_platform(self, live: Optional[bool] = None) -> JSON:
        """`GET /api/streams`, the platform document's shape (`id` is the uuid)."""
        flag = None if live is None else ("true" if live else "false")
        return self._t.call("GET", "/api/streams", params=_fields(live=flag))

    def create(self, title: str, **fields: Any) -> JSON:
        return self._t.call("POST", "streams", json={"title": title, **fields})

    def get(self, stream_id: int) -> JSON:
        return self._t.call("GET", f"streams/{stream_id}")

    def update(self, stream_id: int, **fields: Any) -> JSON:
        return self._t.call("PUT", f"streams/{stream_id}", json=fields)

    def delete(self, stream_id: int) -> None:
        self._t.call("DELETE", f"streams/{stream_id}")

    def start(self, stream_id: int) -> JSON:
        return self._t.call("POST", f"streams/{stream_id}/start", json={})

    def stop(self, stream_id: int) -> JSON:
        return self._t.call("POST", f"streams/{stream_id}/stop", json={})

    def watch(self, stream_id: int) -> JSON:
        return self._t.call("POST", f"streams/{stream_id}/watch", json={})


class Search(_Group):
    def messages(self, q: str, room_id: Optional[int] = None, conversation_id: Optional[int] = None,
                 before_id: Optional[int] = None, limit: Optional[int] = None) -> JSON:
        return self._t.call(
            "GET", "search",
            params=_fields(q=q, room_id=room_id, conversation_id=conversation_id,
                           before_id=before_id, limit=limit),
        )


_KEEP = object()


def _given(**values: Any) -> JSON:
    """The given values, `None` included (it means "clear"); `_KEEP` left out."""
    return {k: v for k, v in values.items() if v is not _KEEP}


class Notifications(_Group):
    """Web Push subscriptions and notification preferences (API §16). A field of a
    change left out stays as it is; `None` clears it (do-not-disturb, a mute)."""

    def vapid_public_key(self) -> JSON:
        return self._t.call("GET", "push/vapid-public-key", auth=False)

    def subscribe(self, subscription: JSON) -> JSON:
        """Registers a browser's `PushSubscription.toJSON()`."""
        return self._t.call("POST", "push/subscriptions", json=subscription)

    def subscriptions(self) -> List[JSON]:
        return self._t.call("GET", "push/subscriptions")

    def unsubscribe(self, subscription_id: int) -> None:
        return self._t.call("DELETE", f"push/subscriptions/{subscription_id}")

    def preferences(self) -> JSON:
        return self._t.call("GET", "users/me/notifications")

    def set_preferences(self, default_level: Any = _KEEP, dnd_until: Any = _KEEP) -> JSON:
        return self._t.call(
            "PUT", "users/me/notifications",
            json=_given(default_level=default_level, dnd_until=dnd_until),
        )

    def room(self, room_id: int) -> JSON:
        return self._t.call("GET", f"rooms/{room_id}/notifications")

    def set_room(self, room_id: int, level: Any = _KEEP, muted_until: Any = _KEEP) -> JSON:
        return self._t.call(
            "PUT", f"rooms/{room_id}/notifications",
            json=_given(level=level, muted_until=muted_until),
        )


class Admin(_Group):
    def stats(self) -> JSON:
        return self._t.call("GET", "admin/stats")

    def users(self, **params: Any) -> JSON:
        return self._t.call("GET", "admin/users", params=params)

    def update_user(self, user_id: int, is_active: Optional[bool] = None,
                    role: Optional[str] = None) -> JSON:
        return self._t.call(
            "PUT", f"admin/users/{user_id}", json=_fields(is_active=is_active, role=role)
        )

    def create_user(self, username: str, email: str, password: Optional[str] = None,
                    role: Optional[str] = None) -> JSON:
        """Makes an account; without `password`, the answer's `set_password` is a
        one-time link for its owner."""
        return self._t.call(
            "POST", "admin/users",
            json=_fields(username=username, email=email, password=password, role=role),
        )

    def import_batch(self, batch: JSON) -> JSON:
        """Applies one batch of an import (the neutral shape `veza import` sends)."""
        return self._t.call("POST", "admin/import", json=batch)

    def password_reset_link(self, user_id: int) -> JSON:
        """A one-time link for a user to set a new password: `{url, expires_at}`."""
        return self._t.call("POST", f"admin/users/{user_id}/password-reset")


class Server(_Group):
    """The server's own endpoints: health, liveness, its API description, metrics."""

    def health(self) -> JSON:
        return self._t.call("GET", "/health", auth=False)

    def ping(self) -> JSON:
        return self._t.call("GET", "ping", auth=False)

    def limits(self) -> JSON:
        """What a send may hold: message length, upload size, attachments, metadata."""
        return self._t.call("GET", "limits", auth=False)

    def openapi(self) -> JSON:
        return self._t.call("GET", "openapi.json", auth=False)

    def docs(self, asset: Optional[str] = None) -> str:
        """The `/docs` viewer's page, or one of its files (`viewer.js`, `viewer.css`)."""
        path = "/docs" if asset is None else f"/docs/{asset}"
        return self._t.send("GET", path, auth=False).text

    def metrics(self, token: str) -> str:
        """The Prometheus text of `GET /metrics` (its own bearer token)."""
        return self._t.send(
            "GET", "/metrics", auth=False, headers={"Authorization": f"Bearer {token}"}
        ).text


def _cursor(transport: Transport, path: str, page_size: int) -> Iterator[JSON]:
    before: Optional[int] = None
    while True:
        data = transport.call("GET", path, params=_fields(limit=page_size, before_id=before))
        messages = data["messages"]
        yield from messages
        if not data.get("has_more") or not messages:
            return
        before = min(m["id"] for m in messages)
