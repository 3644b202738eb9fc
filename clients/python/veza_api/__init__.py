"""Veza's client library: `VezaClient(base_url=..., token=...)`, as printed in the
platform document, with every operation of the API as a method.

    from veza_api import VezaClient

    client = VezaClient(base_url="http://localhost:8080", token="...")
    user = client.users.get_me()
    rooms = client.chat.get_rooms()
"""

from __future__ import annotations

from typing import Any, Optional

import requests

from .client import Transport, api_root
from .errors import VezaError
from .realtime import Realtime, SessionEnded
from . import resources

__version__ = "0.1.0"
__all__ = ["VezaClient", "VezaError", "Realtime", "SessionEnded", "__version__"]


class VezaClient:
    """A client of one Veza server. `base_url` is the server root
    (`https://chat.example.com`) or its API (`…/api/v1`). With a `refresh_token`
    (kept by `login` and `register`), an expired access token is refreshed once,
    transparently."""

    def __init__(
        self,
        base_url: str,
        token: Optional[str] = None,
        refresh_token: Optional[str] = None,
        timeout: float = 30.0,
        session: Optional[requests.Session] = None,
    ) -> None:
        self.transport = Transport(base_url, token, refresh_token, timeout, session)
        t = self.transport
        self.auth = resources.Auth(t)
        self.users = resources.Users(t)
        self.chat = resources.Chat(t)
        self.rooms = resources.Rooms(t)
        self.members = resources.Members(t)
        self.messages = resources.Messages(t)
        self.reactions = resources.Reactions(t)
        self.conversations = resources.Conversations(t)
        self.files = resources.Files(t)
        self.webhooks = resources.Webhooks(t)
        self.streams = resources.Streams(t)
        self.search = resources.Search(t)
        self.notifications = resources.Notifications(t)
        self.invites = resources.Invites(t)
        self.bots = resources.Bots(t)
        self.admin = resources.Admin(t)
        self.server = resources.Server(t)

    @classmethod
    def login(cls, base_url: str, username_or_email: str, password: str, **options: Any) -> "VezaClient":
        """A client signed in with a password (it refreshes its own tokens)."""
        client = cls(base_url, **options)
        client.auth.login(username_or_email, password)
        return client

    @property
    def token(self) -> Optional[str]:
        return self.transport.token

    def realtime(self, **options: Any) -> Realtime:
        """The real-time connection: iterate it for frames."""
        return Realtime(self, **options)


#: Which method serves each `operationId` of `GET /api/v1/openapi.json` (the
#: platform document's aliases share the method of the path they alias).
OPERATIONS = {
    "get /api/chat/rooms": "chat.get_rooms",
    "get /api/streams": "streams.list_platform",
    "get /api/users/me": "users.get_me_platform",
    "get /api/v1/admin/stats": "admin.stats",
    "get /api/v1/push/vapid-public-key": "notifications.vapid_public_key",
    "post /api/v1/push/subscriptions": "notifications.subscribe",
    "get /api/v1/push/subscriptions": "notifications.subscriptions",
    "delete /api/v1/push/subscriptions/{id}": "notifications.unsubscribe",
    "get /api/v1/users/me/notifications": "notifications.preferences",
    "put /api/v1/users/me/notifications": "notifications.set_preferences",
    "get /api/v1/rooms/{id}/notifications": "notifications.room",
    "put /api/v1/rooms/{id}/notifications": "notifications.set_room",
    "get /api/v1/admin/users": "admin.users",
    "put /api/v1/admin/users/{id}": "admin.update_user",
    "post /api/v1/admin/users": "admin.create_user",
    "post /api/v1/admin/import": "admin.import_batch",
    "post /api/v1/admin/users/{id}/password-reset": "admin.password_reset_link",
    "post /api/v1/invites": "invites.create",
    "post /api/v1/users/me/tokens": "bots.create_token",
    "get /api/v1/users/me/tokens": "bots.tokens",
    "delete /api/v1/users/me/tokens/{id}": "bots.revoke_token",
    "post /api/v1/bots": "bots.create",
    "get /api/v1/bots": "bots.list",
    "delete /api/v1/bots/{id}": "bots.deactivate",
    "post /api/v1/bots/{id}/tokens": "bots.create_bot_token",
    "get /api/v1/bots/{id}/tokens": "bots.bot_tokens",
    "delete /api/v1/bots/{id}/tokens/{token_id}": "bots.revoke_bot_token",
    "post /api/v1/rooms/{room_id}/incoming-webhooks": "bots.create_hook",
    "get /api/v1/rooms/{room_id}/incoming-webhooks": "bots.hooks",
    "delete /api/v1/rooms/{room_id}/incoming-webhooks/{id}": "bots.delete_hook",
    "post /api/v1/rooms/{room_id}/incoming-webhooks/{id}/rotate-secret": "bots.rotate_hook",
    "post /hooks/{secret}": "bots.post_to_hook",
    "get /api/v1/invites": "invites.list",
    "delete /api/v1/invites/{id}": "invites.revoke",
    "get /api/v1/invites/{code}": "invites.preview",
    "put /api/v1/users/me/avatar": "users.set_avatar",
    "delete /api/v1/users/me/avatar": "users.remove_avatar",
    "get /api/v1/users/{id}/avatar": "users.avatar",
    "post /api/v1/users/me/verify-email": "users.resend_verification",
    "get /api/v1/users/me/sessions": "users.sessions",
    "delete /api/v1/users/me/sessions/{id}": "users.end_session",
    "post /api/v1/auth/verify-email": "auth.verify_email",
    "post /auth/verify-email": "auth.verify_email",
    "post /api/v1/auth/password-reset": "auth.request_password_reset",
    "post /auth/password-reset": "auth.request_password_reset",
    "post /api/v1/auth/password-reset/confirm": "auth.confirm_password_reset",
    "post /auth/password-reset/confirm": "auth.confirm_password_reset",
    "post /api/v1/auth/login": "auth.login",
    "post /auth/login": "auth.login",
    "post /api/v1/auth/logout": "auth.logout",
    "post /auth/logout": "auth.logout",
    "post /api/v1/auth/refresh": "auth.refresh",
    "post /auth/refresh": "auth.refresh",
    "post /api/v1/auth/register": "auth.register",
    "post /auth/register": "auth.register",
    "get /api/v1/auth/oauth/authorize": "auth.oauth_authorize_url",
    "get /auth/oauth/authorize": "auth.oauth_authorize_url",
    "post /api/v1/auth/oauth/authorize": "auth.oauth_authorize",
    "post /auth/oauth/authorize": "auth.oauth_authorize",
    "get /api/v1/auth/oauth/callback": "auth.oauth_callback",
    "get /auth/oauth/callback": "auth.oauth_callback",
    "get /api/v1/auth/oauth/provider": "auth.oauth_provider",
    "get /api/v1/auth/methods": "auth.methods",
    "get /auth/methods": "auth.methods",
    "get /api/v1/limits": "server.limits",
    "get /auth/oauth/provider": "auth.oauth_provider",
    "post /api/v1/auth/oauth/token": "auth.oauth_token",
    "post /auth/oauth/token": "auth.oauth_token",
    "get /api/v1/conversations": "conversations.list",
    "post /api/v1/conversations": "conversations.open",
    "get /api/v1/conversations/{id}": "conversations.get",
    "post /api/v1/conversations/{id}/block": "conversations.block",
    "get /api/v1/conversations/{id}/messages": "conversations.messages",
    "post /api/v1/conversations/{id}/messages": "conversations.send",
    "post /api/v1/conversations/{id}/read": "conversations.read",
    "post /api/v1/files/upload": "files.upload",
    "get /api/v1/files/{id}": "files.get",
    "delete /api/v1/files/{id}": "files.delete",
    "get /api/v1/files/{id}/download": "files.download",
    "get /api/v1/files/{id}/thumbnail": "files.thumbnail",
    "get /api/v1/messages/{id}": "messages.get",
    "put /api/v1/messages/{id}": "messages.edit",
    "delete /api/v1/messages/{id}": "messages.delete",
    "get /api/v1/messages/{id}/history": "messages.history",
    "post /api/v1/messages/{id}/pin": "messages.pin",
    "get /api/v1/messages/{id}/thread": "messages.thread",
    "get /api/v1/messages/{id}/reactions": "reactions.list",
    "post /api/v1/messages/{id}/reactions": "reactions.add",
    "delete /api/v1/messages/{id}/reactions/{emoji}": "reactions.remove",
    "get /api/v1/openapi.json": "server.openapi",
    "get /api/v1/ping": "server.ping",
    "get /health": "server.health",
    "get /metrics": "server.metrics",
    "get /docs": "server.docs",
    "get /docs/viewer.css": "server.docs",
    "get /docs/viewer.js": "server.docs",
    "get /api/v1/rooms": "rooms.list",
    "post /api/v1/rooms": "rooms.create",
    "get /api/v1/rooms/{id}": "rooms.get",
    "put /api/v1/rooms/{id}": "rooms.update",
    "delete /api/v1/rooms/{id}": "rooms.delete",
    "get /api/v1/rooms/{id}/audit": "rooms.audit",
    "get /api/v1/rooms/{id}/export": "rooms.export",
    "get /api/v1/rooms/{id}/files": "rooms.files",
    "post /api/v1/rooms/{id}/join": "rooms.join",
    "post /api/v1/rooms/{id}/leave": "rooms.leave",
    "post /api/v1/rooms/{id}/read": "rooms.read",
    "get /api/v1/rooms/{id}/stats": "rooms.stats",
    "get /api/v1/rooms/{id}/members": "members.list",
    "post /api/v1/rooms/{id}/members": "members.add",
    "put /api/v1/rooms/{id}/members/{user_id}": "members.update",
    "delete /api/v1/rooms/{id}/members/{user_id}": "members.remove",
    "get /api/v1/rooms/{id}/messages": "messages.list",
    "post /api/v1/rooms/{id}/messages": "messages.send",
    "get /api/v1/search": "search.messages",
    "get /api/v1/streams": "streams.list",
    "post /api/v1/streams": "streams.create",
    "get /api/v1/streams/{id}": "streams.get",
    "put /api/v1/streams/{id}": "streams.update",
    "delete /api/v1/streams/{id}": "streams.delete",
    "post /api/v1/streams/{id}/start": "streams.start",
    "post /api/v1/streams/{id}/stop": "streams.stop",
    "post /api/v1/streams/{id}/watch": "streams.watch",
    "get /api/v1/users/me": "users.get_me",
    "put /api/v1/users/me": "users.update_me",
    "get /api/v1/users/me/export": "users.export_me",
    "put /api/v1/users/me/password": "users.change_password",
    "get /api/v1/users/search": "users.search",
    "get /api/v1/users/{id}": "users.get",
    "get /api/v1/webhooks": "webhooks.list",
    "post /api/v1/webhooks": "webhooks.create",
    "get /api/v1/webhooks/{id}": "webhooks.get",
    "put /api/v1/webhooks/{id}": "webhooks.update",
    "delete /api/v1/webhooks/{id}": "webhooks.delete",
    "get /api/v1/webhooks/{id}/deliveries": "webhooks.deliveries",
    "post /api/v1/webhooks/{id}/rotate-secret": "webhooks.rotate_secret",
    "post /api/v1/webhooks/{id}/test": "webhooks.test",
    "get /api/v1/ws": "realtime",
}
