"""Per-service settings for the roles' systemd units, derived from the registry."""

from __future__ import annotations

from typing import Any

from ..providers import LlamaCppPythonProvider, LlamaCppProvider, OllamaProvider, Provider, VllmProvider
from ..registry import Registry


def llamacpp_servers(reg: Registry) -> list[dict[str, Any]]:
    """Input of the `llamacpp` role (`llamacpp_servers`), one item per enabled llama.cpp provider."""
    servers = []
    for name, p in reg.enabled_providers().items():
        if not isinstance(p, LlamaCppProvider | LlamaCppPythonProvider):
            continue
        file = reg.aib_model_files[p.model.file]
        native = isinstance(p, LlamaCppProvider)
        servers.append(
            {
                "name": name,
                "flavour": "native" if native else "python",
                "host": p.host,
                "port": p.port,
                "model_alias": p.model.name,
                "model_file": {
                    "name": p.model.file,
                    "filename": file.host_filename,
                    "url": file.url,
                    "sha256": file.sha256,
                    "member": file.member,
                    "member_sha256": file.member_sha256,
                },
                "ctx_size": p.settings.ctx_size,
                "parallel": p.settings.parallel if native else 1,
                "threads": p.settings.threads,
                "gpu_layers": p.settings.gpu_layers,
                "cuda_visible_devices": _devices(p),
                "extra_args": list(p.settings.extra_args) if native else [],
                "chat_format": None if native else p.settings.chat_format,
                "limits": p.limits.model_dump(mode="json"),
            }
        )
    return servers


def _devices(p: Provider) -> str:
    gpu = getattr(p, "gpu", None)
    return ",".join(map(str, gpu.devices)) if gpu else ""


def ollama_servers(reg: Registry) -> list[dict[str, Any]]:
    """Input of the `ollama` role (`ollama_servers`), one item per enabled Ollama provider."""
    return [
        {
            "name": name,
            "host": p.host,
            "port": p.port,
            "models": list(p.models),
            "keep_alive": p.settings.keep_alive,
            "num_parallel": p.settings.num_parallel,
            "max_loaded_models": p.settings.max_loaded_models,
            "prune_unlisted": p.settings.prune_unlisted,
            "cuda_visible_devices": _devices(p),
            "limits": p.limits.model_dump(mode="json"),
        }
        for name, p in reg.enabled_providers().items()
        if isinstance(p, OllamaProvider)
    ]


def vllm_servers(reg: Registry) -> list[dict[str, Any]]:
    """Input of the `vllm` role (`vllm_servers`), one item (one unit, one model) per enabled vLLM provider."""
    return [
        {
            "name": name,
            "host": p.host,
            "port": p.port,
            "model": p.model.name,
            "served_model_name": p.model.name,
            "gpu_memory_utilization": p.settings.gpu_memory_utilization,
            "max_model_len": p.settings.max_model_len,
            "dtype": p.settings.dtype,
            "tensor_parallel_size": p.settings.tensor_parallel_size,
            "hf_home": p.settings.hf_home,
            "hf_offline": p.settings.hf_offline,
            "cpu_kv_cache_gb": p.settings.cpu_kv_cache_gb,
            "extra_args": list(p.settings.extra_args),
            "api_key_env": p.api_key_env,
            "cuda_visible_devices": _devices(p),
            "limits": p.limits.model_dump(mode="json"),
        }
        for name, p in reg.enabled_providers().items()
        if isinstance(p, VllmProvider)
    ]
