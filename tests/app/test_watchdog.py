"""The supervisor restarts a crashed or hung kiosk; the real app tells it that it is alive."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from kiosk.app.watchdog import Supervisor

CHILD = """
import os, socket, sys, time
from pathlib import Path
count = Path(sys.argv[1]); runs = int(count.read_text() or 0) + 1 if count.exists() else 1
count.write_text(str(runs))
def send(state):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(os.environ["NOTIFY_SOCKET"]); s.sendall(state.encode())
send("READY=1")
if runs == 1:
    sys.exit(70)  # a crash
if runs == 2:
    time.sleep(60)  # hangs: no pings
for _ in range(5):
    send("WATCHDOG=1"); time.sleep(0.1)
sys.exit(0)  # staff closed it
"""


def test_supervisor_restarts_a_crash_and_a_hang_and_stops_on_a_clean_exit(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    runs = tmp_path / "runs"
    supervisor = Supervisor([sys.executable, str(script), str(runs)], watchdog_s=1.0, restart_delay_s=0.1)
    start = time.monotonic()
    assert supervisor.run() == 0
    assert runs.read_text() == "3"
    assert supervisor.restarts == 2
    assert time.monotonic() - start < 30


def test_a_child_that_never_gets_ready_is_restarted(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text("import time\ntime.sleep(60)\n")
    supervisor = Supervisor([sys.executable, str(script)], start_timeout_s=1.0, restart_delay_s=0.1)
    threading.Timer(4.0, supervisor.stop).start()
    supervisor.run()
    assert supervisor.restarts >= 1


@pytest.mark.real
def test_the_kiosk_app_reports_ready_and_keeps_pinging(tmp_path, screen, pulse):
    address = str(tmp_path / "notify")
    received: list[str] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(0.5)
        env = dict(os.environ, **pulse, DISPLAY=screen, QT_QPA_PLATFORM="xcb", KIOSK_CONFIG_DIR=str(tmp_path),
                   NOTIFY_SOCKET=address, WATCHDOG_USEC="2000000")
        app = subprocess.Popen([sys.executable, "-m", "kiosk", "--windowed"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and received.count("WATCHDOG=1") < 3 or "READY=1" not in received:
                assert time.monotonic() < deadline, received
                assert app.poll() is None, app.stdout.read()
                with contextlib.suppress(TimeoutError):
                    received.append(sock.recv(256).decode())
        finally:
            app.terminate()
            output, _ = app.communicate(timeout=20)
    assert "READY=1" in received and received.count("WATCHDOG=1") >= 3
    assert "Traceback" not in output
