"""A background JVM process we start, find again through its pid file, and stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.stack._exceptions import NotReady, PortInUse


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    if not path.is_file():
        return ""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 64 * 1024))
        text = fh.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class ManagedProcess:
    """A named background process with a pid file and a log file under ``home``."""

    name: str
    home: Path

    @property
    def pid_file(self) -> Path:
        return self.home / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running process, or None (a stale pid file is removed).

        The pid file holds the pid and the process's start time, so a pid the kernel has
        since given to another process is not mistaken for ours.
        """
        try:
            pid_text, _, started = self.pid_file.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (FileNotFoundError, ValueError):
            return None
        if not _alive(pid) or (started and _start_time(pid) != started):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def start(self, argv: Sequence[str], *, cwd: Path, ports: Sequence[tuple[str, int]]) -> int:
        """Start ``argv`` detached from our session; refuse if one of ``ports`` is taken."""
        for host, port in ports:
            if port_open(host, port):
                raise PortInUse(
                    f"{self.name}: port {host}:{port} is already in use by another process; "
                    f"stop it or set a different DVC_ port (see `dvchub stack --help`)"
                )
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid} {_start_time(process.pid) or ''}".strip())
        return process.pid

    def wait_ready(self, is_ready: Callable[[], bool], timeout_s: float) -> float:
        """Poll ``is_ready`` until it holds; returns seconds waited. Raises ``NotReady``
        carrying the log tail."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if self.pid() is None:
                raise NotReady(
                    f"{self.name} exited while starting. Last log lines:\n{tail(self.log_file)}"
                )
            if is_ready():
                return time.monotonic() - started
            time.sleep(0.25)
        raise NotReady(
            f"{self.name} was not ready after {timeout_s:.0f} s (log: {self.log_file}). "
            f"Last log lines:\n{tail(self.log_file)}"
        )

    def stop(self, timeout_s: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL after ``timeout_s``; returns whether something was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> int:
        """SIGKILL at once (a crash, not a shutdown); the pid. Raises ``NotReady`` if it was not
        running."""
        pid = self.pid()
        if pid is None:
            raise NotReady(f"{self.name} is not running")
        os.killpg(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return pid


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # reap it if it is our own child
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    stat = Path(f"/proc/{pid}/stat")
    # A zombie has exited; only its parent has not reaped it yet.
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")
