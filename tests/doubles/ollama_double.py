#!/usr/bin/env python3
"""Ollama API **test double** (this is NOT Ollama).

Ollama cannot be installed on the test hosts of this repository (no Debian package, nothing on PyPI
or npm ships the server, and its release archive is 1.4 GB). This stdlib-only server (Python 3.11)
speaks Ollama's HTTP API faithfully enough for the `ollama` role, the LiteLLM `ollama_chat/` route
and the tests, and forwards every generation to a real OpenAI-compatible backend (llama.cpp's
`llama-server`), so the answers are real generations of a real model.

Served routes (shapes as in Ollama's docs/api.md):

| route | what the double does |
| --- | --- |
| `GET/HEAD /` | 200 `Ollama is running` |
| `GET/HEAD /api/version` | `{"version": ...}` |
| `GET /api/tags` | the models of the store in `OLLAMA_MODELS` (scanned on every call, like Ollama) |
| `GET /api/ps` | models "loaded" by a chat/generate/embed call, with `expires_at` from `keep_alive` |
| `POST /api/show` | details, modelfile, template, parameters, `model_info` (context length), capabilities |
| `POST /api/pull` | writes a real-format manifest (`manifests/registry.ollama.ai/library/<m>/<tag>`) and |
|                  | sha256-named blobs (`blobs/sha256-<hex>`); streams the status lines, last `success` |
| `DELETE /api/delete` | removes the manifest and the blobs no other manifest references |
| `POST /api/copy` | copies a manifest |
| `POST /api/chat`, `POST /api/generate` | NDJSON stream by default (`stream: false`: one object), |
|                  | last line `done: true`, `done_reason`, `*_count`, `*_duration` (integers, ns) |
| `POST /api/embed`, `POST /api/embeddings` | backend `/v1/embeddings`; when the backend has none |
|                  | (llama-server without `--embeddings`), a deterministic feature-hashing embedding |

Errors use Ollama's shape `{"error": "..."}`: an unknown model is 404 `model '<name>' not found`, a
missing model field 400 `model is required`, unknown routes 404 `404 page not found` (text, like gin).
Not served (501 `{"error": ...}`): `/api/create`, `/api/push`, `/api/blobs/...`. `context` is not
returned by `/api/generate`. Pulled "models" are small placeholder blobs (not GGUF files): the double
never loads them, the backend's model answers for every name.

Environment (Ollama's own, as the `ollama` role's unit sets them): `OLLAMA_HOST` (`127.0.0.1:11434`),
`OLLAMA_MODELS` (`~/.ollama/models`), `OLLAMA_KEEP_ALIVE` (`5m`), `OLLAMA_NUM_PARALLEL` (1),
`OLLAMA_MAX_LOADED_MODELS` (3). Double-only: `AIB_OLLAMA_DOUBLE_BACKEND` (base URL of the
OpenAI-compatible backend, e.g. `http://127.0.0.1:8080`; unset = every generation answers 500
`{"error": ...}`), `AIB_OLLAMA_DOUBLE_BACKEND_MODEL` (model id sent to the backend; default: the
Ollama name), `AIB_OLLAMA_DOUBLE_REGISTRY` (comma-separated names `/api/pull` can find; unset = any
well-formed name), `AIB_OLLAMA_DOUBLE_VERSION` (else the `VERSION` file next to this script, else
`0.0.0-double`).

Usage: `python3 ollama_double.py serve` (or `bin/ollama serve` of the archive built by
`make_ollama_archive.py`); `python3 ollama_double.py store DIR NAME...` writes an Ollama store with
those (placeholder) models into DIR, e.g. an offline store for the role's `ollama_model_artifacts`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
MANIFEST_MEDIA = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA = {
    "model": "application/vnd.ollama.image.model",
    "template": "application/vnd.ollama.image.template",
    "params": "application/vnd.ollama.image.params",
}
DOUBLE_TEMPLATE = (
    "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
    "<|im_start|>assistant\n"
)
DOUBLE_PARAMS = {"stop": ["<|im_start|>", "<|im_end|>"]}
CONTEXT_LENGTH = 8192
EMBED_DIM = 384
NAME_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
HOST_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(:[0-9]+)?$")
TAG_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,79}$")
DURATION = re.compile(r"(-?[0-9.]+)(ns|us|µs|ms|s|m|h)")
DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
FOREVER = datetime(2318, 1, 1, tzinfo=UTC)


class ApiError(Exception):
    """An error answered as Ollama does: `{"error": message}` with an HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_duration(value: Any, default_s: float) -> float:
    """Ollama `keep_alive`: a number of seconds or a Go duration ("5m", "1h30m"); negative = forever."""
    if value is None or value == "":
        return default_s
    if isinstance(value, bool):
        raise ApiError(400, f"invalid duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    with contextlib.suppress(ValueError):
        return float(text)
    parts = DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ApiError(400, f'time: invalid duration "{text}"')
    return sum(float(n) * DURATION_UNITS[u] for n, u in parts)


class ModelName:
    """`[host/][namespace/]model[:tag]` with Ollama's defaults (registry.ollama.ai, library, latest)."""

    def __init__(self, text: str):
        raw = (text or "").strip()
        if not raw:
            raise ApiError(400, "model is required")
        head, _, last = raw.rpartition("/")
        tag = DEFAULT_TAG
        if ":" in last:
            last, tag = last.rsplit(":", 1)
        parts = ([*head.split("/"), last]) if head else [last]
        host, namespace = DEFAULT_HOST, DEFAULT_NAMESPACE
        if len(parts) == 2:
            namespace, model = parts
        elif len(parts) >= 3:
            host, namespace, model = parts[0], "/".join(parts[1:-1]), parts[-1]
        else:
            model = parts[0]
        ok = (
            NAME_PART.match(model)
            and TAG_PART.match(tag)
            and HOST_PART.match(host)
            and all(NAME_PART.match(p) for p in namespace.split("/"))
        )
        if not ok:
            raise ApiError(400, "invalid model name")
        self.host, self.namespace, self.model, self.tag = host, namespace, model, tag

    @property
    def display(self) -> str:
        if self.host == DEFAULT_HOST and self.namespace == DEFAULT_NAMESPACE:
            return f"{self.model}:{self.tag}"
        if self.host == DEFAULT_HOST:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def manifest_rel(self) -> Path:
        return Path(self.host, *self.namespace.split("/"), self.model, self.tag)


def _details_for(name: ModelName) -> dict[str, Any]:
    """Plausible `details` of a pulled model, derived from its name (family, parameter size)."""
    base = name.model.lower()
    family = next((f for f in ("qwen2", "gemma", "mistral", "phi3", "llama", "smollm") if f in base), "llama")
    size = re.search(r"(?:^|[^0-9.])([0-9]+(?:\.[0-9]+)?)([bm])(?:$|[^a-z])", name.tag.lower())
    parameter_size = f"{float(size.group(1)):.1f}{size.group(2).upper()}" if size else "135M"
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family,
        "families": [family],
        "parameter_size": parameter_size,
        "quantization_level": "Q4_K_M",
    }


class Store:
    """Ollama's on-disk model store: manifests/<host>/<namespace>/<model>/<tag> + blobs/sha256-<hex>."""

    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.Lock()

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    def ensure(self) -> None:
        self.manifests.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)

    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest.replace(":", "-")

    def _write_atomic(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial-{os.getpid()}-{threading.get_ident()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def _write_blob(self, data: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        if not path.exists():
            self._write_atomic(path, data)
        return {"digest": digest, "size": len(data)}

    def entries(self) -> list[tuple[ModelName, Path]]:
        found = []
        if not self.manifests.is_dir():
            return found
        for path in sorted(self.manifests.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            rel = path.relative_to(self.manifests).parts
            if len(rel) < 4:
                continue
            text = f"{rel[0]}/{'/'.join(rel[1:-2])}/{rel[-2]}:{rel[-1]}"
            with contextlib.suppress(ApiError):
                found.append((ModelName(text), path))
        return found

    def find(self, text: str) -> tuple[ModelName, Path, dict[str, Any]] | None:
        name = ModelName(text)
        path = self.manifests / name.manifest_rel
        if not path.is_file():
            # names are case-insensitive in Ollama
            wanted = name.display.lower()
            match = [(n, p) for n, p in self.entries() if n.display.lower() == wanted]
            if not match:
                return None
            name, path = match[0]
        try:
            manifest = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return name, path, manifest

    def describe(self, name: ModelName, path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
        raw = path.read_bytes()
        config = self.read_config(manifest)
        details = {
            "parent_model": "",
            "format": config.get("model_format", "gguf"),
            "family": config.get("model_family", ""),
            "families": config.get("model_families") or None,
            "parameter_size": config.get("model_type", ""),
            "quantization_level": config.get("file_type", ""),
        }
        size = sum(int(layer.get("size", 0)) for layer in manifest.get("layers", []))
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).astimezone().isoformat()
        return {
            "name": name.display,
            "model": name.display,
            "modified_at": modified,
            "size": size,
            "digest": hashlib.sha256(raw).hexdigest(),
            "details": details,
        }

    def read_config(self, manifest: dict[str, Any]) -> dict[str, Any]:
        digest = (manifest.get("config") or {}).get("digest", "")
        try:
            return json.loads(self.blob_path(digest).read_bytes()) if digest else {}
        except (OSError, ValueError):
            return {}

    def read_layer(self, manifest: dict[str, Any], kind: str) -> str:
        for layer in manifest.get("layers", []):
            if layer.get("mediaType") == LAYER_MEDIA[kind]:
                with contextlib.suppress(OSError):
                    return self.blob_path(layer["digest"]).read_text(encoding="utf-8", errors="replace")
        return ""

    def pull(self, name: ModelName, origin: str = "pulled") -> list[dict[str, Any]]:
        """Writes the model's blobs and manifest; returns the layers (for the progress lines)."""
        details = _details_for(name)
        model_blob = (
            "AIB OLLAMA TEST DOUBLE - placeholder model layer, not a GGUF file.\n"
            f"name: {name.display}\norigin: {origin}\n"
        ).encode()
        with self.lock:
            layers = [
                {"mediaType": LAYER_MEDIA["model"], **self._write_blob(model_blob)},
                {"mediaType": LAYER_MEDIA["template"], **self._write_blob(DOUBLE_TEMPLATE.encode())},
                {
                    "mediaType": LAYER_MEDIA["params"],
                    **self._write_blob(json.dumps(DOUBLE_PARAMS, sort_keys=True).encode()),
                },
            ]
            config = {
                "model_format": details["format"],
                "model_family": details["family"],
                "model_families": details["families"],
                "model_type": details["parameter_size"],
                "file_type": details["quantization_level"],
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
            }
            config_ref = self._write_blob(json.dumps(config, sort_keys=True).encode())
            manifest = {
                "schemaVersion": 2,
                "mediaType": MANIFEST_MEDIA,
                "config": {"mediaType": CONFIG_MEDIA, **config_ref},
                "layers": layers,
            }
            self._write_atomic(self.manifests / name.manifest_rel, json.dumps(manifest).encode())
        return layers

    def copy(self, source: str, destination: str) -> None:
        found = self.find(source)
        if found is None:
            raise ApiError(404, f"model '{source}' not found")
        dest = ModelName(destination)
        with self.lock:
            self._write_atomic(self.manifests / dest.manifest_rel, found[1].read_bytes())

    def delete(self, text: str) -> None:
        found = self.find(text)
        if found is None:
            raise ApiError(404, f"model '{text}' not found")
        _, path, manifest = found
        with self.lock:
            path.unlink()
            parent = path.parent
            while parent != self.manifests and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
            used = set()
            for _, other in self.entries():
                with contextlib.suppress(OSError, ValueError):
                    data = json.loads(other.read_bytes())
                    used.add((data.get("config") or {}).get("digest"))
                    used.update(layer.get("digest") for layer in data.get("layers", []))
            mine = [(manifest.get("config") or {}).get("digest")]
            mine += [layer.get("digest") for layer in manifest.get("layers", [])]
            for digest in mine:
                if digest and digest not in used:
                    with contextlib.suppress(FileNotFoundError):
                        self.blob_path(digest).unlink()


class Loaded:
    """The models a real server would hold in memory (for /api/ps), evicted LRU beyond the maximum."""

    def __init__(self, default_keep_alive_s: float, max_loaded: int):
        self.default = default_keep_alive_s
        self.max_loaded = max(1, max_loaded)
        self.models: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def _expire(self) -> None:
        now = datetime.now(UTC)
        for key in [k for k, v in self.models.items() if v["expires"] <= now]:
            del self.models[key]

    def touch(self, description: dict[str, Any], keep_alive: Any) -> None:
        seconds = parse_duration(keep_alive, self.default)
        with self.lock:
            self._expire()
            key = description["name"]
            if seconds == 0:
                self.models.pop(key, None)
                return
            expires = FOREVER if seconds < 0 else datetime.now(UTC) + timedelta(seconds=seconds)
            self.models.pop(key, None)
            self.models[key] = {"expires": expires, "model": description}
            while len(self.models) > self.max_loaded:
                del self.models[next(iter(self.models))]

    def unload(self, name: str) -> None:
        with self.lock:
            self.models.pop(name, None)

    def listing(self) -> list[dict[str, Any]]:
        with self.lock:
            self._expire()
            items = list(self.models.values())
        result = []
        for item in reversed(items):
            desc = item["model"]
            result.append(
                {
                    "name": desc["name"],
                    "model": desc["model"],
                    "size": desc["size"],
                    "digest": desc["digest"],
                    "details": desc["details"],
                    "expires_at": item["expires"].astimezone().isoformat(),
                    "size_vram": 0,
                    "context_length": CONTEXT_LENGTH,
                }
            )
        return result


class Backend:
    """OpenAI-compatible backend (llama.cpp's llama-server): chat, completions, embeddings."""

    def __init__(self, base_url: str, model: str, timeout: float = 600.0):
        self.base = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout

    def _request(self, path: str, body: dict[str, Any]):
        if not self.base:
            raise ApiError(500, "aib ollama double: no backend configured (AIB_OLLAMA_DOUBLE_BACKEND)")
        req = urllib.request.Request(  # noqa: S310 - the backend URL comes from the operator
            self.base + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)  # noqa: S310
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise ApiError(
                500 if exc.code >= 500 else exc.code, f"backend {path} answered {exc.code}: {detail}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ApiError(500, f"backend {self.base} unreachable: {exc}") from exc

    def generate(self, model: str, body: dict[str, Any], chat: bool, stream: bool):
        """Yields ("delta", text, thinking) and ("tool_calls", [...]); returns the final stats dict."""
        body = {**body, "model": self.model or model, "stream": stream}
        if stream:
            body["stream_options"] = {"include_usage": True}
        path = "/v1/chat/completions" if chat else "/v1/completions"
        start = time.monotonic_ns()
        first = None
        stats: dict[str, Any] = {"finish_reason": "stop", "usage": {}, "timings": {}}
        calls: dict[int, dict[str, Any]] = {}
        with self._request(path, body) as resp:
            if not stream:
                data = json.loads(resp.read())
                choice = (data.get("choices") or [{}])[0]
                if chat:
                    msg = choice.get("message") or {}
                    text, thinking = msg.get("content") or "", msg.get("reasoning_content") or ""
                    for i, call in enumerate(msg.get("tool_calls") or []):
                        calls[i] = call
                else:
                    text, thinking = choice.get("text") or "", ""
                first = time.monotonic_ns()
                if text or thinking:
                    yield ("delta", text, thinking)
                stats.update(
                    finish_reason=choice.get("finish_reason") or "stop",
                    usage=data.get("usage") or {},
                    timings=data.get("timings") or {},
                )
            else:
                for raw in resp:
                    line = raw.decode("utf-8", errors="replace").strip()
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        break
                    data = json.loads(payload)
                    if data.get("usage"):
                        stats["usage"] = data["usage"]
                    if data.get("timings"):
                        stats["timings"] = data["timings"]
                    for choice in data.get("choices") or []:
                        if choice.get("finish_reason"):
                            stats["finish_reason"] = choice["finish_reason"]
                        delta = choice.get("delta") or {} if chat else {"content": choice.get("text")}
                        for call in delta.get("tool_calls") or []:
                            slot = calls.setdefault(
                                call.get("index", 0), {"function": {"name": "", "arguments": ""}}
                            )
                            fn = call.get("function") or {}
                            slot["function"]["name"] += fn.get("name") or ""
                            slot["function"]["arguments"] += fn.get("arguments") or ""
                        text, thinking = delta.get("content") or "", delta.get("reasoning_content") or ""
                        if text or thinking:
                            if first is None:
                                first = time.monotonic_ns()
                            yield ("delta", text, thinking)
        if calls:
            yield ("tool_calls", [_ollama_tool_call(calls[i]) for i in sorted(calls)])
        end = time.monotonic_ns()
        stats["prompt_ns"] = (first or end) - start
        stats["eval_ns"] = end - (first or end)
        return stats

    def embed(self, model: str, inputs: list[str], dimensions: int | None) -> tuple[list[list[float]], int]:
        try:
            with self._request("/v1/embeddings", {"model": self.model or model, "input": inputs}) as resp:
                data = json.loads(resp.read())
            vectors = [item["embedding"] for item in sorted(data["data"], key=lambda d: d.get("index", 0))]
            if dimensions:
                vectors = [_normalise(v[:dimensions]) for v in vectors]
            return vectors, int((data.get("usage") or {}).get("prompt_tokens", 0))
        except (ApiError, KeyError, ValueError, TypeError):
            # llama-server started without --embeddings answers 501: fall back to feature hashing.
            vectors = [hash_embedding(text, dimensions or EMBED_DIM) for text in inputs]
            return vectors, sum(len(text.split()) for text in inputs)


def _ollama_tool_call(call: dict[str, Any]) -> dict[str, Any]:
    fn = call.get("function") or {}
    args = fn.get("arguments") or {}
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            args = {"_raw": args}
    return {"function": {"name": fn.get("name", ""), "arguments": args}}


def _normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def hash_embedding(text: str, dim: int) -> list[float]:
    """Deterministic bag-of-words embedding (feature hashing, L2-normalised): a stand-in, not semantic."""
    vector = [0.0] * dim
    for token in re.findall(r"\w+", text.lower()) or [""]:
        digest = hashlib.sha256(token.encode()).digest()
        index = int.from_bytes(digest[:4], "big") % dim
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    return _normalise(vector)


def _openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for msg in messages:
        item: dict[str, Any] = {"role": msg.get("role", "user"), "content": msg.get("content") or ""}
        if msg.get("images"):
            parts = [{"type": "text", "text": item["content"]}]
            parts += [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{img}"}}
                for img in msg["images"]
            ]
            item["content"] = parts
        if msg.get("tool_calls"):
            item["tool_calls"] = [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {
                        "name": (c.get("function") or {}).get("name", ""),
                        "arguments": json.dumps((c.get("function") or {}).get("arguments", {})),
                    },
                }
                for i, c in enumerate(msg["tool_calls"])
            ]
        if msg.get("role") == "tool":
            item["tool_call_id"] = msg.get("tool_call_id") or msg.get("tool_name") or "call_0"
        out.append(item)
    return out


def _openai_options(req: dict[str, Any]) -> dict[str, Any]:
    """Ollama `options` + `format` + `tools` -> OpenAI request fields llama-server understands."""
    opts = req.get("options") or {}
    out: dict[str, Any] = {}
    for key in (
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "seed",
        "stop",
        "repeat_penalty",
        "presence_penalty",
        "frequency_penalty",
        "typical_p",
        "repeat_last_n",
    ):
        if opts.get(key) is not None:
            out[key] = opts[key]
    if isinstance(opts.get("num_predict"), int) and opts["num_predict"] >= 0:
        out["max_tokens"] = opts["num_predict"]
    fmt = req.get("format")
    if fmt == "json":
        out["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict) and fmt:
        out["response_format"] = {"type": "json_schema", "json_schema": {"name": "format", "schema": fmt}}
    if req.get("tools"):
        out["tools"] = req["tools"]
    return out


class Double:
    def __init__(self, env: dict[str, str]):
        self.version = env.get("AIB_OLLAMA_DOUBLE_VERSION") or _version_file() or "0.0.0-double"
        self.store = Store(Path(env.get("OLLAMA_MODELS") or Path.home() / ".ollama" / "models"))
        self.loaded = Loaded(
            parse_duration(env.get("OLLAMA_KEEP_ALIVE"), 300.0), int(env.get("OLLAMA_MAX_LOADED_MODELS") or 3)
        )
        self.parallel = threading.BoundedSemaphore(max(1, int(env.get("OLLAMA_NUM_PARALLEL") or 1)))
        self.backend = Backend(
            env.get("AIB_OLLAMA_DOUBLE_BACKEND", ""), env.get("AIB_OLLAMA_DOUBLE_BACKEND_MODEL", "")
        )
        registry = env.get("AIB_OLLAMA_DOUBLE_REGISTRY", "").strip()
        self.registry = (
            {ModelName(n).display.lower() for n in registry.split(",") if n.strip()} if registry else None
        )

    def _find(self, text: str | None) -> tuple[Any, ...]:
        """The stored model `text` names, or Ollama's 400 (no name) / 404 (unknown) error."""
        if not text:
            raise ApiError(400, "model is required")
        found = self.store.find(text)
        if found is None:
            raise ApiError(404, f"model '{text}' not found")
        return found

    def require(self, text: str | None) -> dict[str, Any]:
        return self.store.describe(*self._find(text))

    def show(self, text: str | None) -> dict[str, Any]:
        name, path, manifest = self._find(text)
        desc = self.store.describe(name, path, manifest)
        template = self.store.read_layer(manifest, "template")
        params = json.loads(self.store.read_layer(manifest, "params") or "{}")
        parameters = "\n".join(
            f"{k:<30} {json.dumps(v)}"
            for k, vals in sorted(params.items())
            for v in (vals if isinstance(vals, list) else [vals])
        )
        family = desc["details"]["family"] or "llama"
        modelfile = (
            "# Modelfile generated by the aib ollama test double\n"
            f"FROM {self.store.blob_path(manifest['layers'][0]['digest'])}\n"
            f'TEMPLATE """{template}"""\n'
            + "".join(f"PARAMETER {line}\n" for line in parameters.splitlines())
        )
        return {
            "license": "",
            "modelfile": modelfile,
            "parameters": parameters,
            "template": template,
            "details": desc["details"],
            "model_info": {
                "general.architecture": family,
                "general.basename": name.model,
                "general.file_type": 15,
                "general.parameter_count": 0,
                f"{family}.context_length": CONTEXT_LENGTH,
                f"{family}.embedding_length": EMBED_DIM,
            },
            "capabilities": ["completion"],
            "modified_at": desc["modified_at"],
        }


def _version_file() -> str:
    path = Path(__file__).resolve().with_name("VERSION")
    with contextlib.suppress(OSError):
        return path.read_text().strip()
    return ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ollama-double"
    double: Double  # set on the subclass by make_server

    # --- plumbing -------------------------------------------------------------------------------
    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(
            f"[GIN] {time.strftime('%Y/%m/%d - %H:%M:%S')} | {self.address_string()} | {format % args}\n"
        )

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, f"invalid character in request body: {exc}") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "json: cannot unmarshal request body into a request object")
        return data

    def _send(self, status: int, payload: Any, content_type: str = "application/json; charset=utf-8") -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _stream_start(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _stream_line(self, obj: dict[str, Any]) -> None:
        data = json.dumps(obj).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream_end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _dispatch(self, routes: dict[str, Any]) -> None:
        path = self.path.split("?", 1)[0]
        handler = routes.get(path)
        if handler is None:
            self._send(404, b"404 page not found", "text/plain")
            return
        try:
            handler()
        except ApiError as exc:
            self._send(exc.status, {"error": exc.message})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch(
            {"/": self.root, "/api/version": self.version, "/api/tags": self.tags, "/api/ps": self.ps}
        )

    do_HEAD = do_GET

    def do_POST(self) -> None:
        self._dispatch(
            {
                "/api/chat": self.chat,
                "/api/generate": self.generate,
                "/api/pull": self.pull,
                "/api/show": self.show,
                "/api/embed": self.embed,
                "/api/embeddings": self.embeddings,
                "/api/copy": self.copy,
                "/api/create": self.unsupported,
                "/api/push": self.unsupported,
            }
        )

    def do_DELETE(self) -> None:
        self._dispatch({"/api/delete": self.delete})

    # --- routes -----------------------------------------------------------------------------------
    def root(self) -> None:
        self._send(200, b"Ollama is running", "text/plain; charset=utf-8")

    def version(self) -> None:
        self._send(200, {"version": self.double.version})

    def tags(self) -> None:
        store = self.double.store
        models = []
        for name, path in store.entries():
            with contextlib.suppress(OSError, ValueError):
                models.append(store.describe(name, path, json.loads(path.read_bytes())))
        models.sort(key=lambda m: m["modified_at"], reverse=True)
        self._send(200, {"models": models})

    def ps(self) -> None:
        self._send(200, {"models": self.double.loaded.listing()})

    def show(self) -> None:
        req = self._body()
        self._send(200, self.double.show(req.get("model") or req.get("name")))

    def unsupported(self) -> None:
        self._body()
        raise ApiError(501, f"{self.path} is not implemented by the aib ollama test double")

    def copy(self) -> None:
        req = self._body()
        if not req.get("source") or not req.get("destination"):
            raise ApiError(400, "source and destination are required")
        self.double.store.copy(req["source"], req["destination"])
        self._send(200, b"", "application/json; charset=utf-8")

    def delete(self) -> None:
        req = self._body()
        text = req.get("model") or req.get("name")
        if not text:
            raise ApiError(400, "model is required")
        self.double.store.delete(text)
        self.double.loaded.unload(ModelName(text).display)
        self._send(200, b"", "application/json; charset=utf-8")

    def pull(self) -> None:
        req = self._body()
        text = req.get("model") or req.get("name")
        name = ModelName(text or "")
        stream = req.get("stream", True) is not False
        registry = self.double.registry
        if registry is not None and name.display.lower() not in registry:
            if not stream:
                raise ApiError(500, "pull model manifest: file does not exist")
            self._stream_start()
            self._stream_line({"status": "pulling manifest"})
            self._stream_line({"error": "pull model manifest: file does not exist"})
            self._stream_end()
            return
        layers = self.double.store.pull(name)
        if not stream:
            self._send(200, {"status": "success"})
            return
        self._stream_start()
        self._stream_line({"status": "pulling manifest"})
        for layer in layers:
            digest = layer["digest"]
            self._stream_line({"status": f"pulling {digest[7:19]}", "digest": digest, "total": layer["size"]})
            self._stream_line(
                {
                    "status": f"pulling {digest[7:19]}",
                    "digest": digest,
                    "total": layer["size"],
                    "completed": layer["size"],
                }
            )
        for status in ("verifying sha256 digest", "writing manifest", "success"):
            self._stream_line({"status": status})
        self._stream_end()

    def _generation(self, chat: bool) -> None:
        start = time.monotonic_ns()
        req = self._body()
        text = req.get("model")
        desc = self.double.require(text)
        stream = req.get("stream", True) is not False
        keep_alive = req.get("keep_alive")
        created = now_rfc3339
        field = "message" if chat else "response"
        messages = req.get("messages") or []
        prompt = req.get("prompt") or ""
        base = {"model": text}

        # An empty request only loads (or, with keep_alive 0, unloads) the model.
        if (chat and not messages) or (not chat and not prompt):
            self.double.loaded.touch(desc, keep_alive)
            unload = parse_duration(keep_alive, 1.0) == 0
            out = {
                **base,
                "created_at": created(),
                field: {"role": "assistant", "content": ""} if chat else "",
                "done_reason": "unload" if unload else "load",
                "done": True,
            }
            self._send(200, out)
            return

        body = _openai_options(req)
        if chat:
            body["messages"] = _openai_messages(messages)
        elif req.get("raw"):
            body["prompt"] = prompt
        else:
            body["messages"] = [{"role": "system", "content": req["system"]}] if req.get("system") else []
            body["messages"].append({"role": "user", "content": prompt})
        use_chat = "messages" in body
        load_ns = time.monotonic_ns() - start
        think = req.get("think")

        def piece(content: str, thinking: str = "", tool_calls: list | None = None) -> dict[str, Any]:
            if chat:
                msg: dict[str, Any] = {"role": "assistant", "content": content}
                if thinking and think is not False:
                    msg["thinking"] = thinking
                if tool_calls:
                    msg["tool_calls"] = tool_calls
                return {**base, "created_at": created(), "message": msg}
            out = {**base, "created_at": created(), "response": content}
            if thinking and think is not False:
                out["thinking"] = thinking
            return out

        with self.double.parallel:
            gen = self.double.backend.generate(text, body, use_chat, stream)
            parts: list[str] = []
            thoughts: list[str] = []
            calls: list[dict[str, Any]] = []
            started = False
            try:
                while True:
                    kind, *rest = next(gen)
                    if kind == "delta":
                        if stream:
                            if not started:
                                self._stream_start()
                                started = True
                            self._stream_line({**piece(rest[0], rest[1]), "done": False})
                        parts.append(rest[0])
                        thoughts.append(rest[1])
                    else:
                        calls = rest[0]
                        if stream:
                            if not started:
                                self._stream_start()
                                started = True
                            self._stream_line({**piece("", "", calls), "done": False})
            except StopIteration as fin:
                stats = fin.value
            except ApiError as exc:
                if not started:
                    raise
                self._stream_line({"error": exc.message})
                self._stream_end()
                return
        self.double.loaded.touch(desc, keep_alive)
        usage, timings = stats["usage"], stats["timings"]
        prompt_count = int(usage.get("prompt_tokens") or timings.get("prompt_n") or 0)
        eval_count = int(usage.get("completion_tokens") or timings.get("predicted_n") or len(parts))
        prompt_ns = int(timings["prompt_ms"] * 1e6) if timings.get("prompt_ms") else stats["prompt_ns"]
        eval_ns = int(timings["predicted_ms"] * 1e6) if timings.get("predicted_ms") else stats["eval_ns"]
        reason = {"length": "length"}.get(stats["finish_reason"], "stop")
        final = piece("") if stream else piece("".join(parts), "".join(thoughts), calls or None)
        final.update(
            {
                "done_reason": reason,
                "done": True,
                "total_duration": time.monotonic_ns() - start,
                "load_duration": int(load_ns),
                "prompt_eval_count": prompt_count,
                "prompt_eval_duration": int(prompt_ns),
                "eval_count": eval_count,
                "eval_duration": int(eval_ns),
            }
        )
        if stream:
            if not started:
                self._stream_start()
            self._stream_line(final)
            self._stream_end()
        else:
            self._send(200, final)

    def chat(self) -> None:
        self._generation(chat=True)

    def generate(self) -> None:
        self._generation(chat=False)

    def _embed(self, inputs: list[str], req: dict[str, Any]) -> tuple[dict[str, Any], list, int]:
        desc = self.double.require(req.get("model"))
        dims = req.get("dimensions")
        vectors, count = self.double.backend.embed(req["model"], inputs, int(dims) if dims else None)
        self.double.loaded.touch(desc, req.get("keep_alive"))
        return desc, vectors, count

    def embed(self) -> None:
        start = time.monotonic_ns()
        req = self._body()
        raw = req.get("input", "")
        inputs = [raw] if isinstance(raw, str) else [str(x) for x in raw]
        _, vectors, count = self._embed(inputs, req)
        self._send(
            200,
            {
                "model": req["model"],
                "embeddings": vectors,
                "total_duration": time.monotonic_ns() - start,
                "load_duration": 0,
                "prompt_eval_count": count,
            },
        )

    def embeddings(self) -> None:  # legacy /api/embeddings
        req = self._body()
        _, vectors, _ = self._embed([str(req.get("prompt", ""))], req)
        self._send(200, {"embedding": vectors[0]})


def parse_host(value: str | None) -> tuple[str, int]:
    """OLLAMA_HOST: `host`, `host:port`, `scheme://host:port` or `:port`; default 127.0.0.1:11434."""
    text = (value or "").strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    host, port = "127.0.0.1", 11434
    if text.startswith("["):
        inner, _, rest = text[1:].partition("]")
        host = inner or host
        port = int(rest[1:]) if rest.startswith(":") and rest[1:] else port
    elif text.count(":") == 1:
        h, p = text.split(":")
        host, port = h or "0.0.0.0", int(p)  # noqa: S104 - ":port" means all addresses in Ollama too
    elif text:
        host = text
    return host, port


def make_server(env: dict[str, str]) -> ThreadingHTTPServer:
    double = Double(env)
    double.store.ensure()
    handler = type("BoundHandler", (Handler,), {"double": double})
    host, port = parse_host(env.get("OLLAMA_HOST"))
    server_cls = ThreadingHTTPServer
    if ":" in host:
        import socket

        server_cls = type("V6Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    server = server_cls((host, port), handler)
    server.daemon_threads = True
    return server


def serve(env: dict[str, str]) -> int:
    try:
        server = make_server(env)
    except OSError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    host, port = server.server_address[:2]
    double = server.RequestHandlerClass.double
    sys.stderr.write(
        f'time={now_rfc3339()} level=INFO source=ollama_double.py msg="Listening on {host}:{port} '
        f'(version {double.version}, aib test double)" models={double.store.root} '
        f"backend={double.backend.base or 'none'}\n"
    )

    def stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] in {"-v", "--version", "version"}:
        print(f"ollama version is {Double(dict(os.environ)).version}")
        return 0
    if len(argv) > 1 and argv[1] == "serve":
        return serve(dict(os.environ))
    if len(argv) > 3 and argv[1] == "store":
        # An offline store (as the ollama role's ollama_model_artifacts expects) with these models.
        store = Store(Path(argv[2]))
        store.ensure()
        for text in argv[3:]:
            store.pull(ModelName(text), origin="offline artifact")
        return 0
    sys.stderr.write("usage: ollama_double.py serve | --version | store DIR NAME... (aib test double)\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
