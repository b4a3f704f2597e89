"""The default profile end to end: real llama.cpp servers behind the real LiteLLM gateway.

Runs with testinfra against the converged molecule host; every request is made inside it.
"""

from __future__ import annotations

import json

import pytest
from gateway_client import (
    LITELLM_PYTHON,
    chat,
    http,
    http_json,
    user_systemctl,
    wait_until,
)

UNITS = [
    "aib-llamacpp-native",
    "aib-llamacpp-python",
    "aib-redis",
    "aib-litellm",
    "aib-litellm-front",
    "aib-litellm-standby",  # warm: running, not listening (test_the_front_forwards_to_the_primary_instance)
]
PUBLIC_MODELS = {"smollm2", "smollm2-python"}


@pytest.mark.parametrize("unit", UNITS)
def test_every_service_is_an_active_user_unit(host, unit: str) -> None:
    assert user_systemctl(host, "is-active", f"{unit}.service").stdout.strip() == "active"
    assert user_systemctl(host, "is-enabled", f"{unit}.service").stdout.strip() == "enabled"
    assert host.file(f"/var/lib/aib/.config/systemd/user/{unit}.service").exists


def test_nothing_but_the_gateway_listens_beyond_loopback(host) -> None:
    listeners = host.check_output("ss -Htlnp").splitlines()
    assert listeners, "no listening sockets at all"
    local = [line.split()[3] for line in listeners]
    exposed = [a for a in local if not (a.startswith(("127.", "[::1]")))]
    assert exposed == [], f"listening beyond loopback: {exposed}"
    ports = {a.rsplit(":", 1)[1] for a in local}
    assert {"4000", "4001", "8080", "8000", "6379"} <= ports


def test_the_front_forwards_to_the_primary_instance(host) -> None:
    """nginx (aib-litellm-front) holds :4000 and forwards to the primary LiteLLM instance on :4001;
    the standby (:4002) is warm: running, LiteLLM imported, waiting on its control socket, not
    listening until a handover asks it to serve."""
    front = user_systemctl(host, "show", "-p", "MainPID", "--value", "aib-litellm-front.service")
    front_pid = front.stdout.strip()
    assert host.file(f"/proc/{front_pid}/comm").content_string.strip() == "nginx"
    primary = user_systemctl(host, "show", "-p", "ExecStart", "--value", "aib-litellm.service").stdout
    assert "--host 127.0.0.1 --port 4001 " in primary, primary
    with host.sudo():
        conf = host.file("/var/lib/aib/etc/litellm/front.nginx.conf").content_string
    assert "listen 127.0.0.1:4000 backlog=4096;" in conf
    assert "server 127.0.0.1:4001 max_fails=0;" in conf
    assert "server 127.0.0.1:4002 max_fails=0 backup;" in conf
    listening = {line.split()[3].rsplit(":", 1)[1] for line in host.check_output("ss -Htln").splitlines()}
    assert {"4000", "4001"} <= listening and "4002" not in listening, listening
    assert user_systemctl(host, "is-active", "aib-litellm-standby.service").stdout.strip() == "active"
    assert user_systemctl(host, "is-enabled", "aib-litellm-standby.service").stdout.strip() == "enabled"
    standby = user_systemctl(host, "show", "-p", "ExecStart", "--value", "aib-litellm-standby.service").stdout
    assert "/var/lib/aib/bin/aib-litellm-warm --control /var/lib/aib/data/litellm/standby.sock" in standby
    litellm = "/var/lib/aib/venvs/litellm/bin/litellm --config /var/lib/aib/etc/litellm/config.yaml "
    assert f" -- {litellm}" in standby
    assert "--port 4002 " in standby, standby
    with host.sudo():
        sock = host.file("/var/lib/aib/data/litellm/standby.sock")
        assert sock.is_socket, "the warm standby waits on its control socket"
        assert sock.user == "aib" and sock.mode == 0o700


def test_models_endpoint_lists_the_registry_public_names(host) -> None:
    body = http_json(host, "GET", "/v1/models")
    assert {m["id"] for m in body["data"]} >= PUBLIC_MODELS


@pytest.mark.parametrize("model", sorted(PUBLIC_MODELS))
def test_chat_completion_returns_generated_text(host, model: str) -> None:
    result = chat(host, model, "Name a colour.")
    assert result["status"] == 200, result
    body = json.loads(result["body"])
    text = body["choices"][0]["message"]["content"]
    assert text.strip(), body
    assert body["usage"]["completion_tokens"] > 0


def test_streaming_chat_completion_streams_generated_text(host) -> None:
    result = chat(host, "smollm2", "Count to five.", stream=True)
    assert result["status"] == 200, result
    events = [line[len("data: ") :] for line in result["body"].splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert len(chunks) > 2
    assert text.strip()


SEED_SNIPPET = """
from openai import OpenAI

client = OpenAI(base_url="http://localhost:4000", api_key="not-needed")
response = client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "Hello"}])
print(response.choices[0].message.content)
"""


def test_seed_snippet_runs_verbatim_with_the_openai_sdk(host) -> None:
    out = host.run(f"{LITELLM_PYTHON} - <<'EOF'\n{SEED_SNIPPET}\nEOF")
    assert out.rc == 0, out.stderr
    assert out.stdout.strip()


def test_alias_routes_to_its_model(host) -> None:
    result = chat(host, "smol", "Say hi.")
    assert result["status"] == 200, result


def test_unknown_model_is_a_clean_client_error(host) -> None:
    result = chat(host, "no-such-model", "hi")
    assert result["status"] in (400, 404), result
    assert "no-such-model" in result["body"]


def test_repeated_identical_request_is_a_redis_cache_hit(host) -> None:
    prompt = "Cache probe: reply with one word."
    first = chat(host, "smollm2", prompt, temperature=0)
    second = chat(host, "smollm2", prompt, temperature=0)
    assert first["status"] == second["status"] == 200
    assert second["headers"].get("x-litellm-cache-key"), second["headers"]
    assert json.loads(second["body"])["choices"] == json.loads(first["body"])["choices"]


def test_fallback_serves_when_the_native_server_is_down(host) -> None:
    assert user_systemctl(host, "stop", "aib-llamacpp-native.service").rc == 0
    try:
        result = chat(host, "smollm2", "Fallback probe: name a fruit.", temperature=0.7)
        assert result["status"] == 200, result
        assert json.loads(result["body"])["choices"][0]["message"]["content"].strip()
        metrics = http(host, "GET", "/metrics/")["body"]
        fallback_lines = [
            line for line in metrics.splitlines() if "fallback" in line and not line.startswith("#")
        ]
        assert any(line.rstrip().split()[-1] not in ("0", "0.0") for line in fallback_lines), fallback_lines
    finally:
        user_systemctl(host, "start", "aib-llamacpp-native.service")
        wait_until(lambda: http(host, "GET", "/health", base="http://127.0.0.1:8080")["status"] == 200)


def test_gateway_metrics_have_request_series_after_traffic(host) -> None:
    chat(host, "smollm2", "Metrics probe.")
    metrics = http(host, "GET", "/metrics/")
    assert metrics["status"] == 200
    series = [line for line in metrics["body"].splitlines() if line and not line.startswith("#")]
    assert any(line.startswith("litellm_") for line in series), metrics["body"][:2000]


def test_mcp_tools_of_the_registry_server_are_listed_and_callable_through_the_gateway(host) -> None:
    client = f"{LITELLM_PYTHON} /opt/aib-tests/mcp/list_tools.py http://127.0.0.1:4000/mcp/"
    listed = host.run(client)
    assert listed.rc == 0, listed.stderr
    tools = json.loads(listed.stdout)["tools"]
    echo = [t for t in tools if t.endswith("echo")]
    add = [t for t in tools if t.endswith("add")]
    assert echo, tools
    assert add, tools
    called = host.run(f'{client} --call {add[0]} \'{{"a": 2, "b": 40}}\'')
    assert called.rc == 0, called.stderr
    assert json.loads(called.stdout)["result"] == "42"
