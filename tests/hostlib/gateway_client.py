"""Helpers for the molecule scenarios' testinfra tests: talk HTTP to the converged host from inside it.

Shared by every scenario: each molecule/<scenario>/tests/conftest.py puts this directory on sys.path.

The services bind to the host's loopback, so requests run inside the container (system python3,
standard library only); the OpenAI SDK check uses the gateway venv's real `openai` package.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Any

AIB_USER = "aib"
AIB_HOME = "/var/lib/aib"
GATEWAY = "http://127.0.0.1:4000"
LITELLM_PYTHON = f"{AIB_HOME}/venvs/litellm/bin/python"

_REQUEST = r"""
import json, sys, time, urllib.request, urllib.error
method, url, body, stream = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
headers = {"Content-Type": "application/json", **json.loads(sys.argv[5] if len(sys.argv) > 5 else "{}")}
req = urllib.request.Request(url, method=method, data=body.encode() if body else None, headers=headers)
t0 = time.monotonic()
try:
    with urllib.request.urlopen(req, timeout=120) as resp:
        status, headers, raw = resp.status, dict(resp.headers), resp.read().decode()
except urllib.error.HTTPError as err:
    status, headers, raw = err.code, dict(err.headers), err.read().decode()
print(json.dumps({"status": status, "headers": {k.lower(): v for k, v in headers.items()},
                  "body": raw, "seconds": time.monotonic() - t0}))
"""


def http(
    host: Any,
    method: str,
    path: str,
    payload: dict | None = None,
    base: str = GATEWAY,
    headers: dict[str, str] | None = None,
) -> dict:
    body = json.dumps(payload) if payload is not None else ""
    cmd = (
        f"python3 -c {shlex.quote(_REQUEST)} {method} {shlex.quote(base + path)} {shlex.quote(body)} 0 "
        + shlex.quote(json.dumps(headers or {}))
    )
    out = host.check_output(cmd)
    return json.loads(out)


def http_json(host: Any, *args: Any, **kwargs: Any) -> dict:
    """`http(...)` that must answer 200; its JSON body."""
    result = http(host, *args, **kwargs)
    assert result["status"] == 200, result
    return json.loads(result["body"])


def chat(host: Any, model: str, prompt: str, **extra: Any) -> dict:
    payload = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": 16, **extra}
    return http(host, "POST", "/v1/chat/completions", payload)


def user_systemctl(host: Any, *args: str) -> Any:
    uid = host.user(AIB_USER).uid
    return host.run(
        f"sudo -u {AIB_USER} XDG_RUNTIME_DIR=/run/user/{uid} systemctl --user "
        + " ".join(map(shlex.quote, args))
    )


def wait_until(check, timeout: float = 120, interval: float = 2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except AssertionError as exc:  # keep polling; report the last failure
            last = exc
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {last!r}")
