"""The Python client against a real Veza server on loopback."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import os
import time

import pytest
import requests

from veza_api import OPERATIONS, VezaClient, VezaError
from conftest import PASSWORD


def test_the_platform_documents_snippet_as_printed(server):
    token = server.register("reader")["access_token"]
    server_url = server.url
    # backend-api.md, "SDKs et Bibliothèques", with the base URL and token changed.
    from veza_api import VezaClient

    client = VezaClient(
        base_url=server_url,
        token=token
    )

    # Utilisation
    user = client.users.get_me()
    rooms = client.chat.get_rooms()

    assert user["username"] == "reader"
    assert rooms["rooms"] == [] or isinstance(rooms["rooms"], list)


def test_the_chat_documents_simple_client_as_printed(server):
    owner = VezaClient(server.url, token=server.register("username")["access_token"])
    assert owner.rooms.create("general")["id"] == 1

    # chat-server-rest-api.md, "Client Python Simple", verbatim but for the URL.
    import requests
    import json

    class VezaChatAPI:
        def __init__(self, base_url, username, password):
            self.base_url = base_url
            self.session = requests.Session()
            self.token = self._login(username, password)
            self.session.headers.update({
                'Authorization': f'Bearer {self.token}',
                'Content-Type': 'application/json'
            })

        def _login(self, username, password):
            response = self.session.post(f'{self.base_url}/auth/login', json={
                'username': username,
                'password': password
            })
            response.raise_for_status()
            return response.json()['data']['access_token']

        def get_rooms(self, limit=50):
            response = self.session.get(f'{self.base_url}/rooms', params={'limit': limit})
            response.raise_for_status()
            return response.json()['data']['rooms']

        def send_message(self, room_id, content):
            response = self.session.post(f'{self.base_url}/rooms/{room_id}/messages', json={
                'content': content
            })
            response.raise_for_status()
            return response.json()['data']

        def get_messages(self, room_id, limit=50):
            response = self.session.get(f'{self.base_url}/rooms/{room_id}/messages', params={'limit': limit})
            response.raise_for_status()
            return response.json()['data']['messages']

    # Utilisation
    api = VezaChatAPI(f'{server.url}/api/v1', 'username', 'a long password')
    rooms = api.get_rooms()
    api.send_message(1, 'Hello from Python!')

    assert [r["name"] for r in rooms] == ["general"]
    assert api.get_messages(1)[0]["content"] == "Hello from Python!"


def test_an_expired_token_is_refreshed_once_transparently(make_server):
    server = make_server({"VEZA_AUTH__ACCESS_TOKEN_TTL_SECS": "2"})
    server.register("ann")
    client = VezaClient.login(server.url + "/api/v1", "ann", PASSWORD)
    first = client.token
    assert client.users.get_me()["username"] == "ann"
    time.sleep(3)
    assert client.users.get_me()["username"] == "ann"
    assert client.token != first, "a new access token was fetched"
    # Without a refresh token, the 401 is the caller's.
    stale = VezaClient(server.url, token=first)
    with pytest.raises(VezaError) as raised:
        stale.users.get_me()
    assert raised.value.status == 401 and raised.value.code == "INVALID_TOKEN"


def test_a_429_is_waited_out(make_server):
    server = make_server({
        "VEZA_RATE_LIMIT__REQUESTS_PER_HOUR": "3600",
        "VEZA_RATE_LIMIT__BURST": "2",
    })
    token = server.register("ann")["access_token"]
    limited = []
    session = requests.Session()
    session.hooks["response"].append(
        lambda r, *a, **k: limited.append(r.headers.get("Retry-After")) if r.status_code == 429 else None
    )
    client = VezaClient(server.url, token=token, session=session)
    for _ in range(5):
        assert client.users.get_me()["username"] == "ann"
    assert limited, "the server answered 429 at least once"
    assert all(wait == "1" for wait in limited)


def test_pages_and_cursors_go_through_everything(server):
    client = VezaClient(server.url, token=server.register("ann")["access_token"])
    room = client.rooms.create("busy")["id"]
    sent = [client.messages.send(room, f"message {i}")["id"] for i in range(250)]
    seen = [m["id"] for m in client.messages.iter_room(room, page_size=40)]
    assert seen == sorted(sent, reverse=True)
    for i in range(120):
        client.rooms.create(f"room {i:03}")
    assert len(list(client.rooms.iter(filter="joined"))) == 121


def test_a_5_mb_file_goes_up_and_down_intact(server, tmp_path):
    client = VezaClient(server.url, token=server.register("ann")["access_token"])
    room = client.rooms.create("files")["id"]
    source = tmp_path / "blob.bin"
    source.write_bytes(os.urandom(5 * 1024 * 1024))
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    uploaded = client.files.upload(str(source), room_id=room, description="random bytes")
    assert uploaded["sha256"] == expected
    assert uploaded["size"] == 5 * 1024 * 1024
    target = tmp_path / "copy.bin"
    assert client.files.download(uploaded["file_id"], target) == expected
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected
    with open(source, "rb") as opened:
        again = client.files.upload(opened, filename="again.bin")
    assert again["sha256"] == expected


def test_notification_settings_keep_what_is_left_out_and_clear_none(server):
    client = VezaClient(server.url, token=server.register("ann")["access_token"])
    assert len(client.notifications.vapid_public_key()["public_key"]) == 87
    assert client.notifications.preferences() == {"default_level": "mentions", "dnd_until": None}
    set_ = client.notifications.set_preferences(dnd_until="2030-01-01T08:00:00Z")
    assert set_["dnd_until"] == "2030-01-01T08:00:00.000Z"
    assert client.notifications.set_preferences(default_level="all")["dnd_until"] is not None
    assert client.notifications.set_preferences(dnd_until=None)["dnd_until"] is None
    room = client.rooms.create("quiet")["id"]
    muted = client.notifications.set_room(room, level="none", muted_until="2030-01-01T00:00:00Z")
    assert muted["level"] == "none"
    assert client.rooms.get(room)["muted_until"] == "2030-01-01T00:00:00.000Z"
    assert client.notifications.set_room(room, muted_until=None) == {
        "room_id": room, "level": "none", "muted_until": None}
    with pytest.raises(VezaError) as raised:
        client.notifications.subscribe({"endpoint": "http://example.com/p", "keys": {"p256dh": "x", "auth": "y"}})
    assert raised.value.status == 400 and raised.value.details["field"] == "endpoint"
    assert client.notifications.subscriptions() == []


def test_errors_carry_the_envelope(server):
    client = VezaClient(server.url, token=server.register("ann")["access_token"])
    with pytest.raises(VezaError) as raised:
        client.rooms.get(99999)
    error = raised.value
    assert error.status == 404
    assert error.code == "ROOM_NOT_FOUND"
    assert error.request_id.startswith("req_")
    with pytest.raises(VezaError) as raised:
        client.messages.send(client.rooms.create("x")["id"], "x" * 2001)
    assert raised.value.code == "MESSAGE_TOO_LONG"
    assert raised.value.details["max_length"] == 2000


def test_the_realtime_client_hears_and_catches_up_after_a_restart(server):
    alice = VezaClient.login(server.url, server.register("alice")["user"]["username"], PASSWORD)
    bob = VezaClient(server.url, token=server.register("bob")["access_token"])
    room = alice.rooms.create("live")["id"]
    bob.rooms.join(room)
    live = alice.realtime(recv_timeout=20)
    assert live.connect()["type"] == "ready"
    frames = iter(live)
    bob.messages.send(room, "before the restart")
    frame = next(f for f in frames if f["type"] == "message.created")
    assert frame["data"]["content"] == "before the restart"

    server.restart()
    bob.messages.send(room, "while alice was away")
    frame = next(f for f in frames if f["type"] == "message.created")
    assert frame["data"]["content"] == "while alice was away"
    assert frame.get("catch_up") is True
    bob.messages.send(room, "live again")
    frame = next(f for f in frames if f["type"] == "message.created")
    assert frame["data"]["content"] == "live again"
    assert not frame.get("catch_up")
    live.close()


def test_every_operation_of_the_document_has_a_method(server):
    client = VezaClient(server.url)
    document = client.server.openapi()
    ids = {
        operation["operationId"]
        for path in document["paths"].values()
        for method, operation in path.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    missing = sorted(ids - set(OPERATIONS))
    assert not missing, f"operations without a method: {missing}"
    for operation_id, target in OPERATIONS.items():
        owner = client
        for part in target.split("."):
            owner = getattr(owner, part)
        assert callable(owner), f"{operation_id}: {target} is not a method"
    assert client.server.ping() == {"pong": True}
    assert client.server.limits()["message_max_length"] > 0
    assert client.auth.methods()["password"] is True
    assert "html" in client.server.docs().lower()


# A valid 1 × 1 PNG.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_invitations_admin_links_and_avatars(make_server):
    server = make_server({"VEZA_REGISTRATION": "invite"})
    admin = VezaClient(server.url)
    admin.auth.register("admin", "admin@example.com", "a long password")
    assert admin.auth.methods()["registration"] == "invite"
    room = admin.rooms.create("dev", is_public=False)["id"]
    invite = admin.invites.create(room_ids=[room], max_uses=2)
    assert invite["url"].endswith("/invite/" + invite["code"])
    preview = VezaClient(server.url).invites.preview(invite["code"])
    assert preview["rooms"] == [{"id": room, "name": "dev"}]

    bea = VezaClient(server.url)
    with pytest.raises(VezaError) as refused:
        bea.auth.register("bea", "bea@example.com", "a long password")
    assert refused.value.code == "REGISTRATION_CLOSED"
    bea.invites.accept(invite["code"], "bea", "bea@example.com", "a long password")
    assert [r["id"] for r in bea.rooms.list(filter="joined")["rooms"]] == [room]
    admin.invites.revoke(invite["id"])
    with pytest.raises(VezaError) as gone:
        bea.invites.preview(invite["code"])
    assert gone.value.status == 404

    made = admin.admin.create_user("cleo", "cleo@example.com")
    token = made["set_password"]["url"].split("#token=", 1)[1]
    VezaClient(server.url).auth.confirm_password_reset(token, "cleo password!")
    VezaClient.login(server.url, "cleo", "cleo password!")
    assert admin.admin.password_reset_link(made["id"])["expires_at"]
    with pytest.raises(VezaError) as no_mail:
        admin.auth.request_password_reset("cleo@example.com")
    assert no_mail.value.status == 404

    me = bea.users.set_avatar(io.BytesIO(PNG_1X1), filename="me.png")
    assert "/avatar?v=" in me["avatar_url"]
    assert admin.users.avatar(me["id"], me["avatar_url"])[:4] in (b"\x89PNG", b"RIFF")
    bea.users.remove_avatar()
    assert bea.users.get_me()["avatar_url"] is None


class SeedStyleClient:
    """The seed's `VezaChatAPI`, as printed, but holding an access token instead
    of logging in: what a script written from the document does."""

    def __init__(self, base_url, token):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        })

    def get_rooms(self, limit=50):
        response = self.session.get(f"{self.base_url}/rooms", params={"limit": limit})
        response.raise_for_status()
        return response.json()["data"]["rooms"]

    def send_message(self, room_id, content):
        response = self.session.post(f"{self.base_url}/rooms/{room_id}/messages", json={"content": content})
        response.raise_for_status()
        return response.json()["data"]


def test_tokens_bots_and_a_hook_posted_by_curl_requests_and_the_seeds_client(server):
    admin = VezaClient(server.url)
    admin.auth.register("admin", "admin@example.com", "a long password")
    room = admin.rooms.create("alerts")["id"]
    read = admin.bots.create_token("dashboard", ["read"])
    assert read["token"].startswith("vz_")
    script = VezaClient(server.url, token=read["token"])
    assert script.users.get_me()["username"] == "admin"
    with pytest.raises(VezaError) as refused:
        script.messages.send(room, "not with a read token")
    assert refused.value.status == 403 and refused.value.code == "PERMISSION_DENIED"

    bot = admin.bots.create("ci-bot", display_name="CI")
    assert bot["is_bot"] is True
    admin.members.add(room, user_id=bot["id"])
    bot_token = admin.bots.create_bot_token(bot["id"], "ci", ["read", "write"])["token"]
    seed = SeedStyleClient(f"{server.url}/api/v1", bot_token)
    assert [r["id"] for r in seed.get_rooms()] == [room]
    assert seed.send_message(room, "Hello from Python!")["author_kind"] == "bot"
    with pytest.raises(VezaError):
        VezaClient.login(server.url, "ci-bot", "a long password")

    hook = admin.bots.create_hook(room, "Monitoring")
    url = hook["url"]
    assert "/hooks/" in url
    # Slack's own curl example, then requests, then the seed's session style.
    curl = subprocess.run(
        ["curl", "-sS", "-X", "POST", "-H", "Content-type: application/json",
         "--data", '{"text":"Hello, World!"}', url],
        capture_output=True, text=True, timeout=30, check=True,
    )
    assert json.loads(curl.stdout)["data"]["author_kind"] == "hook"
    assert requests.post(url, json={"text": "from requests", "username": "Grafana"}).status_code == 200
    assert seed.session.post(url, json={"content": "from a session"}).status_code == 200
    assert admin.bots.post_to_hook(url, text="from the library")["content"] == "from the library"
    texts = [m["content"] for m in admin.messages.list(room)["messages"]]
    assert texts[:4] == ["from the library", "from a session", "from requests", "Hello, World!"]

    batch = {"source": "slack", "users": [{"id": "X1", "username": "imported", "email": None,
                                            "first_name": None, "last_name": None}]}
    assert admin.admin.import_batch(batch)["users_created"] == 1
    assert admin.admin.import_batch(batch)["already_there"] == 1

    admin.bots.delete_hook(room, hook["id"])
    assert requests.post(url, json={"text": "gone"}).status_code == 404
    admin.bots.revoke_bot_token(bot["id"], admin.bots.bot_tokens(bot["id"])["tokens"][0]["id"])
    with pytest.raises(requests.HTTPError):
        seed.get_rooms()
