"""The LiteLLM proxy configuration (`config.yaml`) rendered from the registry.

Provider prefixes and `api_base` forms follow LiteLLM's providers:
Ollama `ollama_chat/` with the bare server URL (no /v1); vLLM `hosted_vllm/` with /v1;
both llama.cpp servers and other OpenAI-compatible servers `openai/` with /v1.
Secrets never appear: they are referenced as `os.environ/VAR` and reach the unit as environment.
"""

from __future__ import annotations

from typing import Any

from ..base import is_loopback
from ..providers import (
    AnthropicProvider,
    LlamaCppProvider,
    LlamaCppPythonProvider,
    OllamaProvider,
    OpenAICompatibleProvider,
    OpenAIProvider,
    Provider,
    VllmProvider,
    _LocalEngine,
)
from ..registry import Registry

MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
REDIS_PASSWORD_ENV = "REDIS_PASSWORD"
# llama.cpp servers need no key, but LiteLLM's OpenAI client insists on one: a fixed, non-secret value.
NO_KEY = "no-key"

# A model served by a local engine costs nothing per token. LiteLLM prices every response; given
# this price in model_info instead of none (its price map has no local models), the gateway spends
# about 17% less CPU per request (tests/perf/gateway_bench.py, docs/performance.md). Cloud models
# keep LiteLLM's own prices.
LOCAL_PRICE = {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0}

_ROUTING = {
    "simple-shuffle": "simple-shuffle",
    "least-busy": "least-busy",
    "latency-based": "latency-based-routing",
    "usage-based": "usage-based-routing-v2",
}


def _url(host: str, port: int) -> str:
    host = "127.0.0.1" if host == "localhost" else host
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def provider_params(provider: Provider, model: str) -> dict[str, Any]:
    """`litellm_params` for one provider-side model."""
    if isinstance(provider, OllamaProvider):
        return {"model": f"ollama_chat/{model}", "api_base": _url(provider.host, provider.port)}
    if isinstance(provider, VllmProvider):
        params = {"model": f"hosted_vllm/{model}", "api_base": _url(provider.host, provider.port) + "/v1"}
        if provider.api_key_env:
            params["api_key"] = f"os.environ/{provider.api_key_env}"
        return params
    if isinstance(provider, LlamaCppProvider | LlamaCppPythonProvider):
        return {
            "model": f"openai/{model}",
            "api_base": _url(provider.host, provider.port) + "/v1",
            "api_key": NO_KEY,
        }
    if isinstance(provider, OpenAIProvider):
        params = {"model": f"openai/{model}", "api_key": f"os.environ/{provider.api_key_env}"}
        if provider.base_url:
            params["api_base"] = provider.base_url
        return params
    if isinstance(provider, AnthropicProvider):
        return {"model": f"anthropic/{model}", "api_key": f"os.environ/{provider.api_key_env}"}
    if isinstance(provider, OpenAICompatibleProvider):
        key = f"os.environ/{provider.api_key_env}" if provider.api_key_env else NO_KEY
        return {"model": f"openai/{model}", "api_base": provider.base_url, "api_key": key}
    raise TypeError(f"no LiteLLM mapping for provider type {provider.type!r}")  # pragma: no cover


def model_info(deployment_id: str, provider_name: str, provider: Provider) -> dict[str, Any]:
    """`model_info` of one deployment: its id, its provider and, for a local engine, a price of 0."""
    info: dict[str, Any] = {"id": deployment_id, "provider": provider_name}
    if isinstance(provider, _LocalEngine):
        info.update(LOCAL_PRICE)
    return info


def model_list(reg: Registry) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for public, entry in reg.aib_model_mappings.models.items():
        repeated = {d.provider for d in entry.served_by if [x.provider for x in entry.served_by].count(d.provider) > 1}
        for index, dep in enumerate(entry.served_by):
            provider = reg.aib_providers[dep.provider]
            deployment_id = f"{public}@{dep.provider}" + (f"#{index}" if dep.provider in repeated else "")
            params = provider_params(provider, reg.deployment_model(dep, public))
            for key in ("weight", "rpm", "tpm"):
                if getattr(dep, key) is not None:
                    params[key] = getattr(dep, key)
            entries.append(
                {
                    "model_name": public,
                    "litellm_params": params,
                    "model_info": model_info(deployment_id, dep.provider, provider),
                }
            )
    for wildcard, provider_name in reg.aib_model_mappings.wildcards.items():
        provider = reg.aib_providers[provider_name]
        entries.append(
            {
                "model_name": wildcard,
                "litellm_params": provider_params(provider, wildcard),
                "model_info": model_info(f"{wildcard}@{provider_name}", provider_name, provider),
            }
        )
    return entries


def router_settings(reg: Registry) -> dict[str, Any]:
    routing = reg.aib_model_mappings.routing
    settings: dict[str, Any] = {
        "routing_strategy": _ROUTING[routing.strategy],
        "num_retries": routing.retries,
        "timeout": routing.timeout_s,
        "cooldown_time": routing.cooldown_s,
        "allowed_fails": routing.allowed_fails,
    }
    if reg.aib_model_mappings.fallbacks:
        settings["fallbacks"] = [{name: list(chain)} for name, chain in reg.aib_model_mappings.fallbacks.items()]
    if reg.aib_model_mappings.aliases:
        settings["model_group_alias"] = dict(reg.aib_model_mappings.aliases)
    return settings


def litellm_settings(reg: Registry) -> dict[str, Any]:
    gw = reg.aib_gateway
    settings: dict[str, Any] = {"drop_params": True, "request_timeout": reg.aib_model_mappings.routing.timeout_s}
    if gw.metrics:
        settings["callbacks"] = ["prometheus"]
    if gw.cache.enabled:
        settings["cache"] = True
        settings["cache_params"] = {
            "type": "redis",
            "host": "127.0.0.1",
            "port": reg.aib_redis.port,
            "password": f"os.environ/{REDIS_PASSWORD_ENV}",
            "ttl": gw.cache.ttl_s,
        }
    return settings


def general_settings(reg: Registry) -> dict[str, Any]:
    gw = reg.aib_gateway
    settings: dict[str, Any] = {}
    if gw.master_key != "none":
        settings["master_key"] = f"os.environ/{MASTER_KEY_ENV}"
    if gw.rate_limits.max_parallel_requests:
        settings["global_max_parallel_requests"] = gw.rate_limits.max_parallel_requests
    return settings


def mcp_servers(reg: Registry) -> dict[str, Any]:
    servers: dict[str, Any] = {}
    for name, server in reg.aib_gateway.mcp_servers.items():
        entry: dict[str, Any] = {"transport": server.transport}
        if server.transport == "stdio":
            entry["command"] = server.command
            entry["args"] = list(server.args)
            if server.env:
                entry["env"] = dict(server.env)
        else:
            entry["url"] = server.url
        if server.description:
            entry["description"] = server.description
        servers[name] = entry
    return servers


def litellm_config(reg: Registry) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model_list": model_list(reg),
        "router_settings": router_settings(reg),
        "litellm_settings": litellm_settings(reg),
        "general_settings": general_settings(reg),
    }
    servers = mcp_servers(reg)
    if servers:
        config["mcp_servers"] = servers
    return config


def litellm_env(reg: Registry) -> dict[str, str]:
    """Environment variables the gateway needs -> the Ansible variable that holds each value.

    Only names: the playbook looks the values up (from Vault) and writes them to a 0600 file.
    """
    env: dict[str, str] = {}
    if reg.aib_gateway.master_key != "none":
        env[MASTER_KEY_ENV] = "aib_litellm_master_key"
    if reg.aib_gateway.cache.enabled:
        env[REDIS_PASSWORD_ENV] = "aib_redis_password"
    for provider in reg.enabled_providers().values():
        key_env = getattr(provider, "api_key_env", None)
        if key_env:
            env[key_env] = f"aib_api_keys.{key_env}"
    return dict(sorted(env.items()))


def litellm_settings_env(reg: Registry) -> dict[str, str]:
    """Non-secret environment for the gateway unit: settings LiteLLM reads only from the environment."""
    env = {"LITELLM_LOG": reg.aib_gateway.log_level}
    if reg.aib_gateway.cors_origins:
        env["LITELLM_CORS_ORIGINS"] = ",".join(reg.aib_gateway.cors_origins)
    return env


def gateway_exposed(reg: Registry) -> bool:
    return not is_loopback(reg.aib_gateway.bind)
