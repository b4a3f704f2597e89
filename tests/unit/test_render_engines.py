"""schemas/render/units.py through aib_ollama_servers and aib_vllm_servers (inputs of the
`ollama` and `vllm` roles)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

NO_LIMITS = {"memory_max": None, "cpu_quota": None, "tasks_max": None}


def test_lab_ollama_server(filters, lab_profile):
    assert filters["aib_ollama_servers"](lab_profile) == [
        {
            "name": "ollama",
            "host": "127.0.0.1",
            "port": 11434,
            "models": ["llama3.1:8b", "qwen2.5-coder:7b"],
            "keep_alive": "30m",
            "num_parallel": 4,
            "max_loaded_models": 2,
            "prune_unlisted": False,
            "cuda_visible_devices": "0",
            "limits": NO_LIMITS,
        }
    ]


def test_lab_vllm_server(filters, lab_profile):
    assert filters["aib_vllm_servers"](lab_profile) == [
        {
            "name": "vllm",
            "host": "127.0.0.1",
            "port": 8001,
            "model": "meta-llama/Llama-2-13b-chat-hf",
            "served_model_name": "meta-llama/Llama-2-13b-chat-hf",
            "gpu_memory_utilization": 0.55,
            "max_model_len": 4096,
            "dtype": "float16",
            "tensor_parallel_size": 1,
            "hf_home": None,
            "hf_offline": False,
            "cpu_kv_cache_gb": None,
            "extra_args": [],
            "api_key_env": None,
            "cuda_visible_devices": "0",
            "limits": NO_LIMITS,
        }
    ]


def test_the_default_profile_has_no_ollama_and_no_vllm(filters, default_profile):
    assert filters["aib_ollama_servers"](default_profile) == []
    assert filters["aib_vllm_servers"](default_profile) == []


def test_vllm_offline_settings_and_key_reach_the_role_and_the_gateway(filters, lab_registry):
    vllm = lab_registry["aib_providers"]["vllm"]
    vllm["settings"].update({"hf_home": "/srv/hf", "hf_offline": True, "cpu_kv_cache_gb": 2})
    vllm["api_key_env"] = "VLLM_API_KEY"
    (server,) = filters["aib_vllm_servers"](lab_registry)
    assert (server["hf_home"], server["hf_offline"], server["cpu_kv_cache_gb"]) == ("/srv/hf", True, 2)
    assert server["api_key_env"] == "VLLM_API_KEY"
    assert filters["aib_litellm_env"](lab_registry)["VLLM_API_KEY"] == "aib_api_keys.VLLM_API_KEY"
    route = next(
        m["litellm_params"]
        for m in filters["aib_litellm_config"](lab_registry)["model_list"]
        if m["model_name"] == "llama2-13b-vllm"
    )
    assert route == {
        "model": "hosted_vllm/meta-llama/Llama-2-13b-chat-hf",
        "api_base": "http://127.0.0.1:8001/v1",
        "api_key": "os.environ/VLLM_API_KEY",
    }


def test_vllm_without_a_key_gets_no_api_key_param(filters, lab_profile):
    route = next(
        m["litellm_params"]
        for m in filters["aib_litellm_config"](lab_profile)["model_list"]
        if m["model_name"] == "llama2-13b-vllm"
    )
    assert "api_key" not in route


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        (
            "hf_home",
            "relative/hf",
            "aib_providers.vllm.settings.hf_home: 'relative/hf' is not valid: expected an "
            "absolute path of letters, digits and . _ / - (e.g. /srv/hf)",
        ),
        (
            "cpu_kv_cache_gb",
            0,
            "aib_providers.vllm.settings.cpu_kv_cache_gb: Input should be greater than or equal to 1 (got 0)",
        ),
    ],
)
def test_bad_vllm_settings_are_refused_naming_the_path(filters, lab_registry, setting, value, problem):
    lab_registry["aib_providers"]["vllm"]["settings"][setting] = value
    with pytest.raises(AnsibleFilterError) as info:
        filters["aib_vllm_servers"](lab_registry)
    assert problem in str(info.value.__cause__)
