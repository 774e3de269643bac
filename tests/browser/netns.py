"""A network namespace that has only ``lo``, and processes run inside it.

Every packet of the browser tests (Chromium, the media server, the demo
application servers) stays inside such a namespace: it has no route to any
other address, so nothing can leave this machine. Processes enter it with
``ip netns exec``, which execs the command: the PID we hold is the process's own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT = 10.0


class NetnsUnavailable(RuntimeError):
    """This machine cannot make network namespaces for us (not root, no iproute2)."""


@dataclass(frozen=True)
class Netns:
    name: str

    def command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, *argv: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*argv), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def accepts(self, port: int, host: str = "127.0.0.1") -> bool:
        """A TCP connect to ``host:port`` succeeds inside the namespace."""
        probe = f"exec 3<>/dev/tcp/{host}/{port}"
        return self.run("bash", "-c", probe, timeout=5.0).returncode == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def delete_stale(prefix: str) -> None:
    """Deletes namespaces ``PREFIX-PID-*`` left by runs whose PID is gone (killed runs)."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        rest = name.removeprefix(f"{prefix}-")
        pid = rest.split("-")[0]
        if rest != name and pid.isdigit() and not _pid_alive(int(pid)):
            subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=10,
                           check=False)


@contextmanager
def loopback_netns(prefix: str = "kpy") -> Iterator[Netns]:
    """A fresh, uniquely named namespace with ``lo`` up; deleted afterwards."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        raise NetnsUnavailable("network namespaces need root and iproute2 (`ip`)")
    delete_stale(prefix)
    name = f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True, timeout=10)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
                       check=True, capture_output=True, timeout=10)
        yield Netns(name)
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True,
                       timeout=10)


@dataclass
class NetnsProcess:
    """A long-running process inside a namespace, with its output in a log file."""

    label: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no log>"
        return f"--- {self.label} log ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it lingers."""
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)


def start_in_netns(netns: Netns, label: str, argv: Sequence[str], log_dir: Path, *,
                   port: int, cwd: Path, startup_timeout: float = 30.0,
                   extra_env: Mapping[str, str] | None = None) -> NetnsProcess:
    """Starts ``argv`` inside ``netns`` and waits until it listens on 127.0.0.1:``port``."""
    log_path = log_dir / f"{label}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(netns.command(*argv), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd)
    started = NetnsProcess(label, proc, log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{label} exited with {proc.returncode}\n{started.log_tail()}")
        if netns.accepts(port):
            return started
        time.sleep(0.1)
    started.stop()
    raise RuntimeError(f"{label} did not listen on {port} in {startup_timeout:.0f} s\n"
                       f"{started.log_tail()}")
