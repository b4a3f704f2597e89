"""The lab profile on its real GPU host: every engine on the GPU, every public model through :4000.

Not run by CI (no GPU there): `molecule test -s gpu-host` on the lab's machine (docs/engines.md).
"""

from __future__ import annotations

import json

import pytest
from gateway_client import chat, http_json, user_systemctl

UNITS = ["aib-ollama", "aib-llamacpp-native", "aib-llamacpp-python", "aib-vllm", "aib-litellm"]
CSV = "--format=csv,noheader"
PUBLIC = ["llama3.1:8b", "qwen2.5-coder:7b", "llama2-13b-vllm"]


@pytest.mark.parametrize("unit", UNITS)
def test_engine_units_are_active(host, unit: str) -> None:
    assert user_systemctl(host, "is-active", f"{unit}.service").stdout.strip() == "active"


def test_the_gpu_is_visible_and_used(host) -> None:
    gpus = host.check_output("nvidia-smi --query-gpu=index,name,memory.used --format=csv,noheader,nounits")
    assert gpus.strip(), "nvidia-smi lists no GPU"
    apps = host.check_output(f"nvidia-smi --query-compute-apps=pid,process_name,used_memory {CSV}")
    # llama-server, vLLM's engine core and the Ollama runner each hold GPU memory.
    assert len(apps.strip().splitlines()) >= 3, apps


def test_llama_server_is_the_cuda_build_and_holds_its_model_on_the_gpu(host) -> None:
    unit = host.file("/var/lib/aib/.config/systemd/user/aib-llamacpp-native.service").content_string
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    binary = exec_start.removeprefix("ExecStart=").split()[0]
    assert "libcudart" in host.check_output(f"ldd {binary}")
    apps = host.check_output(f"nvidia-smi --query-compute-apps=process_name,used_memory {CSV},nounits")
    used = [int(line.rsplit(",", 1)[1]) for line in apps.splitlines() if "llama-server" in line]
    assert used and max(used) > 90, f"llama-server holds no model-sized GPU memory: {apps}"


def test_ollama_holds_the_registry_models(host) -> None:
    tags = http_json(host, "GET", "/api/tags", base="http://127.0.0.1:11434")
    assert {"llama3.1:8b", "qwen2.5-coder:7b"} <= {m["name"] for m in tags["models"]}


@pytest.mark.parametrize("model", PUBLIC)
def test_every_public_model_answers_through_the_gateway(host, model: str) -> None:
    result = chat(host, model, "Say hello in one word.")
    assert result["status"] == 200, result
    assert json.loads(result["body"])["choices"][0]["message"]["content"].strip()
