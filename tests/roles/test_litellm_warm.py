"""roles/litellm/files/aib-litellm-warm with the real LiteLLM: the warm standby and its config checks.

One real warm process (the role's hash-pinned LiteLLM, the venv .ci/test builds) in front of a
local OpenAI-compatible upstream (a fixed chat completion): it imports LiteLLM once, runs
aib-litellm-check's checks in forked copies of itself, turns stale when a fingerprint file
changes (the check then runs cold, in its own process) and finally serves a real request.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.render.conftest import require_litellm_python

FILES = Path(__file__).resolve().parents[2] / "roles" / "litellm" / "files"
WARM, CHECK = FILES / "aib-litellm-warm", FILES / "aib-litellm-check"
ANSWER = "warm hello"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Upstream(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps(
            {
                "id": "chatcmpl-warm",
                "object": "chat.completion",
                "created": 1700000000,
                "model": "m",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _control(path: Path, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(120)
        conn.connect(str(path))
        conn.sendall(json.dumps(request).encode())
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return json.loads(data)


@dataclasses.dataclass
class Warm:
    tmp: Path
    proc: subprocess.Popen
    sock: Path
    env_file: Path
    port: int
    config: Path

    def check(self, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [require_litellm_python(), "-B", str(CHECK), "--warm", str(self.sock),
             "--env-file", str(self.env_file), *extra, str(config)],
            capture_output=True, text=True, timeout=300, check=False,
            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        )  # fmt: skip


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warm]:
    python = require_litellm_python()
    tmp = tmp_path_factory.mktemp("warm")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    config = tmp / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model_list": [
                    {
                        "model_name": "warm-model",
                        "litellm_params": {
                            "model": "openai/m",
                            "api_base": f"http://127.0.0.1:{upstream.server_address[1]}/v1",
                            "api_key": "os.environ/UPSTREAM_KEY",
                        },
                    }
                ],
                "general_settings": {"dangerously_permit_weak_or_unset_master_key": True},
            }
        )
    )
    env_file = tmp / "litellm.env"
    env_file.write_text('UPSTREAM_KEY="sk-upstream"\n')
    sock, port = tmp / "standby.sock", _free_port()
    venv_bin = Path(python).parent
    log = (tmp / "warm.log").open("w")
    proc = subprocess.Popen(
        [python, "-B", str(WARM), "--control", str(sock), f"--fingerprint={env_file}", "--",
         str(venv_bin / "litellm"), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR",
             "UPSTREAM_KEY": "sk-upstream"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not sock.exists():
            assert proc.poll() is None, (tmp / "warm.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the warm process did not import LiteLLM within 240 s"
            time.sleep(0.2)
        yield Warm(tmp, proc, sock, env_file, port, config)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        upstream.shutdown()


def test_warm_means_imported_and_not_listening(warm: Warm) -> None:
    status = _control(warm.sock, {"op": "status"})
    assert status["state"] == "warm" and status["fresh"] is True and status["pid"] == warm.proc.pid
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", warm.port)) != 0, "a warm standby must not listen yet"


def test_a_good_config_is_checked_in_the_warm_process(warm: Warm) -> None:
    done = warm.check(warm.config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"aib-litellm-check: {warm.config}: OK: 1 deployment(s) in 1 model group(s) ['warm-model'], "
        "0 MCP server(s), cache off, callbacks [], auth none (weak-key override)"
    )
    assert f"aib-litellm-check: checked by the warm standby ({warm.sock}) in " in done.stdout


def test_a_bad_config_is_refused_by_the_warm_check_and_the_process_stays_warm(warm: Warm) -> None:
    bad = warm.tmp / "bad.yaml"
    config = yaml.safe_load(warm.config.read_text())
    config["router_settings"] = {"routing_strategy": "no-such-strategy"}
    bad.write_text(yaml.safe_dump(config))
    done = warm.check(bad)
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"aib-litellm-check: {bad}: LiteLLM's config loader refused it: ValueError: "
        "Invalid routing_strategy: 'no-such-strategy'."
    )
    assert "checked by the warm standby" in done.stdout
    assert _control(warm.sock, {"op": "status"})["fresh"] is True  # the child's state died with it


def test_an_unresolved_environment_reference_is_refused_with_the_request_env_file(warm: Warm) -> None:
    config = yaml.safe_load(warm.config.read_text())
    config["model_list"][0]["litellm_params"]["api_key"] = "os.environ/NOT_IN_THE_ENV_FILE"
    missing = warm.tmp / "missing-env.yaml"
    missing.write_text(yaml.safe_dump(config))
    done = warm.check(missing)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"aib-litellm-check: {missing}: os.environ/ references without a value: "
        "model_list[0].litellm_params.api_key -> NOT_IN_THE_ENV_FILE"
    )


def test_a_changed_fingerprint_file_makes_it_stale_and_the_check_runs_cold(warm: Warm) -> None:
    original = warm.env_file.read_text()
    warm.env_file.write_text(original + 'OTHER="x"\n')
    try:
        assert _control(warm.sock, {"op": "status"})["fresh"] is False
        assert _control(warm.sock, {"op": "serve"}) == {"pid": warm.proc.pid, "stale": True, "state": "warm"}
        done = warm.check(warm.config)
        assert done.returncode == 0, done.stderr
        assert "checked by the warm standby" not in done.stdout  # ran in its own process
        assert done.stdout.startswith(f"aib-litellm-check: {warm.config}: OK: 1 deployment(s)")
    finally:
        warm.env_file.write_text(original)
    assert _control(warm.sock, {"op": "status"})["fresh"] is True


def test_zz_serve_turns_it_into_the_gateway_at_once(warm: Warm) -> None:
    t0 = time.monotonic()
    assert _control(warm.sock, {"op": "serve"}) == {"pid": warm.proc.pid, "state": "serving"}
    deadline = t0 + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{warm.port}/health/liveliness", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert warm.proc.poll() is None, (warm.tmp / "warm.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the served instance did not answer within 60 s"
        time.sleep(0.1)
    ready_s = time.monotonic() - t0
    print(f"warm standby: serving {ready_s:.2f} s after the serve request")
    request = urllib.request.Request(
        f"http://127.0.0.1:{warm.port}/v1/chat/completions",
        data=json.dumps({"model": "warm-model", "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 - loopback
        assert json.loads(r.read())["choices"][0]["message"]["content"] == ANSWER
    assert not warm.sock.exists(), "the control socket is closed once the process serves"


def test_the_command_must_be_litellm() -> None:
    done = subprocess.run(
        [sys.executable, "-B", str(WARM), "--control", "/tmp/x.sock", "--", "/bin/sh", "-c", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "give the gateway's command after --, starting with the venv's litellm" in done.stderr
