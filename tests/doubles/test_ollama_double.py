"""The Ollama API test double: exact response shapes, backed by a tiny in-test OpenAI-compatible server
or, when AIB_LLAMA_SERVER=http://127.0.0.1:8080 names one, by a real llama-server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.doubles import make_ollama_archive, ollama_double

REAL_BACKEND = os.environ.get("AIB_LLAMA_SERVER", "")
WORDS = ["Hello", " from", " the", " test", " backend", "."]


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers like llama-server: chat/completions (stream or not), 501 on /v1/embeddings."""

    protocol_version = "HTTP/1.1"
    requests: list[dict] = []  # noqa: RUF012 - shared on purpose: the tests read what was sent

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOpenAI.requests.append({"path": self.path, **body})
        if self.path == "/v1/embeddings":
            self._reply(501, {"error": {"code": 501, "message": "This server does not support embeddings."}})
            return
        chat = self.path == "/v1/chat/completions"
        words = WORDS[: body.get("max_tokens") or len(WORDS)]
        usage = {"prompt_tokens": 7, "completion_tokens": len(words), "total_tokens": 7 + len(words)}
        if not body.get("stream"):
            choice = (
                {"message": {"role": "assistant", "content": "".join(words)}}
                if chat
                else {"text": "".join(words)}
            )
            self._reply(200, {"choices": [{"index": 0, "finish_reason": "stop", **choice}], "usage": usage})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for word in words:
            delta = {"delta": {"content": word}} if chat else {"text": word}
            self._event({"choices": [{"index": 0, "finish_reason": None, **delta}]})
        self._event({"choices": [{"index": 0, "finish_reason": "stop", "delta": {}}], "usage": usage})
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True

    def _event(self, obj):
        self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
        self.wfile.flush()

    def _reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _serve(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    if REAL_BACKEND:
        yield REAL_BACKEND
        return
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI))


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ollama-models")


@pytest.fixture(scope="module")
def ollama(backend, models_dir) -> Iterator[str]:
    env = {
        "OLLAMA_HOST": "127.0.0.1:0",
        "OLLAMA_MODELS": str(models_dir),
        "OLLAMA_KEEP_ALIVE": "30m",
        "OLLAMA_MAX_LOADED_MODELS": "2",
        "AIB_OLLAMA_DOUBLE_BACKEND": backend,
        "AIB_OLLAMA_DOUBLE_VERSION": "0.32.15",
    }
    yield from _serve(ollama_double.make_server(env))


def call(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body else None
    req = urllib.request.Request(  # noqa: S310 - loopback test server
        base + path, method=method, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - loopback test server
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def ndjson(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def pull(base: str, model: str) -> None:
    status, _, data = call(base, "POST", "/api/pull", {"model": model, "stream": False})
    assert (status, json.loads(data)) == (200, {"status": "success"})


def test_root_and_version(ollama):
    status, _, data = call(ollama, "GET", "/")
    assert (status, data) == (200, b"Ollama is running")
    status, _, data = call(ollama, "GET", "/api/version")
    assert (status, json.loads(data)) == (200, {"version": "0.32.15"})
    assert call(ollama, "GET", "/api/nothing")[0] == 404


def test_pull_streams_status_lines_and_tags_reflect_it(ollama, models_dir):
    status, headers, data = call(ollama, "POST", "/api/pull", {"model": "llama3.1:8b"})
    assert status == 200 and headers["Content-Type"] == "application/x-ndjson"
    lines = ndjson(data)
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1] == {"status": "success"}
    layers = [line for line in lines if "digest" in line]
    assert layers and all(
        line["digest"].startswith("sha256:") and isinstance(line["total"], int) for line in layers
    )
    manifest = models_dir / "manifests/registry.ollama.ai/library/llama3.1/8b"
    for layer in json.loads(manifest.read_text())["layers"]:
        assert (models_dir / "blobs" / layer["digest"].replace(":", "-")).is_file()
    tags = json.loads(call(ollama, "GET", "/api/tags")[2])["models"]
    entry = next(m for m in tags if m["name"] == "llama3.1:8b")
    assert set(entry) == {"name", "model", "modified_at", "size", "digest", "details"}
    assert len(entry["digest"]) == 64 and entry["details"]["format"] == "gguf"
    assert entry["details"]["parameter_size"] == "8.0B"


def test_untagged_names_are_latest(ollama):
    pull(ollama, "qwen2.5-coder")
    names = {m["name"] for m in json.loads(call(ollama, "GET", "/api/tags")[2])["models"]}
    assert "qwen2.5-coder:latest" in names


def test_chat_streams_ndjson_with_final_done_line(ollama):
    pull(ollama, "llama3.1:8b")
    status, headers, data = call(
        ollama,
        "POST",
        "/api/chat",
        {
            "model": "llama3.1:8b",
            "options": {"num_predict": 8, "temperature": 0},
            "messages": [{"role": "user", "content": "Say hello."}],
        },
    )
    assert status == 200 and headers["Content-Type"] == "application/x-ndjson"
    lines = ndjson(data)
    assert len(lines) >= 2
    for chunk in lines[:-1]:
        assert chunk["done"] is False and chunk["model"] == "llama3.1:8b"
        assert chunk["message"]["role"] == "assistant" and chunk["created_at"].endswith("Z")
    final = lines[-1]
    assert final["done"] is True and final["done_reason"] in ("stop", "length")
    assert final["message"] == {"role": "assistant", "content": ""}
    for key in (
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ):
        assert isinstance(final[key], int) and final[key] >= 0, key
    assert final["total_duration"] >= final["eval_duration"]
    assert "".join(c["message"]["content"] for c in lines[:-1]).strip()


def test_chat_non_streaming_and_options_reach_the_backend(ollama):
    pull(ollama, "llama3.1:8b")
    status, _, data = call(
        ollama,
        "POST",
        "/api/chat",
        {
            "model": "llama3.1:8b",
            "stream": False,
            "format": "json",
            "options": {"num_predict": 6, "temperature": 0.1, "seed": 42, "stop": ["\n"]},
            "messages": [{"role": "user", "content": "Answer with a JSON object."}],
        },
    )
    reply = json.loads(data)
    assert status == 200 and reply["done"] is True and reply["message"]["content"]
    assert isinstance(reply["eval_duration"], int) and reply["eval_count"] > 0
    if not REAL_BACKEND:
        sent = FakeOpenAI.requests[-1]
        assert sent["path"] == "/v1/chat/completions" and sent["max_tokens"] == 6 and sent["seed"] == 42
        assert sent["response_format"] == {"type": "json_object"} and sent["stop"] == ["\n"]
        assert reply["message"]["content"] == "".join(WORDS) and reply["prompt_eval_count"] == 7


def test_generate_stream_and_raw(ollama):
    pull(ollama, "llama3.1:8b")
    lines = ndjson(
        call(
            ollama,
            "POST",
            "/api/generate",
            {"model": "llama3.1:8b", "prompt": "Hello", "options": {"num_predict": 4}},
        )[2]
    )
    assert lines[-1]["done"] is True and lines[-1]["response"] == ""
    assert all("response" in line for line in lines)
    status, _, data = call(
        ollama,
        "POST",
        "/api/generate",
        {
            "model": "llama3.1:8b",
            "prompt": "Once upon",
            "raw": True,
            "stream": False,
            "options": {"num_predict": 4},
        },
    )
    reply = json.loads(data)
    assert status == 200 and reply["done"] is True and isinstance(reply["total_duration"], int)
    if not REAL_BACKEND:
        assert FakeOpenAI.requests[-1]["path"] == "/v1/completions"
    # an empty prompt only loads the model
    reply = json.loads(call(ollama, "POST", "/api/generate", {"model": "llama3.1:8b", "stream": False})[2])
    assert (reply["done"], reply["done_reason"], reply["response"]) == (True, "load", "")


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/chat", {"messages": [{"role": "user", "content": "x"}]}),
        ("/api/generate", {"prompt": "x"}),
        ("/api/show", {}),
        ("/api/embed", {"input": "x"}),
    ],
)
def test_unknown_model_is_404_with_ollama_error_body(ollama, path, body):
    status, headers, data = call(ollama, "POST", path, {"model": "missing-model:1b", **body})
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert json.loads(data) == {"error": "model 'missing-model:1b' not found"}


def test_missing_model_field_is_400(ollama):
    status, _, data = call(ollama, "POST", "/api/chat", {"messages": []})
    assert (status, json.loads(data)) == (400, {"error": "model is required"})


def test_show(ollama):
    pull(ollama, "llama3.1:8b")
    status, _, data = call(ollama, "POST", "/api/show", {"name": "llama3.1:8b"})  # LiteLLM sends "name"
    reply = json.loads(data)
    assert status == 200
    assert {"modelfile", "parameters", "template", "details", "model_info", "capabilities"} <= set(reply)
    assert reply["model_info"]["llama.context_length"] > 0


def test_ps_lists_loaded_models_with_keep_alive(ollama):
    pull(ollama, "llama3.1:8b")
    call(ollama, "POST", "/api/generate", {"model": "llama3.1:8b", "stream": False, "keep_alive": "10m"})
    models = json.loads(call(ollama, "GET", "/api/ps")[2])["models"]
    entry = next(m for m in models if m["name"] == "llama3.1:8b")
    assert {"name", "model", "size", "digest", "details", "expires_at", "size_vram"} <= set(entry)
    call(ollama, "POST", "/api/generate", {"model": "llama3.1:8b", "stream": False, "keep_alive": 0})
    assert "llama3.1:8b" not in {m["name"] for m in json.loads(call(ollama, "GET", "/api/ps")[2])["models"]}


def test_embed(ollama):
    pull(ollama, "llama3.1:8b")
    body = {"model": "llama3.1:8b", "input": ["a cat", "a dog"]}
    status, _, data = call(ollama, "POST", "/api/embed", body)
    reply = json.loads(data)
    assert status == 200 and reply["model"] == "llama3.1:8b"
    assert len(reply["embeddings"]) == 2 and len(reply["embeddings"][0]) > 0
    assert isinstance(reply["total_duration"], int) and isinstance(reply["prompt_eval_count"], int)
    again = json.loads(call(ollama, "POST", "/api/embed", {"model": "llama3.1:8b", "input": "a cat"})[2])
    assert again["embeddings"][0] == reply["embeddings"][0]


def test_delete_removes_manifest_and_unshared_blobs(ollama, models_dir):
    pull(ollama, "tinyllama:1.1b")
    manifest = models_dir / "manifests/registry.ollama.ai/library/tinyllama/1.1b"
    model_blob = json.loads(manifest.read_text())["layers"][0]["digest"].replace(":", "-")
    status, _, _ = call(ollama, "DELETE", "/api/delete", {"model": "tinyllama:1.1b"})
    assert status == 200 and not manifest.exists() and not (models_dir / "blobs" / model_blob).exists()
    status, _, data = call(ollama, "DELETE", "/api/delete", {"model": "tinyllama:1.1b"})
    assert (status, json.loads(data)) == (404, {"error": "model 'tinyllama:1.1b' not found"})


def test_registry_limits_pulls(tmp_path):
    env = {
        "OLLAMA_HOST": "127.0.0.1:0",
        "OLLAMA_MODELS": str(tmp_path),
        "AIB_OLLAMA_DOUBLE_REGISTRY": "llama3.1:8b",
    }
    for base in _serve(ollama_double.make_server(env)):
        status, _, data = call(base, "POST", "/api/pull", {"model": "nope:1b", "stream": False})
        assert (status, json.loads(data)) == (500, {"error": "pull model manifest: file does not exist"})
        lines = ndjson(call(base, "POST", "/api/pull", {"model": "nope:1b"})[2])
        assert lines[-1] == {"error": "pull model manifest: file does not exist"}


def test_no_backend_answers_an_error_not_a_crash(tmp_path):
    env = {"OLLAMA_HOST": "127.0.0.1:0", "OLLAMA_MODELS": str(tmp_path)}
    for base in _serve(ollama_double.make_server(env)):
        pull(base, "llama3.1:8b")
        status, _, data = call(
            base,
            "POST",
            "/api/chat",
            {"model": "llama3.1:8b", "stream": False, "messages": [{"role": "user", "content": "x"}]},
        )
        assert status == 500 and "no backend" in json.loads(data)["error"]
        assert call(base, "GET", "/")[0] == 200


def test_parse_host_and_duration():
    assert ollama_double.parse_host("127.0.0.1:11434") == ("127.0.0.1", 11434)
    assert ollama_double.parse_host("http://0.0.0.0:8000") == ("0.0.0.0", 8000)  # noqa: S104
    assert ollama_double.parse_host("") == ("127.0.0.1", 11434)
    assert ollama_double.parse_duration("1h30m", 0) == 5400
    assert ollama_double.parse_duration("-1", 0) == -1


@pytest.mark.skipif(shutil.which("zstd") is None, reason="needs the zstd command")
def test_archive_has_the_real_layout_and_its_launcher_serves(tmp_path):
    archive = tmp_path / "ollama-linux-amd64.tar.zst"
    sha = make_ollama_archive.build(archive, "9.9.9")
    assert make_ollama_archive.build(tmp_path / "again.tar.zst", "9.9.9") == sha  # deterministic
    tar = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
    (tmp_path / "x.tar").write_bytes(tar)
    with tarfile.open(tmp_path / "x.tar") as tf:
        names = tf.getnames()
        tf.extractall(tmp_path / "root", filter="data")
    assert "./bin/ollama" in names and any(n.startswith("./lib/ollama/") for n in names)
    launcher = tmp_path / "root/bin/ollama"
    assert (
        subprocess.run([launcher, "--version"], capture_output=True, text=True, check=True).stdout.strip()
        == "ollama version is 9.9.9"
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "OLLAMA_HOST": f"127.0.0.1:{port}",
        "OLLAMA_MODELS": str(tmp_path / "m"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    proc = subprocess.Popen([launcher, "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                assert call(f"http://127.0.0.1:{port}", "GET", "/api/version")[2] == b'{"version": "9.9.9"}'
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("the launcher's server did not come up")
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
