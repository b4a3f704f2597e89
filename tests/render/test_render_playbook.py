"""`ansible-playbook site.yml --tags render`: generated files, determinism, no host contact, clean errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from .conftest import REPO, render

EXPECTED_FILES = {"litellm-unified.yaml", "prometheus.yml", "llamacpp-servers.yaml"}


def test_lab_render_writes_every_generated_file(lab_render: Path) -> None:
    assert {p.name for p in lab_render.iterdir()} == EXPECTED_FILES


def test_lab_render_reproduces_the_seed_provider_table(lab_render: Path) -> None:
    config = yaml.safe_load((lab_render / "litellm-unified.yaml").read_text())
    routes = {m["model_name"]: m["litellm_params"] for m in config["model_list"]}
    assert routes["llama3.1:8b"] == {"model": "ollama_chat/llama3.1:8b", "api_base": "http://127.0.0.1:11434"}
    assert routes["qwen-coder"] == {
        "model": "ollama_chat/qwen2.5-coder:7b",
        "api_base": "http://127.0.0.1:11434",
    }
    assert routes["llama2-13b-vllm"] == {
        "model": "hosted_vllm/meta-llama/Llama-2-13b-chat-hf",
        "api_base": "http://127.0.0.1:8001/v1",
    }
    assert routes["smollm2"]["api_base"] == "http://127.0.0.1:8080/v1"
    assert routes["smollm2-python"]["api_base"] == "http://127.0.0.1:8000/v1"


def test_lab_render_prometheus_scrapes_litellm_with_trailing_slash(lab_render: Path) -> None:
    prom = yaml.safe_load((lab_render / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["litellm"]["metrics_path"] == "/metrics/"
    assert jobs["llamacpp"]["static_configs"][0]["targets"] == ["127.0.0.1:8080"]
    assert jobs["vllm"]["static_configs"][0]["targets"] == ["127.0.0.1:8001"]


def test_render_is_deterministic_and_idempotent(lab_render: Path, tmp_path: Path) -> None:
    again = render(REPO / "inventory/lab", tmp_path)
    assert again.rc == 0, again.output
    for name in EXPECTED_FILES:
        assert (tmp_path / name).read_bytes() == (lab_render / name).read_bytes(), name
    third = render(REPO / "inventory/lab", tmp_path)
    assert "changed=0" in third.output, third.output


def test_render_never_contacts_the_managed_host(lab_render: Path, tmp_path: Path) -> None:
    # inventory/lab's host name does not resolve here: any connection attempt would be unreachable.
    result = render(REPO / "inventory/lab", tmp_path)
    assert "unreachable=0" in result.output, result.output
    assert "failed=0" in result.output, result.output
    assert "Gathering Facts" not in result.output


def test_default_profile_renders_the_cpu_gateway(default_render: Path) -> None:
    config = yaml.safe_load((default_render / "litellm-unified.yaml").read_text())
    assert [m["model_name"] for m in config["model_list"]] == ["smollm2", "smollm2-python"]
    assert config["general_settings"] == {}  # loopback: no master key in the default profile
    assert config["litellm_settings"]["cache_params"]["password"] == "os.environ/REDIS_PASSWORD"


def test_invalid_registry_stops_the_run_with_the_schema_message(lab_copy: Path, tmp_path: Path) -> None:
    mappings = lab_copy / "group_vars/ai_backend/model_mappings.yml"
    data = yaml.safe_load(mappings.read_text())
    data["aib_model_mappings"]["fallbacks"]["qwen-coder"] = ["llama3.1:8b", "qwen-2"]
    mappings.write_text(yaml.safe_dump(data))
    result = render(lab_copy, tmp_path / "out")
    assert result.rc != 0
    assert (
        "aib_model_mappings.fallbacks.qwen-coder[1]: unknown model 'qwen-2'; fallbacks name public models "
        "(known: llama2-13b-vllm, llama3.1:8b, qwen-coder, smollm2, smollm2-python)"
    ) in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing written


def test_invalid_registry_fails_before_any_host_task(lab_copy: Path) -> None:
    providers = lab_copy / "group_vars/ai_backend/providers.yml"
    data = yaml.safe_load(providers.read_text())
    data["aib_providers"]["vllm"]["port"] = 8080  # clashes with llamacpp-native
    providers.write_text(yaml.safe_dump(data))
    result = render(lab_copy, lab_copy / "out")  # a full run would fail the same way; render keeps it local
    assert result.rc != 0
    assert (
        "aib_providers.vllm.port: port 8080 is already taken by aib_providers.llamacpp-native.port"
        in result.output
    )
    assert "Traceback" not in result.output
