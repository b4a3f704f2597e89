"""roles/litellm/files/aib-litellm-handover: the order of the zero-downtime switch and its failures.

A fake `systemctl` on PATH keeps each unit's state in a file and logs every call; the readiness URLs
are a real local HTTP server (ready) or a closed port (never ready). A warm standby's control
socket is a fake in a thread: warm once its unit was (re)started, fresh unless the test says stale.
The real switch under load runs in molecule (default: test_gateway_handover_under_load_fails_no_request,
rollback); the real warm process in tests/roles/test_litellm_warm.py.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "litellm" / "files" / "aib-litellm-handover"
PRIMARY, STANDBY = "aib-litellm.service", "aib-litellm-standby.service"

FAKE_SYSTEMCTL = """#!/bin/sh
# fake systemctl --user: state files in $FAKE_STATE, calls logged to $FAKE_STATE/calls
shift  # --user
echo "$*" >> "$FAKE_STATE/calls"
case "$1" in
  show)  # show -p LoadState --value UNIT
    if [ -e "$FAKE_STATE/no-standby" ] && [ "$5" = aib-litellm-standby.service ]; then echo not-found
    else echo loaded; fi ;;
  is-active) cat "$FAKE_STATE/$2" 2>/dev/null || echo inactive ;;
  start|restart) echo active > "$FAKE_STATE/$2"; rm -f "$FAKE_STATE/stale" ;;  # a new process is fresh
  stop) echo inactive > "$FAKE_STATE/$2" ;;
esac
"""


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def ready_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health/liveliness"
    server.shutdown()


@pytest.fixture
def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/health/liveliness"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL)
    fake.chmod(0o755)
    (tmp_path / "state").mkdir()
    return tmp_path


def handover(
    state: Path, primary_url: str, standby_url: str, *extra: str, control: str | None = None
) -> subprocess.CompletedProcess[str]:
    config = state / "handover.json"
    settings = {
        "primary": PRIMARY,
        "primary_url": primary_url,
        "standby": STANDBY,
        "standby_url": standby_url,
        "standby_control": control,
    }
    config.write_text(json.dumps({**settings, "timeout": 2}))
    env = {**os.environ, "PATH": f"{state / 'bin'}:{os.environ['PATH']}", "FAKE_STATE": str(state / "state")}
    return subprocess.run(
        [sys.executable, "-B", str(SCRIPT), f"--config={config}", "--poll=0.05", *extra],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip


def handover_of_an_active_primary(
    state: Path, primary_url: str, standby_url: str, control: str | None = None
) -> subprocess.CompletedProcess[str]:
    (state / "state" / PRIMARY).write_text("active\n")
    return handover(state, primary_url, standby_url, control=control)


def calls(state: Path) -> list[str]:
    lines = (state / "state" / "calls").read_text().splitlines()
    return [c for c in lines if not c.startswith(("is-active", "show"))]


def unit(state: Path, name: str) -> str:
    path = state / "state" / name
    return path.read_text().strip() if path.exists() else "inactive"


def test_a_running_primary_is_handed_over_through_the_standby(state: Path, ready_url: str) -> None:
    done = handover_of_an_active_primary(state, ready_url, ready_url)
    assert done.returncode == 0, done.stderr
    assert calls(state) == [f"restart {STANDBY}", f"restart {PRIMARY}", f"stop {STANDBY}"]
    result = json.loads(done.stdout)
    assert result["mode"] == "handed-over"
    assert {"standby_ready_s", "new_config_serving_s", "primary_ready_s", "total_s"} <= set(result)
    assert unit(state, PRIMARY) == "active" and unit(state, STANDBY) == "inactive"


def test_a_stopped_primary_is_only_started(state: Path, ready_url: str, dead_url: str) -> None:
    done = handover(state, ready_url, dead_url)
    assert done.returncode == 0, done.stderr
    assert calls(state) == [f"start {PRIMARY}"]
    assert json.loads(done.stdout)["mode"] == "started"


def test_a_standby_that_never_answers_leaves_the_primary_alone(
    state: Path, ready_url: str, dead_url: str
) -> None:
    done = handover_of_an_active_primary(state, ready_url, dead_url)
    assert done.returncode == 1
    assert calls(state) == [f"restart {STANDBY}", f"stop {STANDBY}"]
    assert done.stderr.strip() == (
        f"aib-litellm-handover: {STANDBY} did not answer {dead_url} within 2 s (state: active); "
        f"the new config did not come up, {PRIMARY} still serves the old one"
    )
    assert unit(state, PRIMARY) == "active" and unit(state, STANDBY) == "inactive"


def test_a_primary_that_does_not_come_back_keeps_the_standby_serving(
    state: Path, ready_url: str, dead_url: str
) -> None:
    done = handover_of_an_active_primary(state, dead_url, ready_url)
    assert done.returncode == 1
    assert calls(state) == [f"restart {STANDBY}", f"restart {PRIMARY}"]
    assert done.stderr.strip().endswith(f"; {STANDBY} keeps serving the new config")
    assert unit(state, STANDBY) == "active"


def test_missing_settings_are_a_usage_error(state: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-B", str(SCRIPT), "--primary", PRIMARY], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "missing primary_url, standby, standby_url (give --config or the options)" in done.stderr


def test_without_a_standby_unit_the_primary_is_restarted_plainly(state: Path, ready_url: str) -> None:
    (state / "state" / "no-standby").write_text("")
    done = handover_of_an_active_primary(state, ready_url, ready_url)
    assert done.returncode == 0, done.stderr
    assert calls(state) == [f"restart {PRIMARY}"]
    assert json.loads(done.stdout)["mode"] == "restarted-without-standby"


# ------------------------------------------------------------------ warm standby (standby_control)


class _FakeWarm(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """files/aib-litellm-warm's control socket: warm while the standby unit's state file says active
    and no serve was taken since its last (re)start; fresh unless `stale` exists; serve requests are
    logged to `served`."""

    daemon_threads = True

    def __init__(self, path: str, state: Path):
        self.state = state
        super().__init__(path, _FakeWarmHandler)


class _FakeWarmHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        state: Path = self.server.state  # type: ignore[attr-defined]
        request = json.loads(self.rfile.read() or b"{}")
        unit_active = (state / STANDBY).exists() and (state / STANDBY).read_text().strip() == "active"
        serving = (state / "served").exists() and (state / "served").stat().st_mtime_ns >= (
            state / STANDBY
        ).stat().st_mtime_ns
        if not unit_active or serving:
            return  # not warm: no answer (the real one has no socket then)
        fresh = not (state / "stale").exists()
        if request["op"] == "status":
            reply: dict = {"state": "warm", "fresh": fresh, "pid": 1, "warm_s": 1.0}
        elif not fresh:
            reply = {"stale": True, "state": "warm"}
        else:
            with (state / "served").open("a") as log:
                log.write("serve\n")
            reply = {"state": "serving", "pid": 1}
        self.wfile.write(json.dumps(reply).encode())


@pytest.fixture
def warm(state: Path) -> Iterator[str]:
    path = str(state / "warm.sock")
    server = _FakeWarm(path, state / "state")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


def warm_standby(state: Path) -> None:
    (state / "state" / STANDBY).write_text("active\n")


def test_a_warm_standby_serves_the_change_at_once_and_is_restarted_after_it(
    state: Path, ready_url: str, warm: str
) -> None:
    warm_standby(state)
    done = handover_of_an_active_primary(state, ready_url, ready_url, control=warm)
    assert done.returncode == 0, done.stderr
    assert calls(state) == [f"restart {PRIMARY}", f"restart {STANDBY}"]
    assert (state / "state" / "served").read_text() == "serve\n"
    result = json.loads(done.stdout)
    assert result["mode"] == "handed-over" and result["standby_start"] == "warm"
    assert unit(state, PRIMARY) == "active" and unit(state, STANDBY) == "active"


def test_a_stale_warm_standby_is_restarted_before_it_serves(state: Path, ready_url: str, warm: str) -> None:
    warm_standby(state)
    (state / "state" / "stale").write_text("")
    done = handover_of_an_active_primary(state, ready_url, ready_url, control=warm)
    assert done.returncode == 0, done.stderr
    assert calls(state) == [f"restart {STANDBY}", f"restart {PRIMARY}", f"restart {STANDBY}"]
    assert json.loads(done.stdout)["standby_start"] == "cold"


def test_a_standby_that_is_not_running_is_started_warm_first(state: Path, ready_url: str, warm: str) -> None:
    done = handover_of_an_active_primary(state, ready_url, ready_url, control=warm)
    assert done.returncode == 0, done.stderr
    assert calls(state) == [f"restart {STANDBY}", f"restart {PRIMARY}", f"restart {STANDBY}"]
    assert json.loads(done.stdout)["standby_start"] == "cold"
    assert (state / "state" / "served").read_text() == "serve\n"


def test_a_warm_standby_whose_new_config_never_answers_leaves_the_primary_alone(
    state: Path, ready_url: str, dead_url: str, warm: str
) -> None:
    warm_standby(state)
    done = handover_of_an_active_primary(state, ready_url, dead_url, control=warm)
    assert done.returncode == 1
    assert calls(state) == [f"restart {STANDBY}"]  # back to warm; the primary was never touched
    assert done.stderr.strip() == (
        f"aib-litellm-handover: {STANDBY} did not answer {dead_url} within 2 s (state: active); "
        f"the new config did not come up, {PRIMARY} still serves the old one"
    )
    assert unit(state, PRIMARY) == "active"


def test_with_a_warm_standby_a_stopped_primary_is_only_started(
    state: Path, ready_url: str, dead_url: str, warm: str
) -> None:
    warm_standby(state)
    done = handover(state, ready_url, dead_url, control=warm)
    assert done.returncode == 0, done.stderr
    assert calls(state) == [f"start {PRIMARY}"]  # the waiting standby is left as it is
    assert not (state / "state" / "served").exists()
