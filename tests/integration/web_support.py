"""The console as an operator starts it: `connector web` in a subprocess, on a port of its own."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from tests.conftest import ROOT
from tests.integration.conftest import Workers

DEMO_CSV = ROOT / "scripts" / "demo" / "inbox" / "customer" / "customers.csv"
#: A customer whose e-mail and name are markup: the console must show it as text.
HOSTILE_ROW = ("C-1666,<script>alert(1)</script>@example.com,<b>Mallory</b>,<img src=x onerror=alert(2)>,1,no,"
               "01.01.1990,2026-11-08 10:00:00,1 Evil Road,Hackney,E8 1AA,GB,\n")


class Console:
    """A running `connector web`; ``url`` is where it answers."""

    def __init__(self, env: dict[str, str], *args: str, log: Path) -> None:
        self.log_path = log
        # Unbuffered: the line saying where it listens must arrive while the server runs.
        self.process = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "web", "--port", "0", *args],
                                        env={**env, "PYTHONUNBUFFERED": "1"}, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + 60
        self.url = None
        while self.url is None:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                self.stop()
                raise AssertionError(f"connector web did not start in 60s:\n{self.output()}") from None
            found = re.search(r"on (http://\S+?)/? ", line)
            if found:
                self.url = found.group(1).rstrip("/")
            elif self.process.poll() is not None and lines.empty():
                raise AssertionError(f"connector web exited {self.process.returncode}:\n{self.output()}")

    def _pump(self, lines: queue.Queue) -> None:
        with open(self.log_path, "w") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                lines.put(line)

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def session_of(console: Console) -> tuple[requests.Session, str]:
    """A session holding the console's CSRF cookie, and the token to send back with it."""
    session = requests.Session()
    page = session.get(console.url + "/runs", timeout=10)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    return session, token


__all__ = ["Console", "DEMO_CSV", "HOSTILE_ROW", "Workers", "session_of"]
