"""roles/release/files/aib-validate against a local fake engine / gateway / Prometheus."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

KEY = "sk-test-key-123456"


class Handler(BaseHTTPRequestHandler):
    seen_auth: ClassVar[list[str]] = []
    targets: ClassVar[list[dict]] = []

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: dict | str) -> None:
        raw = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, {"status": "ok"})
        elif self.path.startswith("/api/v1/targets"):
            self._send(200, {"status": "success", "data": {"activeTargets": Handler.targets}})
        else:
            self._send(503, {"error": {"message": "Loading model"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.seen_auth.append(self.headers.get("Authorization", ""))
        assert body["max_tokens"] == 1 and body["disable_fallbacks"] is True
        if body["model"] == "good":
            self._send(200, {"choices": [{"message": {"content": "ok"}}]})
        else:
            self._send(500, {"error": {"message": f"Connection error talking to {body['model']} ({KEY})"}})


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    Handler.seen_auth = []
    Handler.targets = [
        {"labels": {"job": "litellm"}, "scrapeUrl": "http://127.0.0.1:4000/metrics/", "health": "up"}
    ]
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def plan(base: str, auth: bool = False) -> dict:
    chat = {"kind": "chat", "url": f"{base}/v1/chat/completions", "timeout_s": 5, "wait_s": 0}
    return {
        "gateway": base,
        "auth": auth,
        "checks": [
            {"name": "provider/a", "kind": "health", "target": f"{base}/health", "url": f"{base}/health",
             "timeout_s": 5, "wait_s": 0},
            {"name": "model/good", "model": "good", "target": "good", **chat},
            {"name": "prometheus/targets", "kind": "prometheus_targets", "target": "prom",
             "url": f"{base}/api/v1/targets?state=active", "timeout_s": 5, "wait_s": 0},
        ],
    }  # fmt: skip


def run(mod, capsys, monkeypatch, doc: dict) -> tuple[int, str, dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(doc)))
    rc = mod.main(["--stdin", "--json", "-"])
    out = capsys.readouterr()
    return rc, out.out, json.loads(out.err)


def test_all_green_table(aib_validate, capsys, monkeypatch, server):
    rc, table, result = run(aib_validate, capsys, monkeypatch, {"plan": plan(server), "key": KEY})
    assert rc == 0 and result["ok"] and result["red"] == []
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "TARGET", "RESULT", "DETAIL"]
    assert [line.split()[0] for line in lines[1:4]] == ["provider/a", "model/good", "prometheus/targets"]
    assert all(line.split()[3] == "ok" for line in lines[1:4])
    # fixed width: RESULT starts in the same column on every row
    assert len({line.index(" ok ") for line in lines[1:4]}) == 1
    assert lines[-1] == "3 checks: 3 ok, 0 red"
    assert Handler.seen_auth == [""]  # the plan does not ask for the key: it is not sent


def test_red_rows_are_named_and_the_key_never_shows(aib_validate, capsys, monkeypatch, server):
    p = plan(server, auth=True)
    p["checks"].append({**p["checks"][1], "name": "model/broken", "model": "broken"})
    p["checks"].append({**p["checks"][0], "name": "provider/loading", "url": f"{server}/loading"})
    Handler.targets.append(
        {"labels": {"job": "llamacpp"}, "scrapeUrl": "x", "health": "down", "lastError": "refused"}
    )
    rc, table, result = run(aib_validate, capsys, monkeypatch, {"plan": p, "key": KEY})
    assert rc == 1
    assert result["red"] == ["prometheus/targets", "model/broken", "provider/loading"]
    assert Handler.seen_auth == [f"Bearer {KEY}"] * 2
    assert KEY not in table and KEY not in json.dumps(result)
    by_name = {c["name"]: c for c in result["checks"]}
    assert by_name["model/broken"]["detail"].startswith("HTTP 500: Connection error talking to broken")
    assert by_name["provider/loading"]["detail"].startswith("HTTP 503: Loading model")
    assert "1/2 down: llamacpp" in by_name["prometheus/targets"]["detail"]
    assert table.splitlines()[-1].startswith("5 checks: 2 ok, 3 red (prometheus/targets, model/broken")


def test_dead_port_is_red_after_retries(aib_validate, capsys, monkeypatch):
    p = {"checks": [{"name": "provider/dead", "kind": "health", "url": "http://127.0.0.1:9/health",
                     "timeout_s": 1, "wait_s": 4}]}  # fmt: skip
    monkeypatch.setattr(aib_validate, "RETRY_DELAY_S", 0.5)
    rc, _table, result = run(aib_validate, capsys, monkeypatch, {"plan": p})
    assert rc == 1
    check = result["checks"][0]
    assert check["attempts"] > 1 and check["detail"].startswith("no answer")


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"plan": {"checks": [{"kind": "nope"}]}},
        {"plan": {"checks": [{"kind": "chat", "name": "x", "url": "u", "timeout_s": 1}]}},
    ],
)
def test_unusable_plan(aib_validate, capsys, monkeypatch, doc):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(doc)))
    assert aib_validate.main(["--stdin"]) == 2
    assert "unusable plan" in capsys.readouterr().err
