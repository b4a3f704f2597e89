"""schemas/render/litellm.py through the filters: aib_litellm_config and aib_litellm_env."""

from __future__ import annotations

import pytest
import yaml

SECRET_KEYS = {"api_key", "password", "master_key"}


@pytest.fixture
def cloud_registry(lab_registry):
    """The lab profile with every provider type enabled, wildcards and an exposed gateway."""
    providers = lab_registry["aib_providers"]
    providers["openai"].update(enabled=True, base_url="https://api.openai.example/v1")
    providers["anthropic"]["enabled"] = True
    providers["lab-remote"] = {
        "type": "openai_compatible",
        "base_url": "https://llm.lab.example/v1",
        "api_key_env": "LAB_LLM_KEY",
        "models": ["mixtral"],
    }
    providers["open-remote"] = {"type": "openai_compatible", "base_url": "http://10.0.0.7:8000/v1"}
    mappings = lab_registry["aib_model_mappings"]
    mappings["models"]["mixtral"] = {
        "served_by": [
            {"provider": "lab-remote", "weight": 3, "rpm": 60},
            {"provider": "open-remote", "model": "mixtral", "tpm": 9000},
        ]
    }
    mappings["models"]["gpt-4o-mini"] = "openai"
    mappings["models"]["claude"] = {"served_by": {"provider": "anthropic", "model": "claude-sonnet-4-5"}}
    mappings["wildcards"] = {"gpt-*": "openai", "claude-*": "anthropic"}
    lab_registry["aib_gateway"].update(
        bind="0.0.0.0",  # noqa: S104
        master_key="required",
        cors_origins=["https://chat.lab.example"],
        rate_limits={"per_key_rpm": 600, "max_parallel_requests": 64},
    )
    return lab_registry


def _entries(config):
    return {entry["model_info"]["id"]: entry for entry in config["model_list"]}


def test_default_profile_config(filters, default_profile):
    assert filters["aib_litellm_config"](default_profile) == {
        "model_list": [
            {
                "model_name": "smollm2",
                "litellm_params": {
                    "model": "openai/smollm2-135m",
                    "api_base": "http://127.0.0.1:8080/v1",
                    "api_key": "no-key",
                },
                "model_info": {
                    "id": "smollm2@llamacpp-native",
                    "provider": "llamacpp-native",
                    "input_cost_per_token": 0.0,
                    "output_cost_per_token": 0.0,
                },
            },
            {
                "model_name": "smollm2-python",
                "litellm_params": {
                    "model": "openai/smollm2-135m",
                    "api_base": "http://127.0.0.1:8000/v1",
                    "api_key": "no-key",
                },
                "model_info": {
                    "id": "smollm2-python@llamacpp-python",
                    "provider": "llamacpp-python",
                    "input_cost_per_token": 0.0,
                    "output_cost_per_token": 0.0,
                },
            },
        ],
        "router_settings": {
            "routing_strategy": "simple-shuffle",
            "num_retries": 1,
            "timeout": 120,
            "cooldown_time": 30,
            "allowed_fails": 2,
            "fallbacks": [{"smollm2": ["smollm2-python"]}],
            "model_group_alias": {"smol": "smollm2"},
        },
        "litellm_settings": {
            "drop_params": True,
            "request_timeout": 120,
            "callbacks": ["prometheus"],
            "cache": True,
            "cache_params": {
                "type": "redis",
                "host": "127.0.0.1",
                "port": 6379,
                "password": "os.environ/REDIS_PASSWORD",
                "ttl": 600,
            },
        },
        "general_settings": {},
    }


def test_local_engine_entries(filters, lab_profile):
    entries = _entries(filters["aib_litellm_config"](lab_profile))
    assert entries["llama3.1:8b@ollama"]["litellm_params"] == {
        "model": "ollama_chat/llama3.1:8b",
        "api_base": "http://127.0.0.1:11434",  # Ollama: bare server URL, no /v1
    }
    assert entries["qwen-coder@ollama"]["litellm_params"] == {
        "model": "ollama_chat/qwen2.5-coder:7b",
        "api_base": "http://127.0.0.1:11434",
    }
    assert entries["llama2-13b-vllm@vllm"]["litellm_params"] == {
        "model": "hosted_vllm/meta-llama/Llama-2-13b-chat-hf",
        "api_base": "http://127.0.0.1:8001/v1",
    }
    assert entries["smollm2@llamacpp-native"]["litellm_params"] == {
        "model": "openai/smollm2-135m",
        "api_base": "http://127.0.0.1:8080/v1",
        "api_key": "no-key",
    }
    assert entries["smollm2-python@llamacpp-python"]["litellm_params"] == {
        "model": "openai/smollm2-135m",
        "api_base": "http://127.0.0.1:8000/v1",
        "api_key": "no-key",
    }
    assert [e["model_name"] for e in filters["aib_litellm_config"](lab_profile)["model_list"]] == [
        "llama3.1:8b",
        "qwen-coder",
        "llama2-13b-vllm",
        "smollm2",
        "smollm2-python",
    ]


def test_cloud_and_remote_entries(filters, cloud_registry):
    entries = _entries(filters["aib_litellm_config"](cloud_registry))
    assert entries["gpt-4o-mini@openai"] == {
        "model_name": "gpt-4o-mini",
        "litellm_params": {
            "model": "openai/gpt-4o-mini",
            "api_key": "os.environ/OPENAI_API_KEY",
            "api_base": "https://api.openai.example/v1",
        },
        "model_info": {"id": "gpt-4o-mini@openai", "provider": "openai"},
    }
    assert entries["claude@anthropic"]["litellm_params"] == {
        "model": "anthropic/claude-sonnet-4-5",
        "api_key": "os.environ/ANTHROPIC_API_KEY",
    }
    assert entries["mixtral@lab-remote"]["litellm_params"] == {
        "model": "openai/mixtral",
        "api_base": "https://llm.lab.example/v1",
        "api_key": "os.environ/LAB_LLM_KEY",
        "weight": 3,
        "rpm": 60,
    }
    assert entries["mixtral@open-remote"]["litellm_params"] == {
        "model": "openai/mixtral",
        "api_base": "http://10.0.0.7:8000/v1",
        "api_key": "no-key",
        "tpm": 9000,
    }


def test_local_engines_are_priced_zero_and_cloud_models_keep_litellm_prices(filters, cloud_registry):
    entries = _entries(filters["aib_litellm_config"](cloud_registry))
    priced = {key: value for key, value in entries.items() if "input_cost_per_token" in value["model_info"]}
    local = {
        key
        for key, value in entries.items()
        if cloud_registry["aib_providers"][value["model_info"]["provider"]]["type"]
        in ("llamacpp", "llamacpp_python", "ollama", "vllm")
    }
    assert local, "the cloud registry has local engines too"
    assert set(priced) == local
    for entry in priced.values():
        assert entry["model_info"]["input_cost_per_token"] == 0.0
        assert entry["model_info"]["output_cost_per_token"] == 0.0


def test_openai_without_base_url_has_no_api_base(filters, cloud_registry):
    del cloud_registry["aib_providers"]["openai"]["base_url"]
    entries = _entries(filters["aib_litellm_config"](cloud_registry))
    assert entries["gpt-4o-mini@openai"]["litellm_params"] == {
        "model": "openai/gpt-4o-mini",
        "api_key": "os.environ/OPENAI_API_KEY",
    }


def test_wildcard_entries_come_last(filters, cloud_registry):
    model_list = filters["aib_litellm_config"](cloud_registry)["model_list"]
    assert model_list[-2:] == [
        {
            "model_name": "gpt-*",
            "litellm_params": {
                "model": "openai/gpt-*",
                "api_key": "os.environ/OPENAI_API_KEY",
                "api_base": "https://api.openai.example/v1",
            },
            "model_info": {"id": "gpt-*@openai", "provider": "openai"},
        },
        {
            "model_name": "claude-*",
            "litellm_params": {"model": "anthropic/claude-*", "api_key": "os.environ/ANTHROPIC_API_KEY"},
            "model_info": {"id": "claude-*@anthropic", "provider": "anthropic"},
        },
    ]


@pytest.mark.parametrize(
    ("host", "api_base"), [("localhost", "http://127.0.0.1:8080/v1"), ("::1", "http://[::1]:8080/v1")]
)
def test_engine_host_forms_in_api_base(filters, default_registry, host, api_base):
    default_registry["aib_providers"]["llamacpp-native"]["host"] = host
    entries = _entries(filters["aib_litellm_config"](default_registry))
    assert entries["smollm2@llamacpp-native"]["litellm_params"]["api_base"] == api_base


@pytest.mark.parametrize(
    ("strategy", "litellm"),
    [
        ("simple-shuffle", "simple-shuffle"),
        ("least-busy", "least-busy"),
        ("latency-based", "latency-based-routing"),
        ("usage-based", "usage-based-routing-v2"),
    ],
)
def test_routing_strategy_mapping(filters, default_registry, strategy, litellm):
    default_registry["aib_model_mappings"]["routing"]["strategy"] = strategy
    assert filters["aib_litellm_config"](default_registry)["router_settings"]["routing_strategy"] == litellm


def test_lab_router_settings(filters, lab_profile):
    assert filters["aib_litellm_config"](lab_profile)["router_settings"] == {
        "routing_strategy": "least-busy",
        "num_retries": 2,
        "timeout": 300,
        "cooldown_time": 30,
        "allowed_fails": 3,
        "fallbacks": [
            {"llama2-13b-vllm": ["llama3.1:8b"]},
            {"qwen-coder": ["llama3.1:8b", "smollm2"]},
            {"llama3.1:8b": ["smollm2"]},
            {"smollm2": ["smollm2-python"]},
        ],
        "model_group_alias": {"llama3": "llama3.1:8b", "qwen2.5-coder:7b": "qwen-coder"},
    }


def test_router_settings_without_fallbacks_or_aliases(filters, default_registry):
    default_registry["aib_model_mappings"]["fallbacks"] = {}
    default_registry["aib_model_mappings"]["aliases"] = {}
    assert filters["aib_litellm_config"](default_registry)["router_settings"] == {
        "routing_strategy": "simple-shuffle",
        "num_retries": 1,
        "timeout": 120,
        "cooldown_time": 30,
        "allowed_fails": 2,
    }


def test_cache_and_metrics_off(filters, default_registry):
    default_registry["aib_gateway"]["cache"] = {"enabled": False}
    default_registry["aib_observability"]["redis_exporter"]["enabled"] = False  # no Redis to export
    default_registry["aib_gateway"]["metrics"] = False
    config = filters["aib_litellm_config"](default_registry)
    assert config["litellm_settings"] == {"drop_params": True, "request_timeout": 120}
    assert filters["aib_litellm_env"](default_registry) == {}


def test_cache_params_follow_redis_and_ttl(filters, default_registry):
    default_registry["aib_redis"]["port"] = 6380
    default_registry["aib_gateway"]["cache"]["ttl_s"] = 60
    assert filters["aib_litellm_config"](default_registry)["litellm_settings"]["cache_params"] == {
        "type": "redis",
        "host": "127.0.0.1",
        "port": 6380,
        "password": "os.environ/REDIS_PASSWORD",
        "ttl": 60,
    }


def test_master_key_only_when_required(filters, default_profile, cloud_registry):
    assert filters["aib_litellm_config"](default_profile)["general_settings"] == {}
    assert "LITELLM_MASTER_KEY" not in filters["aib_litellm_env"](default_profile)
    assert filters["aib_litellm_config"](cloud_registry)["general_settings"] == {
        "master_key": "os.environ/LITELLM_MASTER_KEY",
        "global_max_parallel_requests": 64,
    }


def test_master_key_required_on_loopback(filters, default_registry):
    default_registry["aib_gateway"]["master_key"] = "required"
    assert filters["aib_litellm_config"](default_registry)["general_settings"] == {
        "master_key": "os.environ/LITELLM_MASTER_KEY"
    }


def test_env_names_map_to_ansible_variables(filters, default_profile, lab_profile, cloud_registry):
    assert filters["aib_litellm_env"](default_profile) == {"REDIS_PASSWORD": "aib_redis_password"}
    assert filters["aib_litellm_env"](lab_profile) == {
        "REDIS_PASSWORD": "aib_redis_password"
    }  # clouds disabled
    assert filters["aib_litellm_env"](cloud_registry) == {
        "ANTHROPIC_API_KEY": "aib_api_keys.ANTHROPIC_API_KEY",
        "LAB_LLM_KEY": "aib_api_keys.LAB_LLM_KEY",
        "LITELLM_MASTER_KEY": "aib_litellm_master_key",
        "OPENAI_API_KEY": "aib_api_keys.OPENAI_API_KEY",
        "REDIS_PASSWORD": "aib_redis_password",
    }


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


def test_no_secret_value_in_the_config(filters, cloud_registry):
    config = filters["aib_litellm_config"](cloud_registry)
    secrets = [(k, v) for k, v in _walk(config) if k in SECRET_KEYS]
    assert secrets
    assert all(v == "no-key" or v.startswith("os.environ/") for _, v in secrets), secrets
    # the environment names are the only link to the values, which live in Ansible variables
    env_names = {v.removeprefix("os.environ/") for _, v in secrets if v != "no-key"}
    assert env_names == set(filters["aib_litellm_env"](cloud_registry))
    text = yaml.safe_dump(config)
    for variable in ("aib_redis_password", "aib_litellm_master_key", "aib_api_keys", "sk-"):
        assert variable not in text


def test_mcp_servers(filters, default_registry):
    default_registry["aib_gateway"]["mcp_servers"] = {
        "fs": {
            "transport": "stdio",
            "command": "npx",
            "args": ["-y", "@mcp/fs", "/srv"],
            "env": {"FS_ROOT": "/srv"},
        },
        "docs": {"url": "http://127.0.0.1:9000/mcp", "description": "project docs"},
        "events": {"transport": "sse", "url": "https://mcp.lab.example/sse"},
        "git": {"transport": "stdio", "command": "mcp-git"},
    }
    assert filters["aib_litellm_config"](default_registry)["mcp_servers"] == {
        "fs": {
            "transport": "stdio",
            "command": "npx",
            "args": ["-y", "@mcp/fs", "/srv"],
            "env": {"FS_ROOT": "/srv"},
        },
        "docs": {"transport": "http", "url": "http://127.0.0.1:9000/mcp", "description": "project docs"},
        "events": {"transport": "sse", "url": "https://mcp.lab.example/sse"},
        "git": {"transport": "stdio", "command": "mcp-git", "args": []},
    }


def test_no_mcp_servers_key_without_servers(filters, default_profile):
    assert list(filters["aib_litellm_config"](default_profile)) == [
        "model_list",
        "router_settings",
        "litellm_settings",
        "general_settings",
    ]


def test_gateway_exposed(filters, default_profile, cloud_registry):
    assert filters["aib_gateway_exposed"](default_profile) is False
    assert filters["aib_gateway_exposed"](cloud_registry) is True


def test_deployment_ids_are_unique(filters, lab_registry):
    lab_registry["aib_model_mappings"]["models"]["coder"] = {
        "served_by": [
            {"provider": "ollama", "model": "qwen2.5-coder:7b"},
            {"provider": "ollama", "model": "llama3.1:8b"},
        ]
    }
    ids = [entry["model_info"]["id"] for entry in filters["aib_litellm_config"](lab_registry)["model_list"]]
    assert len(ids) == len(set(ids)), ids


def test_settings_env_carries_log_level_and_cors_origins(filters, default_registry) -> None:
    default_registry["aib_gateway"]["cors_origins"] = ["https://chat.lab.example", "http://localhost:3000"]
    assert filters["aib_litellm_settings_env"](default_registry) == {
        "LITELLM_LOG": "WARNING",
        "LITELLM_CORS_ORIGINS": "https://chat.lab.example,http://localhost:3000",
    }


def test_settings_env_without_origins_sets_no_cors_variable(filters, default_registry) -> None:
    assert filters["aib_litellm_settings_env"](default_registry) == {"LITELLM_LOG": "WARNING"}
