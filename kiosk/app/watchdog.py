"""Telling a supervisor that the kiosk is alive, and a supervisor for machines without systemd.

The app speaks systemd's notify protocol: ``READY=1`` once its window is up, ``WATCHDOG=1`` every few
seconds from the UI thread while the conversation's threads are healthy. A hung UI thread, a dead
or stuck engine thread, stops the pings, and the supervisor (systemd with ``WatchdogSec=``, or
``kiosk supervise``) kills and restarts the kiosk. Exit code 0 means staff closed the kiosk on
purpose: it is not restarted.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send ``state`` ("READY=1", "WATCHDOG=1", ...) to $NOTIFY_SOCKET; False when there is none."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.debug("watchdog notification failed: %s", exc)
        return False
    return True


def ping_interval_s(default: float = 5.0) -> float:
    """Half the supervisor's watchdog period ($WATCHDOG_USEC), at most ``default``."""
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", "0"))
    except ValueError:
        usec = 0
    return min(default, usec / 2e6) if usec > 0 else default


class Heartbeat:
    """Call ``beat()`` from the UI thread's timer: it pings only while ``check()`` finds nothing wrong."""

    def __init__(self, check: Callable[[], str | None]) -> None:
        self.check = check
        self.problem: str | None = None

    def ready(self) -> None:
        notify("READY=1")

    def beat(self) -> None:
        try:
            problem = self.check()
        except Exception as exc:  # the check itself failing is a problem worth a restart too
            problem = f"the health check failed: {exc}"
        if problem and problem != self.problem:
            log.error("%s: the kiosk stops telling its supervisor it is alive, so it gets restarted", problem)
        self.problem = problem
        if not problem:
            notify("WATCHDOG=1")

    def stopping(self) -> None:
        notify("STOPPING=1")


class Supervisor:
    """Runs ``command`` and restarts it when it crashes, exits with an error, or stops pinging."""

    def __init__(
        self,
        command: list[str],
        watchdog_s: float = 30.0,
        start_timeout_s: float = 180.0,
        restart_delay_s: float = 2.0,
        max_delay_s: float = 60.0,
        stable_s: float = 60.0,
    ) -> None:
        self.command = command
        self.watchdog_s = watchdog_s
        self.start_timeout_s = start_timeout_s
        self.restart_delay_s = restart_delay_s
        self.max_delay_s = max_delay_s
        self.stable_s = stable_s  # a run this long resets the back-off
        self.restarts = 0
        self._stop = False
        self._child: subprocess.Popen[bytes] | None = None

    def stop(self, *_: object) -> None:
        self._stop = True
        if self._child is not None and self._child.poll() is None:
            self._child.terminate()

    def run(self) -> int:
        """Supervise until the kiosk exits with code 0 or ``stop()``; returns the last exit code."""
        delay = self.restart_delay_s
        with tempfile.TemporaryDirectory(prefix="kiosk-supervise-") as folder:
            address = str(Path(folder) / "notify")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.bind(address)
                sock.settimeout(0.5)
                while True:
                    started = time.monotonic()
                    code, reason = self._run_once(sock, address)
                    if self._stop or code == 0:
                        return code
                    # a crash loop backs off (2, 4, 8 ... 60 s); a run that lasted resets it
                    if self.restarts == 0 or time.monotonic() - started >= self.stable_s:
                        delay = self.restart_delay_s
                    else:
                        delay = min(self.max_delay_s, delay * 2)
                    self.restarts += 1
                    log.error("the kiosk %s; restarting it in %.0f s (restart %d)", reason, delay, self.restarts)
                    deadline = time.monotonic() + delay
                    while not self._stop and time.monotonic() < deadline:
                        time.sleep(0.1)
                    if self._stop:
                        return code

    def _run_once(self, sock: socket.socket, address: str) -> tuple[int, str]:
        env = dict(os.environ, NOTIFY_SOCKET=address, WATCHDOG_USEC=str(int(self.watchdog_s * 1e6)))
        self._child = child = subprocess.Popen(self.command, env=env)
        started = time.monotonic()
        ready = False
        last_ping = started
        while True:
            code = child.poll()
            if code is not None:
                reason = f"exited with code {code}" if code >= 0 else f"was killed by signal {-code}"
                return code, reason
            if self._stop:
                return self._end(child), "was stopped"
            try:
                message = sock.recv(4096).decode(errors="replace")
            except TimeoutError:
                message = ""
            now = time.monotonic()
            for line in message.splitlines():
                if line == "READY=1":
                    ready = True
                    last_ping = now
                elif line == "WATCHDOG=1":
                    last_ping = now
            if not ready and now - started > self.start_timeout_s:
                self._end(child)
                return 1, f"did not finish starting within {self.start_timeout_s:.0f} s"
            if ready and now - last_ping > self.watchdog_s:
                self._end(child)
                return 1, f"stopped responding (no sign of life for {now - last_ping:.0f} s)"

    @staticmethod
    def _end(child: subprocess.Popen[bytes]) -> int:
        child.terminate()
        try:
            return child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()  # hung hard: SIGTERM is not enough
            return child.wait(10)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "supervise",
        help="run the kiosk and restart it after a crash or a hang (where systemd does not)",
        description="Runs `kiosk ARGS...` and restarts it when it crashes or stops responding. "
        "Staff closing the kiosk (exit code 0) ends supervision.",
    )
    parser.add_argument("--watchdog", type=float, default=30.0, metavar="S",
                        help="restart when the kiosk shows no sign of life for this long (default 30)")
    parser.add_argument("kiosk_args", nargs=argparse.REMAINDER, help="arguments for `kiosk` (after --)")
    parser.set_defaults(func=_supervise)


def _supervise(args: argparse.Namespace) -> int:
    from kiosk.app.main import setup_logging

    setup_logging(verbose=False, file_name="supervisor.log")
    extra = [a for a in args.kiosk_args if a != "--"]
    supervisor = Supervisor([sys.executable, "-m", "kiosk", *extra], watchdog_s=args.watchdog)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    return supervisor.run()

