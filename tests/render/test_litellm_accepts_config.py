"""The rendered gateway config is accepted by the pinned LiteLLM release's own code.

Runs in the LiteLLM venv that .ci/test builds from roles/litellm/files/requirements.txt (the
same hash-pinned release the role installs): LiteLLM's Router is built from the rendered
model_list and router_settings, which resolves every provider prefix and rejects unknown ones.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .conftest import require_litellm_python

ROUTER_CHECK = r"""
import json, sys, yaml
from litellm import Router
config = yaml.safe_load(open(sys.argv[1]))
router = Router(model_list=config["model_list"], **config["router_settings"])
print(json.dumps({
    "models": sorted(router.get_model_names()),
    "prefixes": sorted({d["litellm_params"]["model"].split("/", 1)[0] for d in router.get_model_list()}),
    "fallbacks": router.fallbacks,
    "aliases": router.model_group_alias,
    "strategy": router.routing_strategy,
}))
"""


def _run_check(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [require_litellm_python(), "-c", ROUTER_CHECK, str(config)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        check=False,
    )


def _router(config: Path) -> dict:
    proc = _run_check(config)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_litellm_router_accepts_the_lab_config(lab_render: Path) -> None:
    router = _router(lab_render / "litellm-unified.yaml")
    assert router["models"] == sorted(
        [
            "llama3.1:8b",
            "qwen-coder",
            "llama2-13b-vllm",
            "smollm2",
            "smollm2-python",
            "llama3",
            "qwen2.5-coder:7b",
        ]
    )
    assert router["prefixes"] == ["hosted_vllm", "ollama_chat", "openai"]
    assert {"qwen-coder": ["llama3.1:8b", "smollm2"]} in router["fallbacks"]
    assert router["aliases"] == {"llama3": "llama3.1:8b", "qwen2.5-coder:7b": "qwen-coder"}
    assert router["strategy"] == "least-busy"


def test_litellm_router_accepts_the_default_config(default_render: Path) -> None:
    router = _router(default_render / "litellm-unified.yaml")
    assert router["models"] == ["smol", "smollm2", "smollm2-python"]
    assert router["fallbacks"] == [{"smollm2": ["smollm2-python"]}]


def test_litellm_router_rejects_an_unknown_provider_prefix(tmp_path: Path) -> None:
    """Guards the guard: the check above would catch a wrong prefix."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        json.dumps(
            {
                "model_list": [{"model_name": "x", "litellm_params": {"model": "nosuch/x"}}],
                "router_settings": {},
            }
        )
    )
    proc = _run_check(bad)
    assert proc.returncode != 0
    assert "LLM Provider NOT provided" in proc.stderr
