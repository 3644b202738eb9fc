"""Browser tests of the web client: Debian's Chromium driven by Playwright.

Run by .ci/browser.sh after `cargo test`:
    python3 tests/browser/client_test.py [path/to/veza] [--shots DIR]

Each scenario starts from a fresh server (a real `veza` process on a temporary
data directory), sets its users and rooms up through the HTTP API, then drives
one or two browsers as users would. Every step asserts what it expects.
Screenshots of each scenario are written to DIR (default target/browser-shots).
"""

import asyncio
import json
import re
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import zlib

from playwright.async_api import async_playwright, expect

from oidc_provider import Provider

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
PASSWORD = "correct horse battery"
TIMEOUT_MS = 10_000


# ---------------------------------------------------------------- the server


class Server:
    """A veza process on a free loopback port and a temporary data directory."""

    def __init__(self, binary, extra_env=None):
        self.dir = tempfile.mkdtemp(prefix="veza-browser-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = dict(os.environ)
        env.update(
            VEZA_PORT=str(self.port),
            VEZA_DATA_DIR=os.path.join(self.dir, "data"),
            VEZA_RATE_LIMIT__REQUESTS_PER_HOUR="100000",
        )
        self.url = f"http://127.0.0.1:{self.port}"
        env.update(extra_env(self.url) if extra_env else {})
        self.log = open(os.path.join(self.dir, "veza.log"), "w")
        self.binary, self.env = binary, env
        self.launch()

    def launch(self):
        self.proc = subprocess.Popen([self.binary], cwd=self.dir, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.call("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("veza did not start")

    def restart(self, down_for):
        """Stops the server, keeps it down `down_for` seconds, starts it again on
        the same port and data."""
        self.proc.terminate()
        self.proc.wait(10)
        time.sleep(down_for)
        self.launch()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, method, path, body=None, token=None, raw=None, content_type=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type or "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                text = res.read()
                return res.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def api(self, method, path, body=None, token=None, expect_status=(200, 201)):
        status, json_body = self.call(method, "/api/v1" + path, body, token)
        assert status in expect_status, f"{method} {path}: {status} {json_body}"
        return json_body["data"] if json_body else None

    def register(self, name):
        data = self.api("POST", "/auth/register", {"username": name, "email": f"{name}@example.com", "password": PASSWORD})
        return data["access_token"], data["user"]


# ---------------------------------------------------------------- helpers


def png(width, height):
    """A small RGB PNG with a gradient, written without any imaging library."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 255) // width, (y * 255) // height, 128))
        for y in range(height)
    )

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def upload(server, token, room_id, name, data, mime="image/png"):
    """Uploads `data` into a room through the API (multipart, as a browser would)."""
    boundary = "vezaboundary7d1f"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"room_id\"\r\n\r\n{room_id}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        f"Content-Type: {mime}\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, answer = server.call("POST", "/api/v1/files/upload", token=token, raw=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
    assert status == 201, (status, answer)
    return answer["data"]


async def open_page(browser, server, viewport=None):
    """Veza's page in a new browser context, its script errors collected."""
    context = await browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    await page.goto(server.url + "/")
    return page


async def sign_in(browser, server, name, viewport=None):
    """A new browser context signed in as `name` through the sign-in form."""
    page = await open_page(browser, server, viewport)
    await page.get_by_label("Username or e-mail").fill(name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.locator(".me-name")).to_have_text(name)
    await expect(page.locator(".conn")).to_have_text("online")
    return page


def composer(page, label):
    return page.get_by_role("textbox", name=f"Message {label}", exact=True)


def message(page, text):
    return page.locator("li.message", has=page.locator(".content", has_text=text))


def room_of_two(server, name, description=None):
    """alice owns the room `name` and bob joined it: their tokens and the room."""
    alice_token, _ = server.register("alice")
    bob_token, _ = server.register("bob")
    room = server.api("POST", "/rooms", {"name": name, "description": description}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/join", token=bob_token)
    return alice_token, bob_token, room


async def both_in_room(browser, server, room, shown):
    """alice's and bob's browsers, signed in, each with `room` open and `shown`
    (a function of the page giving a locator) visible."""
    alice = await sign_in(browser, server, "alice")
    bob = await sign_in(browser, server, "bob")
    for page in (alice, bob):
        await page.goto(f"{server.url}/rooms/{room['id']}")
        await expect(shown(page)).to_be_visible()
    return alice, bob


# ---------------------------------------------------------------- scenarios


async def two_users_chat_live(browser, server, shots):
    alice_token, _, room = room_of_two(server, "general", "Everything")

    alice = await sign_in(browser, server, "alice")
    bob = await sign_in(browser, server, "bob")
    await alice.goto(f"{server.url}/rooms/{room['id']}")  # a deep link
    await bob.get_by_role("link", name="# general").click()
    await expect(bob).to_have_url(f"{server.url}/rooms/{room['id']}")

    # Typing shows on the other side, then the message arrives live.
    await composer(alice, "#general").press_sequentially("Hi Bob")
    await expect(bob.locator(".typing")).to_have_text("alice is typing…")
    await composer(alice, "#general").press("Shift+Enter")
    await composer(alice, "#general").press_sequentially("second line")
    await composer(alice, "#general").press("Enter")
    await expect(message(bob, "Hi Bob")).to_have_count(1)
    await expect(message(bob, "Hi Bob").locator(".content")).to_have_text("Hi Bob\nsecond line")
    await expect(message(alice, "Hi Bob")).not_to_have_class("message mine pending")

    await composer(bob, "#general").fill("Hello Alice!")
    await composer(bob, "#general").press("Enter")
    await expect(message(alice, "Hello Alice!")).to_have_count(1)

    # Reactions and edits travel live too.
    await message(alice, "Hello Alice!").hover()
    await message(alice, "Hello Alice!").get_by_role("button", name="Add reaction").click()
    await message(alice, "Hello Alice!").get_by_role("button", name="React with 🎉").click()
    await expect(message(bob, "Hello Alice!").locator(".reaction")).to_have_text("🎉 1")
    await message(bob, "Hello Alice!").hover()
    await message(bob, "Hello Alice!").get_by_role("button", name="Edit message").click()
    edit = bob.get_by_role("textbox", name="Edit message")
    await edit.fill("Hello Alice, edited")
    await edit.press("Enter")
    await expect(message(alice, "Hello Alice, edited").locator(".edited")).to_have_count(1)

    # Each message exactly once on both sides, in the order sent.
    for page in (alice, bob):
        await expect(page.locator("li.message .content")).to_have_text(["Hi Bob\nsecond line", "Hello Alice, edited"])
    await alice.screenshot(path=f"{shots}/chat-alice.png")
    await bob.screenshot(path=f"{shots}/chat-bob.png")

    # The server holds exactly those two messages (no duplicate from the optimistic send).
    page = server.api("GET", f"/rooms/{room['id']}/messages", token=alice_token)
    assert [m["content"] for m in page["messages"]] == ["Hello Alice, edited", "Hi Bob\nsecond line"], page
    return [alice, bob]


async def unread_badge_for_room_not_in_view(browser, server, shots):
    alice_token, _ = server.register("alice")
    bob_token, _ = server.register("bob")
    general = server.api("POST", "/rooms", {"name": "general"}, alice_token)
    random = server.api("POST", "/rooms", {"name": "random"}, alice_token)
    for room in (general, random):
        server.api("POST", f"/rooms/{room['id']}/join", token=bob_token)

    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{general['id']}")
    await expect(composer(alice, "#general")).to_be_visible()
    random_link = alice.locator(f'#sidebar li[data-room="{random["id"]}"] a')
    await expect(random_link.locator(".badge")).to_have_count(0)

    for text in ("one", "two"):
        server.api("POST", f"/rooms/{random['id']}/messages", {"content": text}, bob_token)
    await expect(random_link.locator(".badge")).to_have_text("2")
    await expect(random_link.locator(".badge")).to_have_attribute("aria-label", "2 unread")
    # A message in the room in view brings no badge.
    server.api("POST", f"/rooms/{general['id']}/messages", {"content": "here"}, bob_token)
    await expect(message(alice, "here")).to_have_count(1)
    await expect(alice.locator(f'#sidebar li[data-room="{general["id"]}"] .badge')).to_have_count(0)
    await alice.screenshot(path=f"{shots}/unread-badge.png")

    # Opening the room reads it: the badge goes, and the server agrees.
    await random_link.click()
    await expect(message(alice, "two")).to_have_count(1)
    await expect(random_link.locator(".badge")).to_have_count(0)
    deadline = time.time() + 5
    while server.api("GET", f"/rooms/{random['id']}", token=alice_token)["unread_count"] != 0:
        assert time.time() < deadline, "the read marker never reached the server"
        await asyncio.sleep(0.1)
    return [alice]


async def upload_with_thumbnail(browser, server, shots):
    alice_token, bob_token, room = room_of_two(server, "photos")
    alice, bob = await both_in_room(browser, server, room, lambda page: composer(page, "#photos"))

    picture = os.path.join(server.dir, "sunset.png")
    with open(picture, "wb") as f:
        f.write(png(640, 400))
    await alice.locator("input[type=file]").set_input_files(picture)
    await expect(alice.locator(".chip")).to_contain_text("sunset.png")
    await expect(alice.locator(".chip.uploading")).to_have_count(0)
    await composer(alice, "#photos").fill("Look at this")
    await composer(alice, "#photos").press("Enter")

    for page in (alice, bob):
        img = message(page, "Look at this").locator("img.thumb")
        await expect(img).to_have_attribute("alt", "sunset.png")
        await expect(img).to_have_attribute("src", lambda_contains("/thumbnail"))
        await page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=await img.element_handle(), timeout=TIMEOUT_MS
        )
        width = await img.evaluate("img => img.naturalWidth")
        assert width == 320, f"the thumbnail is {width} px wide, not 320"
    await bob.screenshot(path=f"{shots}/upload-thumbnail.png")

    # The file is the message's attachment on the server, with its thumbnail.
    page = server.api("GET", f"/rooms/{room['id']}/messages", token=bob_token)
    attachments = page["messages"][0]["attachments"]
    assert [a["original_filename"] for a in attachments] == ["sunset.png"], attachments
    assert attachments[0]["thumbnail_status"] == "ready", attachments
    return [alice, bob]


def lambda_contains(text):
    import re

    return re.compile(re.escape(text))


async def reply_in_thread(browser, server, shots):
    alice_token, bob_token, room = room_of_two(server, "design")
    root = server.api("POST", f"/rooms/{room['id']}/messages", {"content": "Which colour for the logo?"}, alice_token)

    alice, bob = await both_in_room(browser, server, room, lambda page: message(page, "Which colour"))

    await message(bob, "Which colour").hover()
    await message(bob, "Which colour").get_by_role("button", name="Reply in thread").click()
    panel = bob.locator("#panel")
    await expect(panel.get_by_role("heading", name="Thread")).to_be_visible()
    reply_box = panel.get_by_role("textbox", name="Message thread")
    await reply_box.fill("Blue, like the icon")
    await reply_box.press("Enter")
    await expect(panel.locator("li.message .content")).to_have_text(["Which colour for the logo?", "Blue, like the icon"])

    # The reply stays out of the room's main list; its parent counts it, live.
    await expect(alice.locator("#main .thread-link")).to_have_text("1 reply")
    await expect(message(alice, "Blue, like")).to_have_count(0)
    await alice.locator("#main .thread-link").click()
    await expect(alice.locator("#panel li.message .content")).to_have_text(["Which colour for the logo?", "Blue, like the icon"])
    await bob.screenshot(path=f"{shots}/thread.png")

    thread = server.api("GET", f"/messages/{root['id']}/thread", token=alice_token)
    assert [m["content"] for m in thread["messages"]] == ["Blue, like the icon"], thread
    return [alice, bob]


async def phone_screen_without_sideways_scrolling(browser, server, shots):
    alice_token, _ = server.register("alice")
    room = server.api("POST", "/rooms", {"name": "a-room-with-a-rather-long-name-for-a-phone"}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "x" * 300}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "https://example.com/" + "long/path/" * 20}, alice_token)
    phone = await sign_in(browser, server, "alice", viewport={"width": 375, "height": 667})
    await phone.goto(f"{server.url}/rooms/{room['id']}")
    await expect(message(phone, "xxxx")).to_have_count(1)

    async def no_sideways_scroll(what):
        widths = await phone.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth, document.body.scrollWidth]")
        assert widths[0] <= widths[1] and widths[2] <= widths[1], f"{what}: sideways scrolling {widths}"
        wide = await phone.evaluate(
            "[...document.querySelectorAll('#main *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.className || e.tagName).slice(0, 5)"
        )
        assert not wide, f"{what}: elements wider than the screen: {wide}"

    await no_sideways_scroll("room")
    # The sidebar is a drawer on a phone: hidden, then opened by the menu button.
    await expect(phone.locator("#sidebar")).not_to_be_in_viewport()
    await phone.get_by_role("button", name="Show rooms and conversations").click()
    await expect(phone.locator("#sidebar")).to_be_in_viewport()
    await phone.screenshot(path=f"{shots}/phone-drawer.png")
    await phone.locator("#sidebar").get_by_role("link", name="Live streams").click()
    await expect(phone.locator("#sidebar")).not_to_be_in_viewport()
    await no_sideways_scroll("streams")
    await phone.goto(f"{server.url}/rooms/{room['id']}")
    await composer(phone, "#a-room-with-a-rather-long-name-for-a-phone").fill("from my phone")
    await composer(phone, "#a-room-with-a-rather-long-name-for-a-phone").press("Enter")
    await expect(message(phone, "from my phone")).to_have_count(1)
    await no_sideways_scroll("after sending")
    await phone.screenshot(path=f"{shots}/phone-room.png")
    return [phone]


async def reconnect_catches_up(browser, server, shots):
    _, bob_token, room = room_of_two(server, "ops")
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    await expect(alice.locator(".conn")).to_have_text("online")

    # The connection drops; messages sent meanwhile come back over REST.
    await alice.evaluate("veza.live.attempt = 0; veza.live.ws.close()")
    await expect(alice.locator(".conn")).not_to_have_text("online")
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "while you were away"}, bob_token)
    await expect(alice.locator(".conn")).to_have_text("online", timeout=15_000)
    await expect(message(alice, "while you were away")).to_have_count(1)
    await alice.screenshot(path=f"{shots}/reconnect.png")
    return [alice]


async def search_and_direct_message(browser, server, shots):
    alice_token, _ = server.register("alice")
    bob_token, _ = server.register("bob")
    room = server.api("POST", "/rooms", {"name": "kitchen"}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "The <b>coffee</b> machine is fixed"}, alice_token)
    bob = await sign_in(browser, server, "bob")

    await bob.get_by_role("searchbox", name="Search messages").fill("coffee")
    await bob.get_by_role("searchbox", name="Search messages").press("Enter")
    hit = bob.locator("#panel .results li")
    await expect(hit).to_have_count(1)
    await expect(hit.locator("mark")).to_have_text("coffee")
    await expect(hit.locator(".content")).to_have_text("The <b>coffee</b> machine is fixed")  # shown as text, never as HTML
    await expect(bob.locator("#panel b")).to_have_count(0)

    await bob.get_by_role("button", name="New direct message").click()
    await bob.get_by_label("Find people").fill("ali")
    await expect(bob.locator("#main .card")).to_have_count(1)
    await bob.locator("#main .card").get_by_role("button", name="Message", exact=True).click()
    await expect(bob.locator("#main h1")).to_contain_text("alice")
    await composer(bob, "@alice").fill("Thanks for the coffee")
    await composer(bob, "@alice").press("Enter")
    await expect(message(bob, "Thanks for the coffee")).to_have_count(1)
    await bob.screenshot(path=f"{shots}/direct-message.png")
    convs = server.api("GET", "/conversations", token=alice_token)["conversations"]
    assert len(convs) == 1 and convs[0]["unread_count"] == 1, convs
    return [bob]


def wav(seconds=1, rate=8000):
    """A mono 16-bit WAV of a 440 Hz tone."""
    import math

    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(seconds * rate)
    )
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(frames), b"WAVE", b"fmt ", 16, 1, 1, rate, rate * 2, 2, 16, b"data", len(frames))
    return header + frames


async def infinite_scroll_loads_older_history(browser, server, shots):
    alice_token, _ = server.register("alice")
    room = server.api("POST", "/rooms", {"name": "history"}, alice_token)
    for i in range(1, 131):
        server.api("POST", f"/rooms/{room['id']}/messages", {"content": f"message {i}"}, alice_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    messages = alice.locator("#main li.message")
    await expect(messages.last).to_contain_text("message 130")
    count = await messages.count()
    assert 50 <= count < 130, f"{count} messages on the first screen"
    # Scrolling to the top loads older pages until the first message.
    for _ in range(10):
        if await messages.count() == 130:
            break
        await alice.locator("#main .scroller").evaluate("s => { s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); }")
        await alice.wait_for_timeout(300)
    await expect(messages).to_have_count(130)
    await expect(messages.first.locator(".content")).to_have_text("message 1")
    texts = await alice.locator("#main li.message .content").all_text_contents()
    assert texts == [f"message {i}" for i in range(1, 131)], "history out of order or doubled"
    await alice.screenshot(path=f"{shots}/history.png")
    return [alice]


async def moderation_pin_and_delete(browser, server, shots):
    alice_token, bob_token, room = room_of_two(server, "team")
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "Release on Friday"}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "spam spam spam"}, bob_token)
    alice, bob = await both_in_room(browser, server, room, lambda page: message(page, "spam spam"))

    # A member can neither pin nor delete others' messages; the owner can.
    await message(bob, "Release on Friday").hover()
    await expect(message(bob, "Release on Friday").get_by_role("button", name="Pin message")).to_have_count(0)
    await expect(message(bob, "Release on Friday").get_by_role("button", name="Delete message")).to_have_count(0)
    await message(alice, "Release on Friday").hover()
    await message(alice, "Release on Friday").get_by_role("button", name="Pin message").click()
    await expect(message(bob, "Release on Friday").locator(".pin-badge")).to_have_count(1)
    await alice.get_by_role("button", name="Pinned").click()
    await expect(alice.locator("#panel .results li .content")).to_have_text(["Release on Friday"])
    await alice.get_by_role("button", name="Close panel").click()

    alice.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await message(alice, "spam spam").hover()
    await message(alice, "spam spam").get_by_role("button", name="Delete message").click()
    await expect(message(alice, "spam spam")).to_have_count(0)
    await expect(message(bob, "spam spam")).to_have_count(0)
    await bob.screenshot(path=f"{shots}/moderation.png")
    page = server.api("GET", f"/rooms/{room['id']}/messages", token=bob_token)
    assert [m["content"] for m in page["messages"]] == ["Release on Friday"], page
    assert page["messages"][0]["is_pinned"] is True
    return [alice, bob]


async def audio_plays_and_files_drop_in(browser, server, shots):
    alice_token, bob_token, room = room_of_two(server, "music")
    alice, bob = await both_in_room(browser, server, room, lambda page: composer(page, "#music"))

    # A file dropped on the conversation is uploaded and attached.
    data = list(wav())
    await alice.evaluate(
        """bytes => {
            const file = new File([new Uint8Array(bytes)], 'tone.wav', {type: 'audio/wav'});
            const drop = new DataTransfer();
            drop.items.add(file);
            const target = document.querySelector('#main .timeline');
            target.dispatchEvent(new DragEvent('dragover', {dataTransfer: drop, bubbles: true, cancelable: true}));
            target.dispatchEvent(new DragEvent('drop', {dataTransfer: drop, bubbles: true, cancelable: true}));
        }""",
        data,
    )
    await expect(alice.locator(".chip")).to_contain_text("tone.wav")
    await expect(alice.locator(".chip.uploading")).to_have_count(0)
    await composer(alice, "#music").press("Enter")

    # Bob's browser plays it: the audio element loads it from Veza (range requests).
    sent = bob.locator("li.message", has=bob.locator("figure.file.media", has_text="tone.wav"))
    audio = sent.locator("audio")
    await expect(audio).to_have_count(1)
    # Sent with no text, its name shows once, on the file, not again as text.
    await expect(sent.locator(".content")).to_have_count(0)
    await audio.evaluate("a => { a.preload = 'auto'; a.load(); }")
    await bob.wait_for_function(
        "a => a.readyState >= 1 && a.duration > 0.9", arg=await audio.element_handle(), timeout=TIMEOUT_MS
    )
    await audio.evaluate("a => { a.muted = true; return a.play(); }")
    await bob.wait_for_function("a => a.currentTime > 0", arg=await audio.element_handle(), timeout=TIMEOUT_MS)
    await bob.screenshot(path=f"{shots}/audio.png")
    return [alice, bob]


async def live_stream_with_its_chat(browser, server, shots):
    server.register("alice")
    bob_token, _ = server.register("bob")
    alice = await sign_in(browser, server, "alice")
    bob = await sign_in(browser, server, "bob")

    await alice.locator("#sidebar").get_by_role("link", name="Live streams").click()
    await alice.get_by_label("Title").fill("Friday set")
    await alice.get_by_role("button", name="Create", exact=True).click()
    await expect(alice.locator("#main h1")).to_have_text("Friday set")
    await bob.locator("#sidebar").get_by_role("link", name="Live streams").click()
    await expect(bob.locator("#main .card")).to_contain_text("not started")

    await alice.get_by_role("button", name="Go live").click()
    await expect(alice.locator(".stream-head .live")).to_have_text("LIVE")
    # Bob's list follows the stream.started event.
    await expect(bob.locator("#main .card .live")).to_have_text("LIVE")
    await bob.locator("#main .card").get_by_role("link", name="Open").click()
    await expect(bob.locator(".stream-head .viewers")).to_contain_text("watching")
    await bob.get_by_role("button", name="Join the chat").click()
    chat = bob.locator(".stream-chat").get_by_role("textbox", name="Message #Friday set")
    await expect(chat).to_be_visible()
    await chat.fill("Great set!")
    await chat.press("Enter")
    await expect(message(alice, "Great set!")).to_have_count(1)
    await bob.screenshot(path=f"{shots}/stream.png")

    await alice.get_by_role("button", name="End stream").click()
    await expect(alice.locator(".stream-head")).to_contain_text("Ended")
    streams = server.api("GET", "/streams", token=bob_token)["streams"]
    assert len(streams) == 1 and streams[0]["is_live"] is False and streams[0]["ended_at"], streams
    return [alice, bob]


async def session_survives_reload_and_ends_on_sign_out(browser, server, shots):
    server.register("alice")
    alice = await sign_in(browser, server, "alice")
    refresh = await alice.evaluate("localStorage.getItem('veza.refresh_token')")
    assert refresh, "no refresh token kept"
    assert await alice.evaluate("document.cookie") == "", "tokens must not be in cookies"
    await alice.reload()
    await expect(alice.locator(".me-name")).to_have_text("alice")
    # The reload spent the old refresh token for a new one.
    assert await alice.evaluate("localStorage.getItem('veza.refresh_token')") != refresh
    await alice.get_by_role("button", name="Sign out", exact=True).click()
    await expect(alice.get_by_role("heading", name="Sign in to Veza")).to_be_visible()
    assert await alice.evaluate("localStorage.getItem('veza.refresh_token')") is None
    # No provider here: the sign-in screen finds that out without a failed request.
    assert not [e for e in alice.console_errors if "404" in e], alice.console_errors
    await alice.reload()
    await expect(alice.get_by_role("heading", name="Sign in to Veza")).to_be_visible()
    # A wrong password says so, in the page.
    await alice.get_by_label("Username or e-mail").fill("alice")
    await alice.get_by_label("Password").fill("not the password")
    await alice.get_by_role("button", name="Sign in", exact=True).click()
    await expect(alice.get_by_role("alert")).not_to_be_empty()
    await alice.screenshot(path=f"{shots}/signed-out.png")
    return [alice]


async def presence_shows_in_direct_messages(browser, server, shots):
    alice_token, alice_user = server.register("alice")
    bob_token, _ = server.register("bob")
    server.api("POST", "/conversations", {"user_id": alice_user["id"]}, bob_token)
    bob = await sign_in(browser, server, "bob")
    dm = bob.locator("#sidebar li[data-conversation] a")
    await expect(dm.locator(".dot")).to_have_attribute("aria-label", "offline")
    alice = await sign_in(browser, server, "alice")
    await expect(dm.locator(".dot")).to_have_attribute("aria-label", "online")
    await alice.context.close()
    await expect(dm.locator(".dot")).to_have_attribute("aria-label", "offline")
    return [bob]



async def keyboard_only(browser, server, shots):
    alice_token, _ = server.register("alice")
    server.api("POST", "/rooms", {"name": "general"}, alice_token)
    page = await open_page(browser, server)
    # The sign-in form takes focus; Tab moves to the password; Enter submits.
    await expect(page.get_by_label("Username or e-mail")).to_be_focused()
    await page.keyboard.type("alice")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    # The room opens with the composer focused.
    await expect(composer(page, "#general")).to_be_focused()
    await page.keyboard.type("typed, not clicked")
    await page.keyboard.press("Enter")
    await expect(message(page, "typed, not clicked")).not_to_have_class(re.compile("pending"))
    # Back from the composer: its code and emoji helpers, the attach button, then
    # the message's actions, visible once focused.
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Code block")).to_be_focused()
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Insert an emoji")).to_be_focused()
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Attach files")).to_be_focused()
    for _ in range(6):
        await page.keyboard.press("Shift+Tab")
        if await page.evaluate("document.activeElement.getAttribute('aria-label')") == "Add reaction":
            break
    opener = message(page, "typed, not clicked").get_by_role("button", name="Add reaction")
    await expect(opener).to_be_focused()
    assert await opener.evaluate("b => getComputedStyle(b.parentElement).opacity") == "1", "focused actions are hidden"
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="React with 👍")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(message(page, "typed, not clicked").locator(".reaction")).to_have_text("👍 1")
    await page.screenshot(path=f"{shots}/keyboard.png")
    return [page]



async def sign_in_with_the_identity_provider(browser, server, shots):
    """Runs with an [oidc] section pointing at tests/browser/oidc_provider.py."""
    page = await open_page(browser, server)
    button = page.get_by_role("link", name="Sign in with Test SSO")
    await expect(button).to_be_visible()
    await page.screenshot(path=f"{shots}/sign-in-with-provider.png")
    # Veza -> the provider -> back to /auth/oauth/callback, where the client finishes.
    await button.click()
    await expect(page.locator(".me-name")).to_have_text("sso.user")
    await expect(page).not_to_have_url(re.compile("code="))
    await expect(page.locator(".conn")).to_have_text("online")
    # The account is real: it can create a room and post in it.
    await page.get_by_label("Name", exact=True).fill("from-sso")
    await page.get_by_role("button", name="Create room", exact=True).click()
    await composer(page, "#from-sso").fill("signed in through the provider")
    await composer(page, "#from-sso").press("Enter")
    await expect(message(page, "signed in through the provider")).not_to_have_class(re.compile("pending"))
    # And it survives a reload like any session.
    await page.reload()
    await expect(page.locator(".me-name")).to_have_text("sso.user")
    return [page]


sign_in_with_the_identity_provider.provider = True

async def retried_send_is_not_doubled(browser, server, shots):
    alice_token, _ = server.register("alice")
    room = server.api("POST", "/rooms", {"name": "flaky"}, alice_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    keys = []

    async def lose_the_answer(route):
        # The server gets the send and stores it; the answer is lost on the way back.
        keys.append(route.request.headers.get("idempotency-key"))
        await route.fetch()
        await route.abort()

    await alice.route(f"**/api/v1/rooms/{room['id']}/messages", lose_the_answer)
    # With the live connection up, its event brings the stored message: no failure shown.
    await composer(alice, "#flaky").fill("arrived anyway")
    await composer(alice, "#flaky").press("Enter")
    await expect(message(alice, "arrived anyway")).not_to_have_class(re.compile("pending"))
    await expect(alice.locator("li.message.failed")).to_have_count(0)
    await expect(alice.locator(".toast.error")).to_have_count(0)
    # Without it, the send shows as failed until retried.
    await alice.evaluate("veza.live.stop()")
    keys.clear()
    await composer(alice, "#flaky").fill("sent once")
    await composer(alice, "#flaky").press("Enter")
    failed = alice.locator("li.message.failed", has_text="sent once")
    await expect(failed).to_have_count(1)
    await alice.unroute(f"**/api/v1/rooms/{room['id']}/messages")

    # Retry sends the same Idempotency-Key: the server answers the stored message.
    retried = []
    alice.on("request", lambda r: r.method == "POST" and r.url.endswith("/messages") and retried.append(r.headers.get("idempotency-key")))
    await failed.get_by_role("button", name="Retry").click()
    await expect(alice.locator("li.message.failed")).to_have_count(0)
    await expect(message(alice, "sent once")).to_have_count(1)
    assert keys[0] and retried == keys, (keys, retried)
    page = server.api("GET", f"/rooms/{room['id']}/messages", token=alice_token)
    assert [m["content"] for m in page["messages"]] == ["sent once", "arrived anyway"], page
    await alice.screenshot(path=f"{shots}/retried-send.png")
    return [alice]



async def an_oversized_upload_shows_the_servers_refusal(browser, server, shots):
    """A file over the server's limit (GET /limits) is refused before any byte is
    sent, in human units; nothing is kept and the page goes on working."""
    alice_token, bob_token, room = room_of_two(server, "big-files")
    alice, bob = await both_in_room(browser, server, room, lambda page: composer(page, "#big-files"))
    big = os.path.join(server.dir, "too-big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(3 * 1024 * 1024))
    await alice.locator("input[type=file]").set_input_files(big)
    toast = alice.locator(".toast.error")
    await expect(toast).to_contain_text("too-big.bin")
    await expect(toast).to_contain_text("3.0 MB; files may be up to 1.0 MB")
    await expect(alice.locator(".chip")).to_have_count(0)
    await alice.screenshot(path=f"{shots}/upload-refused.png")
    # Nothing was kept, and the page goes on working.
    files = server.api("GET", f"/rooms/{room['id']}/files", token=alice_token)
    assert files["files"] == [], files
    await composer(alice, "#big-files").fill("still here")
    await composer(alice, "#big-files").press("Enter")
    await expect(message(bob, "still here")).to_have_count(1)
    return [alice, bob]


an_oversized_upload_shows_the_servers_refusal.env = {"VEZA_LIMITS__UPLOAD_MAX_BYTES": "1048576"}


async def live_updates_outlast_the_access_token(browser, server, shots):
    """The server closes a socket whose access token expires unless a fresher one
    comes in an `auth` frame: the page renews it before expiry, on the same socket."""
    _, _, room = room_of_two(server, "long-day")
    page = await open_page(browser, server)
    await page.add_init_script("""
        window.__sockets = 0;
        const Native = window.WebSocket;
        window.WebSocket = class extends Native {
            constructor(...args) { super(...args); window.__sockets += 1; }
        };
    """)
    await page.reload()
    await page.get_by_label("Username or e-mail").fill("alice")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.locator(".conn")).to_have_text("online")
    await page.goto(f"{server.url}/rooms/{room['id']}")
    await expect(composer(page, "#long-day")).to_be_visible()
    opened = await page.evaluate("window.__sockets")
    # Three token lifetimes of 8 s.
    await page.wait_for_timeout(24000)
    bob_now = server.api("POST", "/auth/login", {"username": "bob", "password": PASSWORD})["access_token"]
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "after three tokens"}, bob_now)
    await expect(message(page, "after three tokens")).to_have_count(1)
    await expect(page.locator(".conn")).to_have_text("online")
    assert await page.evaluate("window.__sockets") == opened, "the socket was renewed, not reopened"
    await page.screenshot(path=f"{shots}/token-renewed.png")
    return [page]


live_updates_outlast_the_access_token.env = {"VEZA_AUTH__ACCESS_TOKEN_TTL_SECS": "8"}


async def live_updates_resume_after_a_server_restart(browser, server, shots):
    """A tab must not look alive and stop receiving: with the server away for
    several seconds (refreshes fail meanwhile), every open tab keeps trying, comes
    back online, catches up and hears what follows. Two tabs of one browser share
    one single-use refresh token: they take turns and neither is signed out."""
    _, bob_token, room = room_of_two(server, "night-shift")
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    second = await alice.context.new_page()
    second.set_default_timeout(TIMEOUT_MS)
    second.errors = []
    second.on("pageerror", lambda e: second.errors.append(str(e)))
    await second.goto(f"{server.url}/rooms/{room['id']}")
    for tab in (alice, second):
        await expect(composer(tab, "#night-shift")).to_be_visible()
        await expect(tab.locator(".conn")).to_have_text("online")
    server.restart(down_for=6)
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "sent while you reconnected"}, bob_token)
    for tab in (alice, second):
        await expect(tab.locator(".conn")).to_have_text("online", timeout=40_000)
        await expect(message(tab, "sent while you reconnected")).to_have_count(1)
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "live after the restart"}, bob_token)
    for tab in (alice, second):
        await expect(message(tab, "live after the restart")).to_have_count(1)
        await expect(tab.get_by_role("heading", name="Sign in to Veza")).to_have_count(0)
    await alice.screenshot(path=f"{shots}/restart.png")
    return [alice, second]


async def an_over_long_message_comes_back_to_the_composer(browser, server, shots):
    """A message over the server's limit is caught before it is sent: counted
    against the limit (from GET /limits), refused with the reason, and its text
    kept whole in the composer to be shortened. Nothing reaches the room."""
    _, _, room = room_of_two(server, "essays")
    alice, bob = await both_in_room(browser, server, room, lambda page: composer(page, "#essays"))
    essay = "word " * 500
    box = composer(alice, "#essays")
    await box.fill(essay)
    counter = alice.locator(".composer .counter")
    await expect(counter).to_have_text("2,499 / 2,000")
    await expect(counter).to_have_class(re.compile(r"\bover\b"))
    await box.press("Enter")
    await expect(alice.locator(".toast.error")).to_contain_text("the limit is 2,000")
    await expect(alice.locator("li.message")).to_have_count(0)
    await expect(box).to_have_value(essay)
    await box.fill(essay[:1000])
    await expect(counter).to_have_text("")
    await box.press("Enter")
    await expect(message(bob, "word word")).to_have_count(1)
    await expect(box).to_have_value("")
    await alice.screenshot(path=f"{shots}/too-long.png")
    return [alice, bob]


async def drafts_survive_switches_and_reloads(browser, server, shots):
    """Text being written stays with its room: switching rooms, reloading the page
    and coming back finds it; sending it clears it; signing out forgets it."""
    alice_token, _, room = room_of_two(server, "drafting")
    other = server.api("POST", "/rooms", {"name": "elsewhere"}, alice_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    box = composer(alice, "#drafting")
    await box.fill("half a thought")
    await alice.wait_for_timeout(400)  # drafts are kept after a short pause
    await alice.locator("#sidebar").get_by_role("link", name="elsewhere").click()
    await expect(composer(alice, "#elsewhere")).to_have_value("")
    await alice.locator("#sidebar").get_by_role("link", name="drafting").click()
    await expect(box).to_have_value("half a thought")
    await alice.reload()
    await expect(composer(alice, "#drafting")).to_have_value("half a thought")
    await composer(alice, "#drafting").press("Enter")
    await expect(message(alice, "half a thought")).to_have_count(1)
    await alice.reload()
    await expect(composer(alice, "#drafting")).to_have_value("")
    await composer(alice, "#drafting").fill("private words")
    await alice.wait_for_timeout(400)
    await alice.get_by_role("button", name="Sign out", exact=True).click()
    await expect(alice.get_by_role("heading", name="Sign in to Veza")).to_be_visible()
    kept = await alice.evaluate("Object.keys(localStorage).filter(k => k.startsWith('veza.draft.'))")
    assert kept == [], kept
    assert other["id"]
    return [alice]


# Each hostile message: what it tries, and its text. None may run script, load an
# image or make a link outside http:, https: and mailto:.
XSS_CORPUS = [
    "<script>window.__xss = 1</script>",
    "<img src=x onerror=\"window.__xss = 2\">",
    "[click](javascript:window.__xss=3)",
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9NDwvc2NyaXB0Pg==)",
    "![pic](https://example.com/x.png)",
    "![pic](javascript:window.__xss=5)",
    "<a href=\"javascript:window.__xss=6\">a</a>",
    "[x](JaVaScRiPt:window.__xss=7) <svg onload=window.__xss=8>",
    "**<iframe src=javascript:window.__xss=9>**",
    "`<b>code</b>` and ```<i>fence</i>```",
    "[nested [brackets](javascript:window.__xss=10)](https://example.com)",
    "<https://example.com/\"onmouseover=\"window.__xss=11>",
]


async def markdown_renders_and_nothing_runs(browser, server, shots):
    """Messages are Markdown (API.md §18): emphasis, code, fences, quotes, lists
    and safe links render; raw HTML, script links and images stay text."""
    alice_token, bob_token, room = room_of_two(server, "formatting")
    path = f"/rooms/{room['id']}/messages"
    server.api("POST", path, {"content": "**bold** _it_ ~~gone~~ `x < y` and snake_case_name"}, alice_token)
    server.api("POST", path, {"content": "```rust\nfn main() {}\n<b>not bold</b>\n```"}, alice_token)
    server.api("POST", path, {"content": "> quoted\n\n- one\n- two\n\n1. first\n2. second"}, alice_token)
    server.api("POST", path, {"content": "see https://example.com/a_b. and [docs](https://example.com/docs) @bob #formatting"}, alice_token)
    for text in XSS_CORPUS:
        server.api("POST", path, {"content": text}, bob_token)
    server.api("POST", path, {"content": "end of corpus"}, bob_token)
    alice, bob = await both_in_room(browser, server, room, lambda page: message(page, "end of corpus"))
    for page in (alice, bob):
        content = page.locator("li.message .content")
        first = message(page, "snake_case_name").locator(".content")
        await expect(first.locator("strong")).to_have_text("bold")
        await expect(first.locator("em")).to_have_text("it")
        await expect(first.locator("del")).to_have_text("gone")
        await expect(first.locator("code")).to_have_text("x < y")
        await expect(first).to_contain_text("snake_case_name")
        fence = page.locator("li.message .content pre code.language-rust")
        await expect(fence).to_have_text("fn main() {}\n<b>not bold</b>")
        await expect(page.locator("li.message .content blockquote")).to_have_text("quoted")
        await expect(page.locator("li.message .content ul li")).to_have_count(2)
        await expect(page.locator("li.message .content ol li")).to_have_count(2)
        links = message(page, "see https").locator(".content")
        await expect(links.locator("a[href='https://example.com/a_b']")).to_have_count(1)
        docs = links.locator("a", has_text="docs")
        await expect(docs).to_have_attribute("href", "https://example.com/docs")
        await expect(docs).to_have_attribute("rel", "noopener noreferrer nofollow")
        await expect(links.locator(".mention")).to_have_text("@bob")
        await expect(links.locator("a.room-link")).to_have_attribute("href", f"/rooms/{room['id']}")
        # The corpus: no element a message could smuggle in, no other scheme.
        for tag in ("script", "img", "iframe", "svg", "b", "i"):
            await expect(content.locator(tag)).to_have_count(0)
        hrefs = await content.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert all(h.startswith(("https:", "http:", "mailto:", "/rooms/")) for h in hrefs), hrefs
        await expect(message(page, "<script>")).to_have_count(1)  # shown as typed
        # Hover and click what the corpus made into links and text.
        for a in await content.locator("a").all():
            await a.hover()
        assert await page.evaluate("window.__xss") is None
    await alice.screenshot(path=f"{shots}/markdown.png")
    return [alice, bob]


async def a_room_is_managed_from_the_page(browser, server, shots):
    """A moderator adds a member to a private room from the members panel and the
    member sees the room arrive live; the owner renames it from its settings and
    every open tab shows the new name; controls a user may not use are not shown."""
    alice_token, _ = server.register("alice")
    bob_token, bob = server.register("bob")
    server.register("carol")
    room = server.api("POST", "/rooms", {"name": "secret", "is_public": False}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/members", {"user_id": bob["id"], "role": "moderator"}, alice_token)
    alice = await sign_in(browser, server, "alice")
    bob_page = await sign_in(browser, server, "bob")
    carol = await sign_in(browser, server, "carol")
    await expect(carol.locator("#sidebar").get_by_role("link", name="secret")).to_have_count(0)
    for page in (alice, bob_page):
        await page.goto(f"{server.url}/rooms/{room['id']}")
        await expect(page.locator("#main h1")).to_have_text("🔒 secret")

    # The moderator adds carol; she sees the room without reloading.
    await bob_page.get_by_role("button", name="Members (2)").click()
    await bob_page.get_by_label("Username to add").fill("carol")
    await bob_page.get_by_role("button", name="Add", exact=True).click()
    await expect(bob_page.locator("#panel .members li", has_text="carol")).to_have_count(1)
    await expect(carol.locator("#sidebar").get_by_role("link", name="secret")).to_have_count(1)
    await expect(alice.get_by_role("button", name="Members (3)")).to_have_count(1)  # live
    # A moderator may remove plain members, not change roles; a plain member, neither.
    await expect(bob_page.get_by_role("button", name="Remove carol")).to_have_count(1)
    await expect(bob_page.get_by_label("Role of carol")).to_have_count(0)
    await carol.locator("#sidebar").get_by_role("link", name="secret").click()
    await expect(carol.get_by_role("button", name="Settings")).to_have_count(0)
    await carol.get_by_role("button", name="Members (3)").click()
    await expect(carol.locator("#panel .members li")).to_have_count(3)
    await expect(carol.locator("#panel").get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    await expect(carol.get_by_label("Username to add")).to_have_count(0)
    # The moderator's settings: name and description, not privacy nor deletion.
    await bob_page.get_by_role("button", name="Settings").click()
    await expect(bob_page.get_by_label("Name", exact=True)).to_have_value("secret")
    await expect(bob_page.get_by_role("button", name="Delete room")).to_have_count(0)
    await expect(bob_page.locator("#panel input[name=is_public]")).to_have_count(0)

    # The owner's settings hold the member limit: one below the members is refused.
    await alice.get_by_role("button", name="Settings").click()
    await alice.get_by_label("Member limit").fill("2")
    await alice.get_by_role("button", name="Save").click()
    await expect(alice.locator("#panel .room-settings .error")).to_contain_text("already has 3 members")
    await alice.get_by_label("Member limit").fill("")
    # The owner renames it: every open tab follows.
    await alice.get_by_label("Name", exact=True).fill("vault")
    await alice.get_by_label("Description").fill("where the keys are")
    await alice.get_by_role("button", name="Save").click()
    for page in (alice, bob_page, carol):
        await expect(page.locator("#main h1")).to_have_text("🔒 vault")
        await expect(composer(page, "#vault")).to_be_visible()
        await expect(page.locator("#main .topic")).to_have_text("where the keys are")
        await expect(page.locator("#sidebar").get_by_role("link", name="vault")).to_have_count(1)
    # The owner gives carol the moderator role from the list.
    await alice.get_by_role("button", name=re.compile(r"^Members")).click()
    await alice.get_by_label("Role of carol").select_option("moderator")
    await expect(alice.locator("#panel .members li", has_text="carol")).to_contain_text("moderator")
    members = server.api("GET", f"/rooms/{room['id']}/members", token=bob_token)["members"]
    assert {m["username"]: m["role"] for m in members}["carol"] == "moderator", members
    await alice.screenshot(path=f"{shots}/room-settings.png")
    return [alice, bob_page, carol]


async def a_room_with_images_opens_at_its_newest(browser, server, shots):
    """Images keep their place before they load (the server gives their size), so
    a room opens at its newest message and stays there as thumbnails arrive; when
    the reader scrolls up, a button brings them back to the latest."""
    alice_token, bob_token, room = room_of_two(server, "gallery")
    path = f"/rooms/{room['id']}/messages"
    for i in range(30):
        server.api("POST", path, {"content": f"chatter {i}"}, bob_token)
    for i in range(4):
        file = upload(server, alice_token, room["id"], f"shot{i}.png", png(900, 600 + 40 * i))
        server.api("POST", path, {"content": f"picture {i}", "attachments": [file["id"]]}, alice_token)
    server.api("POST", path, {"content": "the newest words"}, bob_token)
    # Thumbnails made, so the file objects carry their sizes.
    deadline = time.time() + 20
    while time.time() < deadline:
        page = server.api("GET", f"{path}?limit=10", token=alice_token)["messages"]
        files = [f for m in page for f in m["attachments"]]
        if files and all(f["thumbnail_status"] == "ready" for f in files):
            break
        time.sleep(0.2)
    assert all(f["width"] == 900 for f in files), files
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    newest = message(alice, "the newest words")
    await expect(newest).to_be_visible()
    imgs = alice.locator("li.message img.thumb")
    await expect(imgs.first).to_have_attribute("height", "213")  # 900 × 600 within 320 × 240
    await alice.wait_for_function(
        "() => [...document.querySelectorAll('li.message img.thumb')].every(i => i.complete && i.naturalWidth > 0)")
    at_bottom = "() => { const s = document.querySelector('.scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight < 4; }"
    await alice.wait_for_function(at_bottom)
    await expect(newest).to_be_in_viewport()
    jump = alice.get_by_role("button", name="Jump to latest ↓")
    await expect(jump).to_be_hidden()
    await alice.locator(".scroller").evaluate("s => { s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); }")
    await expect(jump).to_be_visible()
    await jump.click()
    await alice.wait_for_function(at_bottom)
    await expect(jump).to_be_hidden()
    await alice.screenshot(path=f"{shots}/gallery.png")
    return [alice]


async def profile_and_server_admin_from_the_page(browser, server, shots):
    """A user edits their profile and changes their password from the page; an
    admin finds them on the server page and deactivates them: their open tab is
    signed out at once and they cannot sign in until reactivated."""
    server.register("alice")  # the first account: the admin
    _, bob = server.register("bob")
    alice = await sign_in(browser, server, "alice")
    bob_page = await sign_in(browser, server, "bob")
    await expect(bob_page.locator("#sidebar").get_by_role("link", name="Server admin")).to_have_count(0)

    await bob_page.locator("#sidebar").get_by_role("link", name="bob").click()
    await bob_page.get_by_label("First name").fill("Robert")
    await bob_page.get_by_label("Status").fill("on call")
    await bob_page.get_by_label("E-mail").fill("robert@example.com")
    await bob_page.get_by_role("button", name="Save profile").click()
    await expect(bob_page.locator(".toast")).to_contain_text("Profile saved")
    me = server.api("GET", f"/users/{bob['id']}", token=server.register("carol")[0])
    assert me["first_name"] == "Robert" and me["status_message"] == "on call", me
    assert server.api("GET", "/users/me", token=server.call("POST", "/api/v1/auth/login", {"email": "robert@example.com", "password": PASSWORD})[1]["data"]["access_token"])["email"] == "robert@example.com"
    await bob_page.get_by_label("Current password").fill("not it at all")
    await bob_page.get_by_label("New password").fill("a brand new secret")
    await bob_page.get_by_role("button", name="Change password").click()
    await expect(bob_page.get_by_role("alert").filter(has_text="current_password")).to_have_count(1)
    await bob_page.get_by_label("Current password").fill(PASSWORD)
    await bob_page.get_by_role("button", name="Change password").click()
    await expect(bob_page.locator(".toast").last).to_contain_text("Password changed")
    await bob_page.reload()
    await expect(bob_page.locator(".me-name")).to_have_text("bob")  # this session stays

    await alice.locator("#sidebar").get_by_role("link", name="Server admin").click()
    await expect(alice.locator("dl.stats dt", has_text="Users").locator("+ dd")).to_have_text("3")
    await expect(alice.locator("dl.stats")).not_to_contain_text("[object")
    await expect(alice.locator("table.users tr", has_text="bob")).to_contain_text("active")
    alice.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await alice.get_by_role("button", name="Deactivate bob").click()
    await expect(alice.locator("table.users tr", has_text="bob")).to_contain_text("deactivated")
    # Bob's open tab is signed out, and a sign-in is refused.
    await expect(bob_page.get_by_role("heading", name="Sign in to Veza")).to_be_visible()
    status, _ = server.call("POST", "/api/v1/auth/login", {"username": "bob", "password": "a brand new secret"})
    assert status == 401, status
    await alice.get_by_role("button", name="Reactivate bob").click()
    await expect(alice.locator("table.users tr", has_text="bob")).not_to_contain_text("deactivated")
    status, _ = server.call("POST", "/api/v1/auth/login", {"username": "bob", "password": "a brand new secret"})
    assert status == 200, status
    await alice.screenshot(path=f"{shots}/admin.png")
    return [alice, bob_page]


async def keyboard_shortcuts(browser, server, shots):
    """Up in an empty composer edits one's last message; Ctrl+K switches rooms by
    a few letters; Escape closes a panel."""
    alice_token, _, room = room_of_two(server, "alpha")
    beta = server.api("POST", "/rooms", {"name": "beta"}, alice_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    box = composer(alice, "#alpha")
    await box.fill("first try")
    await box.press("Enter")
    await expect(message(alice, "first try")).to_have_count(1)
    await box.press("ArrowUp")
    editing = alice.get_by_role("textbox", name="Edit message")
    await expect(editing).to_have_value("first try")
    await editing.fill("second try")
    await editing.press("Enter")
    await expect(message(alice, "second try")).to_contain_text("(edited)")

    await alice.keyboard.press("Control+k")
    switcher = alice.get_by_role("searchbox", name="Go to a room or person")
    await expect(switcher).to_be_focused()
    await switcher.fill("bet")
    await switcher.press("Enter")
    await expect(alice.locator("#main h1")).to_have_text("# beta")
    assert alice.url.endswith(f"/rooms/{beta['id']}"), alice.url

    await alice.get_by_role("button", name=re.compile(r"^Members")).click()
    await expect(alice.locator("#panel")).to_be_visible()
    await alice.keyboard.press("Escape")
    await expect(alice.locator("#panel")).to_be_hidden()
    return [alice]


async def unread_line_and_grouped_messages(browser, server, shots):
    """A room opens with a "New messages" line above the first message not yet
    read; one person's messages in a row show their name and avatar once."""
    alice_token, bob_token, room = room_of_two(server, "catchup")
    path = f"/rooms/{room['id']}/messages"
    server.api("POST", path, {"content": "read already"}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/read", {}, alice_token)
    for text in ("first unread", "second unread", "third unread"):
        server.api("POST", path, {"content": text}, bob_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    await expect(message(alice, "third unread")).to_be_visible()
    divider = alice.locator("li.unread-divider")
    await expect(divider).to_have_text("New messages")
    following = divider.locator("xpath=following-sibling::li[1]")
    await expect(following.locator(".content")).to_have_text("first unread")
    await expect(message(alice, "first unread")).not_to_have_class(re.compile(r"\bgrouped\b"))
    for text in ("second unread", "third unread"):
        await expect(message(alice, text)).to_have_class(re.compile(r"\bgrouped\b"))
        await expect(message(alice, text).locator(".author")).to_be_hidden()
    await expect(message(alice, "first unread").locator(".avatar")).to_have_text("B")
    # A live message from someone else starts a new group.
    server.api("POST", path, {"content": "alice again"}, alice_token)
    await expect(message(alice, "alice again")).not_to_have_class(re.compile(r"\bgrouped\b"))
    # One tab stop for the list (the newest message, with its controls); the
    # arrows move it.
    stops = """() => [...document.querySelectorAll('li.message, li.message button, li.message a[href]')]
        .filter(e => e.tabIndex >= 0).map(e => e.closest('li.message').dataset.id)"""
    newest = await message(alice, "alice again").get_attribute("data-id")
    assert set(await alice.evaluate(stops)) == {newest}, await alice.evaluate(stops)
    await message(alice, "alice again").focus()
    await alice.keyboard.press("ArrowUp")
    await expect(message(alice, "third unread")).to_be_focused()
    third = await message(alice, "third unread").get_attribute("data-id")
    assert set(await alice.evaluate(stops)) == {third}, await alice.evaluate(stops)
    await alice.screenshot(path=f"{shots}/unread.png")
    return [alice]


async def a_search_hit_opens_at_its_message(browser, server, shots):
    """A search result opens its room at the message found, older history loaded
    as needed, the message marked; the page does not jump back to the bottom."""
    alice_token, bob_token, room = room_of_two(server, "archive")
    path = f"/rooms/{room['id']}/messages"
    server.api("POST", path, {"content": "the haystack begins"}, bob_token)
    server.api("POST", path, {"content": "a rare needle in here"}, bob_token)
    for i in range(150):
        server.api("POST", path, {"content": f"hay {i}"}, alice_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    await expect(message(alice, "hay 149")).to_be_visible()
    await alice.get_by_role("searchbox", name="Search messages").fill("needle")
    await alice.get_by_role("searchbox", name="Search messages").press("Enter")
    await alice.locator("#panel .results a", has_text="needle").click()
    found = message(alice, "a rare needle")
    await expect(found).to_have_class(re.compile(r"\bfound\b"))
    await expect(found).to_be_in_viewport()
    await alice.wait_for_timeout(500)  # late layout does not pull the view away
    await expect(found).to_be_in_viewport()
    assert "?at=" in alice.url, alice.url
    await alice.screenshot(path=f"{shots}/search-hit.png")
    return [alice]


async def the_composer_completes_people_rooms_and_emoji(browser, server, shots):
    """@ completes a person, # a room, : an emoji; Enter or Tab takes the choice
    (and does not send), Escape closes the list."""
    _, _, room = room_of_two(server, "general")
    alice, bob = await both_in_room(browser, server, room, lambda page: composer(page, "#general"))
    box = composer(alice, "#general")
    options = alice.locator(".completions [role=option]")
    await box.press_sequentially("hi @bo")
    await expect(options).to_have_text(["@bob"])
    await box.press("Tab")
    await expect(box).to_have_value("hi @bob ")
    await box.press_sequentially("see #gen")
    await expect(options.first).to_have_text("#general")
    await box.press("Enter")
    await expect(box).to_have_value("hi @bob see #general ")
    await box.press_sequentially(":tad")
    await expect(options.first).to_contain_text(":tada:")
    await box.press("Enter")
    await expect(box).to_have_value("hi @bob see #general 🎉 ")
    await box.press_sequentially(":thi")
    await expect(options).to_have_count(1)
    await box.press("Escape")
    await expect(alice.locator(".completions")).to_be_hidden()
    await expect(box).to_have_value("hi @bob see #general 🎉 :thi")
    # The palette inserts at the caret; the code button fences the selection.
    await alice.get_by_role("button", name="Insert an emoji").click()
    await alice.get_by_role("button", name="Insert 🚀").click()
    await expect(box).to_have_value("hi @bob see #general 🎉 :thi🚀")
    await box.press("Enter")  # the list is closed: this sends
    await expect(message(bob, "hi @bob")).to_have_count(1)
    await box.fill("let x = 1;")
    await box.evaluate("b => b.setSelectionRange(0, b.value.length)")
    await alice.get_by_role("button", name="Code block").click()
    await expect(box).to_have_value("```\nlet x = 1;\n```\n")
    await box.press("Enter")
    await expect(bob.locator("li.message .content pre code")).to_have_text("let x = 1;")
    sent = message(bob, "hi @bob")
    await expect(sent).to_have_count(1)
    await expect(sent.locator(".mention")).to_have_text("@bob")
    await expect(sent.locator("a.room-link")).to_have_text("#general")
    return [alice, bob]


async def notifications_from_a_click(browser, server, shots):
    """Alice turns notifications on from her profile (the browser asks only after
    the click), the service worker registers, a direct message from Bob's browser
    shows as a system notification while she reads a room, the tab's title counts
    it, and her settings (a room's level and mute, her default, do-not-disturb)
    are what the server stores."""
    alice_token, alice_user = server.register("alice")
    bob_token, _ = server.register("bob")
    room = server.api("POST", "/rooms", {"name": "general"}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/join", token=bob_token)
    dm = server.api("POST", "/conversations", {"user_id": alice_user["id"]}, bob_token)
    alice = await sign_in(browser, server, "alice")
    bob = await sign_in(browser, server, "bob")

    await alice.locator("#sidebar").get_by_role("link", name="alice").click()
    state = alice.locator(".notify-state")
    await expect(state).to_have_text("Notifications are off in this browser.")
    registered = "navigator.serviceWorker.getRegistration().then((r) => r ? r.active?.scriptURL ?? 'installing' : null)"
    assert await alice.evaluate(registered) is None, "nothing registers before the click"
    await alice.context.grant_permissions(["notifications"], origin=server.url)
    await alice.get_by_role("button", name="Enable notifications").click()
    await expect(state).to_contain_text("On")
    await expect(alice.locator(".toast").last).to_contain_text("Notifications are on")
    assert (await alice.evaluate(registered) or "").endswith("/sw.js")
    with urllib.request.urlopen(server.url + "/sw.js", timeout=10) as res:
        assert res.headers["Cache-Control"] == "no-cache", res.headers
        assert "javascript" in res.headers["Content-Type"], res.headers
        assert b"showNotification" in res.read()

    # Alice reads the room; Bob writes to her directly.
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    await expect(composer(alice, "#general")).to_be_visible()
    await bob.goto(f"{server.url}/dm/{dm['id']}")
    await composer(bob, "@alice").fill("are you there?")
    await composer(bob, "@alice").press("Enter")
    shown = """navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) =>
        list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data?.url })))"""
    deadline = time.time() + 10
    notes = []
    while time.time() < deadline:
        notes = await alice.evaluate(shown)
        if notes:
            break
        await asyncio.sleep(0.1)
    assert notes, ("no notification appeared", await alice.evaluate(
        "({mode: veza.notifier.mode, problem: veza.notifier.pushProblem, view: veza.notifier.inView()})"), alice.console_errors)
    note = notes[-1]
    assert note["title"] == "bob" and note["body"] == "are you there?", note
    assert note["tag"] == f"dm-{dm['id']}" and note["url"].startswith(f"/dm/{dm['id']}?at="), note
    await expect(alice).to_have_title(re.compile(r"^\(1\) #general"))
    await expect(alice.locator("link[rel=icon]")).to_have_attribute("href", re.compile("^data:image/svg"))

    # The room's bell: level, then a mute; the server keeps both.
    bell = alice.get_by_label("Notification settings for this room")
    await bell.click()
    await alice.get_by_role("menuitemradio", name="All messages").click()
    await expect(alice.locator(".toast").last).to_contain_text("all messages")
    stored = server.api("GET", f"/rooms/{room['id']}/notifications", token=alice_token)
    assert stored["level"] == "all" and stored["muted_until"] is None, stored
    await bell.click()
    await alice.get_by_role("button", name="For 8 hours").click()
    await expect(bell).to_have_text("🔕")
    stored = server.api("GET", f"/rooms/{room['id']}/notifications", token=alice_token)
    assert stored["muted_until"] is not None, stored
    await expect(alice.locator("#sidebar li.muted-place")).to_have_count(1)
    # A muted room keeps its count, without calling: the title counts only the DM.
    await alice.locator("#sidebar").get_by_role("button", name="Browse or create rooms").click()
    await expect(alice).to_have_url(re.compile("/browse$"))
    await bob.goto(f"{server.url}/rooms/{room['id']}")
    await composer(bob, "#general").fill("in the muted room")
    await composer(bob, "#general").press("Enter")
    await expect(alice.locator("#sidebar li.muted-place .badge")).to_have_text("1")
    await expect(alice).to_have_title(re.compile(r"^\(1\) "))

    # Her own settings: the default level and do-not-disturb.
    await alice.locator("#sidebar").get_by_role("link", name="alice").click()
    await alice.get_by_label("All messages").check()
    await alice.get_by_label("Do not disturb", exact=True).select_option("morning")
    await alice.get_by_role("button", name="Save notification settings").click()
    await expect(alice.locator(".toast").last).to_contain_text("Notification settings saved")
    prefs = server.api("GET", "/users/me/notifications", token=alice_token)
    assert prefs["default_level"] == "all" and prefs["dnd_until"], prefs
    await expect(alice.get_by_text(re.compile("Do not disturb is on until"))).to_be_visible()
    await expect(state).to_contain_text("On")
    await expect(alice.get_by_role("button", name="Enable notifications")).to_be_hidden()
    await alice.screenshot(path=f"{shots}/notifications.png")

    # Signing out removes this browser's subscription, if it had one.
    await alice.get_by_role("button", name="Sign out", exact=True).click()
    await expect(alice.get_by_role("heading", name="Sign in to Veza")).to_be_visible()
    fresh = server.api("POST", "/auth/login", {"username": "alice", "password": PASSWORD})["access_token"]
    assert server.api("GET", "/push/subscriptions", token=fresh) == []
    return [alice, bob]


async def an_invitation_brings_a_colleague_in(browser, server, shots):
    """The admin makes an invitation to two rooms from the page and copies its
    link; a second browser opens it, sees who invites to what, registers, and
    lands in those rooms. Registration without the link is refused, a revoked
    link says so, and the newcomer sets an avatar that the admin then sees."""
    admin_token, _ = server.register("alice")
    general = server.api("POST", "/rooms", {"name": "general", "is_public": True}, admin_token)
    dev = server.api("POST", "/rooms", {"name": "dev", "is_public": False}, admin_token)
    server.api("POST", "/rooms", {"name": "random", "is_public": True}, admin_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{dev['id']}")
    await alice.get_by_role("button", name="Invite", exact=True).click()
    dialog = alice.get_by_role("dialog", name="Invite people")
    await expect(dialog.get_by_label("#dev")).to_be_checked()
    await dialog.get_by_label("#general").check()
    await dialog.get_by_label("How many people may use it").fill("10")
    await dialog.get_by_role("button", name="Make link").click()
    link = await dialog.get_by_label("Invitation link").input_value()
    assert re.match(rf"^{re.escape(server.url)}/invite/[0-9a-f]{{40}}$", link), link
    await expect(dialog.locator("ul.invites li")).to_contain_text("0/10 used")
    await alice.screenshot(path=f"{shots}/invite-dialog.png")
    await dialog.get_by_role("button", name="Close").click()

    # Without the link the sign-in page says registration takes an invitation.
    bea = await open_page(browser, server)
    await expect(bea.locator(".register-switch")).to_contain_text("invitation")
    await bea.goto(link)
    await expect(bea.get_by_role("heading", name="alice invited you to Veza")).to_be_visible()
    await expect(bea.locator(".invite-rooms")).to_contain_text("#dev")
    await expect(bea.locator(".invite-rooms")).to_contain_text("#general")
    await bea.get_by_label("Username").fill("bea")
    await bea.get_by_label("E-mail").fill("bea@example.com")
    await bea.get_by_label("Password").fill(PASSWORD)
    await bea.get_by_role("button", name="Create account and join").click()
    await expect(bea.locator(".me-name")).to_have_text("bea")
    nav = bea.get_by_role("list", name="Rooms")
    await expect(nav).to_contain_text("dev")
    await expect(nav).to_contain_text("general")
    await expect(nav).not_to_contain_text("random")
    await bea.screenshot(path=f"{shots}/invite-joined.png")

    # bea sets an avatar; alice sees it next to her message.
    await bea.locator("#sidebar").get_by_role("link", name="bea").click()
    await bea.get_by_label("Choose an image").set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": png(300, 200)})
    await expect(bea.locator(".avatar-section .avatar img")).to_have_count(1)
    await bea.get_by_role("button", name="Save avatar").click()
    await expect(bea.locator(".toast").last).to_contain_text("Avatar saved")
    await bea.goto(f"{server.url}/rooms/{general['id']}")
    await composer(bea, "#general").fill("hello from bea")
    await composer(bea, "#general").press("Enter")
    await alice.goto(f"{server.url}/rooms/{general['id']}")
    await expect(message(alice, "hello from bea").locator(".avatar img")).to_have_count(1)

    # Revoked from the dialog: the link says so.
    await alice.get_by_role("button", name="Invite", exact=True).click()
    dialog = alice.get_by_role("dialog", name="Invite people")
    await dialog.get_by_role("button", name=re.compile("^Revoke invitation")).click()
    await expect(dialog.locator("ul.invites")).to_contain_text("No live invitations")
    carl = await open_page(browser, server)
    await carl.goto(link)
    await expect(carl.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()
    return [alice, bea, carl]


an_invitation_brings_a_colleague_in.env = {"VEZA_REGISTRATION": "invite"}


async def tokens_bots_and_hooks_from_the_page(browser, server, shots):
    """The owner makes an incoming webhook in the room's settings; a post to its
    URL in Slack's shape shows live, marked HOOK. The admin makes a bot on the
    server page and a token for it, whose messages show marked BOT. A user makes
    an access token on their profile, a script uses it, and a revoke stops it."""
    alice_token, bob_token, room = room_of_two(server, "alerts")
    alice, bob = await both_in_room(browser, server, room, lambda p: composer(p, "#alerts"))
    await alice.get_by_role("button", name="Settings").click()
    await alice.get_by_label("Webhook name").fill("Monitoring")
    await alice.get_by_role("button", name="Make webhook").click()
    url = await alice.get_by_label("URL of Monitoring").input_value()
    assert "/hooks/" in url, url
    status, body = server.call("POST", url[len(server.url):], {"text": "disk <https://g.example/1|full>", "username": "Grafana"})
    assert status == 200, body
    for page in (alice, bob):
        posted = message(page, "disk full")
        await expect(posted.locator(".badge.hook")).to_have_text("HOOK")
        await expect(posted).to_contain_text("via Grafana")
        await expect(posted.get_by_role("link", name="full")).to_have_attribute("href", "https://g.example/1")

    await alice.locator("#sidebar").get_by_role("link", name="Server admin").click()
    await alice.get_by_label("Bot username").fill("ci-bot")
    await alice.get_by_role("button", name="Make bot").click()
    await alice.get_by_role("button", name="Tokens of ci-bot").click()
    await alice.locator(".bots-section").get_by_label("Token name").fill("ci")
    await alice.locator(".bots-section").get_by_label("write").check()
    await alice.locator(".bots-section").get_by_role("button", name="Make token").click()
    bot_token = await alice.get_by_label("Token ci", exact=True).input_value()
    assert bot_token.startswith("vz_"), bot_token
    bot = server.api("GET", "/users/me", token=bot_token)
    server.api("POST", f"/rooms/{room['id']}/members", {"user_id": bot["id"]}, alice_token)
    server.api("POST", f"/rooms/{room['id']}/messages", {"content": "build 42 passed"}, bot_token)
    await expect(message(bob, "build 42 passed").locator(".badge.bot")).to_have_text("BOT")

    await bob.locator("#sidebar").get_by_role("link", name="bob").click()
    await bob.locator(".tokens-section").get_by_label("Token name").fill("dashboard")
    await bob.locator(".tokens-section").get_by_role("button", name="Make token").click()
    token = await bob.get_by_label("Token dashboard", exact=True).input_value()
    assert server.api("GET", "/users/me", token=token)["username"] == "bob"
    status, _ = server.call("POST", f"/api/v1/rooms/{room['id']}/messages", {"content": "no"}, token)
    assert status == 403, status
    # bob's other session (a phone, say) is signed out from this page.
    phone = server.api("POST", "/auth/login", {"username": "bob", "password": PASSWORD})["access_token"]
    await bob.reload()
    sessions = bob.locator("ul.sessions li")
    # (bob's registration opened a session too: three in all.)
    await expect(sessions).to_have_count(3)
    await expect(sessions.filter(has_text="this browser")).to_have_count(1)
    for left in (2, 1):
        await bob.get_by_role("button", name=re.compile("^Sign out session")).first.click()
        await expect(sessions).to_have_count(left)
    await expect(sessions).to_contain_text("this browser")
    status, _ = server.call("GET", "/api/v1/users/me", token=phone)
    assert status == 401, status
    await bob.screenshot(path=f"{shots}/tokens.png")
    await bob.get_by_role("button", name="Revoke token dashboard").click()
    await expect(bob.locator("ul.tokens")).to_contain_text("No tokens")
    status, _ = server.call("GET", "/api/v1/users/me", token=token)
    assert status == 401, status
    return [alice, bob]


async def the_admin_page_pages_through_many_users(browser, server, shots):
    """More users than one page holds: the admin page shows the first hundred
    and a button for the rest; a search narrows the list from the first page."""
    server.register("alice")
    for i in range(104):
        server.register(f"user{i:03}")
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/admin")
    rows = alice.locator("table.users tbody tr")
    await expect(rows).to_have_count(100)
    await alice.get_by_role("button", name="Show more users").click()
    await expect(rows).to_have_count(105)
    await expect(alice.get_by_role("button", name="Show more users")).to_be_hidden()
    await alice.get_by_label("Find users").fill("user10")
    await expect(rows).to_have_count(4)
    return [alice]


async def a_search_hit_far_back_opens_a_window_around_it(browser, server, shots):
    """A hit 1,300 messages back, shown in the results as Markdown with the
    word marked, opens the room on a window around it (not a thousand pages
    loaded); scrolling down brings newer pages; a live message
    meanwhile does not land in the window; Jump to latest returns to the newest."""
    alice_token, bob_token, room = room_of_two(server, "history")
    path = f"/rooms/{room['id']}/messages"
    server.api("POST", path, {"content": "the **needle** in the haystack"}, alice_token)
    for i in range(1300):
        server.api("POST", path, {"content": f"hay {i}"}, alice_token)
    alice = await sign_in(browser, server, "alice")
    await alice.goto(f"{server.url}/rooms/{room['id']}")
    await expect(message(alice, "hay 1299")).to_be_visible()
    await alice.get_by_label("Search messages").fill("needle")
    await alice.get_by_label("Search messages").press("Enter")
    # The hit reads as the timeline shows it: Markdown, the matched word marked.
    await expect(alice.locator("#panel .results strong mark")).to_have_text("needle")
    await alice.locator("#panel").get_by_role("link", name=re.compile("needle")).click()
    found = alice.locator("li.message.found")
    await expect(found).to_contain_text("the needle in the haystack")
    await expect(found).to_be_in_viewport()
    await expect(message(alice, "hay 1299")).to_have_count(0)
    await expect(alice.locator("li.message")).to_have_count(51)
    # A live message is not put at the end of a window back in history.
    server.api("POST", path, {"content": "live while away"}, bob_token)
    await expect(alice.get_by_role("button", name="Jump to latest ↓")).to_be_visible()
    await alice.wait_for_timeout(300)
    await expect(message(alice, "live while away")).to_have_count(0)
    # Scrolling down loads the next newer page.
    await alice.locator(".scroller").evaluate("(s) => { s.scrollTop = s.scrollHeight; }")
    await expect(message(alice, "hay 99")).to_have_count(1)
    await alice.get_by_role("button", name="Jump to latest ↓").click()
    await expect(message(alice, "live while away")).to_be_visible()
    await expect(message(alice, "the needle in the haystack")).to_have_count(0)
    return [alice]


SCENARIOS = [
    two_users_chat_live,
    unread_badge_for_room_not_in_view,
    upload_with_thumbnail,
    reply_in_thread,
    phone_screen_without_sideways_scrolling,
    reconnect_catches_up,
    search_and_direct_message,
    infinite_scroll_loads_older_history,
    moderation_pin_and_delete,
    audio_plays_and_files_drop_in,
    live_stream_with_its_chat,
    session_survives_reload_and_ends_on_sign_out,
    presence_shows_in_direct_messages,
    keyboard_only,
    retried_send_is_not_doubled,
    sign_in_with_the_identity_provider,
    an_oversized_upload_shows_the_servers_refusal,
    live_updates_outlast_the_access_token,
    live_updates_resume_after_a_server_restart,
    an_over_long_message_comes_back_to_the_composer,
    markdown_renders_and_nothing_runs,
    drafts_survive_switches_and_reloads,
    a_room_is_managed_from_the_page,
    a_room_with_images_opens_at_its_newest,
    profile_and_server_admin_from_the_page,
    keyboard_shortcuts,
    unread_line_and_grouped_messages,
    a_search_hit_opens_at_its_message,
    the_composer_completes_people_rooms_and_emoji,
    notifications_from_a_click,
    an_invitation_brings_a_colleague_in,
    tokens_bots_and_hooks_from_the_page,
    the_admin_page_pages_through_many_users,
    a_search_hit_far_back_opens_a_window_around_it,
]


async def main(binary, shots):
    os.makedirs(shots, exist_ok=True)
    failed = []
    # BROWSER_ONLY=name,name runs those scenarios alone (while working on them).
    only = [n for n in os.environ.get("BROWSER_ONLY", "").split(",") if n]
    scenarios = [s for s in SCENARIOS if not only or s.__name__ in only]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for scenario in scenarios:
            provider = Provider() if getattr(scenario, "provider", False) else None
            env = getattr(scenario, "env", {})
            server = Server(binary, lambda url: {**env, **({
                "VEZA_OIDC__ISSUER": provider.issuer,
                "VEZA_OIDC__CLIENT_ID": provider.client_id,
                "VEZA_OIDC__CLIENT_SECRET": provider.client_secret,
                "VEZA_OIDC__REDIRECT_URL": f"{url}/auth/oauth/callback",
                "VEZA_OIDC__DISPLAY_NAME": "Test SSO",
            } if provider else {})})
            started = time.time()
            pages = []
            try:
                pages = await scenario(browser, server, shots)
                errors = [e for page in pages for e in page.errors]
                assert not errors, f"script errors in the page: {errors}"
                print(f"ok    {scenario.__name__} ({time.time() - started:.1f} s)")
            except Exception:
                failed.append(scenario.__name__)
                print(f"FAIL  {scenario.__name__}")
                traceback.print_exc()
                for context in browser.contexts:
                    for i, page in enumerate(context.pages):
                        await page.screenshot(path=f"{shots}/FAILED-{scenario.__name__}-{i}.png")
                with open(os.path.join(server.dir, "veza.log")) as log:
                    print(log.read()[-3000:])
            finally:
                for context in browser.contexts:
                    await context.close()
                server.stop()
                if provider:
                    provider.stop()
        await browser.close()
    print(f"{len(scenarios) - len(failed)} passed, {len(failed)} failed; screenshots in {shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    shots = "target/browser-shots"
    if "--shots" in args:
        i = args.index("--shots")
        shots = args[i + 1]
        del args[i : i + 2]
    binary = args[0] if args else "target/debug/veza"
    sys.exit(asyncio.run(main(os.path.abspath(binary), os.path.abspath(shots))))
