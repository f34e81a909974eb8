"""`orderhub serve` and `orderhub worker` as real processes against SQLite and Redis."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from redis import Redis

from orderhub.hub.config import load_settings
from orderhub.hub.testing import REDIS_URL

from .conftest import write_config

ORDERHUB = str(Path(sys.executable).with_name("orderhub"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


WAIT_SECONDS = 120.0
"""How long a process may take to start or stop on a loaded machine: a wait, not a
performance assertion (`wait_for` returns as soon as the check holds)."""


def wait_for(check, *, timeout: float = WAIT_SECONDS):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def health_key(config: Path) -> str:
    return f"{load_settings(config).worker.queue_name}:health-check"


@pytest.fixture
def redis():  # type: ignore[no-untyped-def]
    client = Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def process(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start `orderhub` with arguments; stopped with SIGINT at the end if still running."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        log = (tmp_path / f"proc{len(started)}.log").open("w")
        proc = subprocess.Popen([ORDERHUB, *args], stdout=log, stderr=subprocess.STDOUT)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()


def log_of(tmp_path: Path, index: int = 0) -> str:
    return (tmp_path / f"proc{index}.log").read_text()


def test_serve_migrates_and_runs_api_and_worker(tmp_path: Path, process, redis):  # type: ignore[no-untyped-def]
    config = write_config(tmp_path / "serve.toml", tmp_path / "serve.db")
    port = free_port()
    redis.delete(health_key(config))

    proc = process("--config", str(config), "serve", "--port", str(port))

    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _get(f"{base}/health"))
    ready = httpx.get(f"{base}/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    wait_for(lambda: redis.exists(health_key(config)))  # the embedded worker polls the queue
    assert httpx.get(f"{base}/orders").status_code == 401
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=WAIT_SECONDS) == 0, log_of(tmp_path)
    assert "Starting worker" in log_of(tmp_path)


def test_serve_without_worker(tmp_path: Path, process, redis):  # type: ignore[no-untyped-def]
    config = write_config(tmp_path / "api.toml", tmp_path / "api.db")
    port = free_port()
    redis.delete(health_key(config))

    proc = process("--config", str(config), "serve", "--port", str(port), "--no-worker")

    wait_for(lambda: _get(f"http://127.0.0.1:{port}/ready"))
    time.sleep(1.5)
    assert not redis.exists(health_key(config))
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=WAIT_SECONDS) == 0
    assert "Starting worker" not in log_of(tmp_path)


def test_worker_runs_until_sigterm(tmp_path: Path, process, redis):  # type: ignore[no-untyped-def]
    config = write_config(tmp_path / "worker.toml", tmp_path / "worker.db")
    assert (
        subprocess.run([ORDERHUB, "--config", str(config), "migrate"], check=False).returncode == 0
    )
    redis.delete(health_key(config))

    proc = process("--config", str(config), "worker")

    wait_for(lambda: redis.exists(health_key(config)))
    wait_for(lambda: "← sweep" in log_of(tmp_path))  # the sweeper cron job ran to completion
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WAIT_SECONDS) == 0, log_of(tmp_path)
    assert "shutdown on SIGTERM" in log_of(tmp_path)


def _get(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
