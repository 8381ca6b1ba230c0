"""The server as a real process on a free port, for acceptance tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

API = "/wp-json/awp/v1"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One ``wagate serve`` process; can be stopped, killed and started again."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("WAGATE_")}
        self.env = clean | {"WAGATE_DEFAULT_ENGINE": "sandbox"} | env
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self.base_url = f"http://127.0.0.1:{self.port}"

    def wagate(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a ``wagate`` command against the same data directory."""
        return subprocess.run(
            [sys.executable, "-m", "wagate", *args, "--data-dir", str(self.data_dir)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    def start(self) -> list[str]:
        """Start and wait until it answers; returns what it printed on the way up."""
        command = [
            sys.executable, "-m", "wagate", "serve",
            "--port", str(self.port), "--data-dir", str(self.data_dir),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        ready = threading.Event()

        def pump(stream: Any) -> None:
            for line in stream:
                lines.append(line.rstrip("\n"))
                if "API docs at" in line:
                    ready.set()

        threading.Thread(target=pump, args=(self.process.stdout,), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("server exited:\n" + "\n".join(lines))
            if ready.is_set() and self._healthy():
                self.output = lines
                return lines
            time.sleep(0.05)
        raise AssertionError("server did not start:\n" + "\n".join(lines))

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=20)
        finally:
            if self.process.stdout:
                self.process.stdout.close()
            self.process = None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.base_url}{API}/", timeout=10)
