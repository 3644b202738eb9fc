"""A real Veza server for each test that asks for one: the binary `cargo test`
built (or $VEZA_BIN), on a temporary data directory and a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "a long password"


def binary() -> str:
    path = os.environ.get("VEZA_BIN") or str(REPO / "target" / "debug" / "veza")
    if not os.path.exists(path):
        pytest.fail(f"no veza binary at {path}: run `cargo build` first or set VEZA_BIN")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: Optional[Dict[str, str]] = None) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.env = env or {}
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "VEZA_PORT": str(self.port),
            "VEZA_LOG_LEVEL": "critical",
            "VEZA_RATE_LIMIT__REQUESTS_PER_HOUR": "1000000",
            **self.env,
        }
        self.process = subprocess.Popen(
            [binary()], cwd=self.dir.name, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("veza exited at start")
            time.sleep(0.05)
        raise RuntimeError("veza did not become healthy")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def register(self, username: str) -> Dict[str, object]:
        response = requests.post(
            f"{self.url}/api/v1/auth/register",
            json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return response.json()["data"]


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()
    s.dir.cleanup()


@pytest.fixture
def make_server() -> Iterator:
    made = []

    def make(env: Dict[str, str]) -> Server:
        s = Server(env)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()
        s.dir.cleanup()
