"""Per-service settings for the roles' systemd units, derived from the registry."""

from __future__ import annotations

from typing import Any

from ..providers import LlamaCppPythonProvider, LlamaCppProvider
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
                "cuda_visible_devices": ",".join(map(str, p.gpu.devices)) if p.gpu else "",
                "extra_args": list(p.settings.extra_args) if native else [],
                "chat_format": None if native else p.settings.chat_format,
                "limits": p.limits.model_dump(mode="json"),
            }
        )
    return servers
