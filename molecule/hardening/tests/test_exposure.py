"""Exposure policy, seen from outside the host: only the gateway answers beyond loopback, it wants
the master key, CORS allows the registry's origins only; every other service listens on loopback."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest
from hardening_env import container_ip, deployed_secrets

ENGINE_AND_SERVICE_PORTS = [8080, 6379, 9090, 9100, 9121]


def _listening(host) -> list[tuple[str, int]]:
    """(address, port) of every listening TCP socket, from /proc/net/tcp{,6} (no ss needed)."""
    script = r"""
import socket, struct
out = []
for path, fam in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
    for line in open(path).read().splitlines()[1:]:
        f = line.split()
        if f[3] != "0A":
            continue
        addr, port = f[1].split(":")
        raw = bytes.fromhex(addr)
        raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
        out.append((socket.inet_ntop(fam, raw), int(port, 16)))
print(sorted(set(out)))
"""
    return [tuple(x) for x in eval(host.check_output("python3 -c %s", script))]  # noqa: S307


def _request(url: str, key: str | None = None, method: str = "GET", body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict, str]:  # fmt: skip
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if key:
        hdrs["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read().decode()


def test_only_the_gateway_listens_beyond_loopback(host) -> None:
    listening = _listening(host)
    public = sorted({port for addr, port in listening if addr not in ("127.0.0.1", "::1")})
    assert public == [4000], f"listening beyond loopback: {listening}"


@pytest.mark.parametrize("port", ENGINE_AND_SERVICE_PORTS)
def test_engines_and_services_are_unreachable_from_outside(host, port) -> None:
    with socket.socket() as s:
        s.settimeout(3)
        assert s.connect_ex((container_ip(host), port)) != 0, f"port {port} answers from outside"


def test_the_gateway_refuses_requests_without_the_master_key(host) -> None:
    base = f"http://{container_ip(host)}:4000"
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    # No key: 401. A wrong key: LiteLLM without a database answers 400 "No connected db." (it
    # would look the key up there); either way nothing is served.
    for key, allowed in ((None, (401,)), ("sk-wrong-key-0000000000000000", (400, 401, 403))):
        status, _, text = _request(f"{base}/v1/models", key)
        assert status in allowed, (key, status, text)
        status, _, text = _request(f"{base}/v1/chat/completions", key, "POST", body)
        assert status in allowed, (key, status, text)
        assert "choices" not in text


def test_the_gateway_serves_with_the_master_key_from_outside(host) -> None:
    key = deployed_secrets(host)["LITELLM_MASTER_KEY"]
    base = f"http://{container_ip(host)}:4000"
    status, _, text = _request(f"{base}/v1/models", key)
    assert status == 200, text
    assert {m["id"] for m in json.loads(text)["data"]} >= {"smollm2", "smollm2-compat"}
    for model in ("smollm2", "smollm2-compat"):  # smollm2-compat: the API key from the vault path
        body = {"model": model, "messages": [{"role": "user", "content": "Say ok."}], "max_tokens": 8}
        status, _, text = _request(f"{base}/v1/chat/completions", key, "POST", body)
        assert status == 200, text
        assert json.loads(text)["choices"][0]["message"]["content"] is not None


def test_metrics_need_the_master_key_beyond_loopback(host) -> None:
    status, _, _ = _request(f"http://{container_ip(host)}:4000/metrics/")
    assert status in (401, 403)


def test_cors_allows_the_registry_origin_only(host) -> None:
    url = f"http://{container_ip(host)}:4000/v1/chat/completions"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    good, evil = "https://lab.example.org", "https://evil.example.com"
    status, headers, _ = _request(url, method="OPTIONS", headers={"Origin": good, **preflight})
    assert status == 200
    assert headers.get("access-control-allow-origin") == good
    status, headers, _ = _request(url, method="OPTIONS", headers={"Origin": evil, **preflight})
    assert headers.get("access-control-allow-origin") not in ("*", evil), headers
