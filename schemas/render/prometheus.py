"""Prometheus scrape configuration rendered from the registry.

LiteLLM is scraped on `/metrics/` (with the slash): since 1.88 `/metrics` answers a 307 that
Prometheus records as a healthy target with no samples.
"""

from __future__ import annotations

from typing import Any

from ..providers import LlamaCppProvider, VllmProvider
from ..registry import Registry

SCRAPE_INTERVAL = "15s"


def _target(host: str, port: int) -> str:
    # A wildcard bind is scraped through loopback.
    host = {"localhost": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def scrape_configs(reg: Registry) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    gw = reg.aib_gateway
    if gw.metrics:
        jobs.append(
            {
                "job_name": "litellm",
                "metrics_path": "/metrics/",
                "static_configs": [{"targets": [_target(gw.bind, gw.port)], "labels": {"service": "gateway"}}],
            }
        )
    engines: dict[str, list[dict[str, Any]]] = {}
    for name, p in reg.enabled_providers().items():
        # llama-server exports /metrics (started with --metrics); vLLM always does. Ollama and
        # llama-cpp-python have no Prometheus endpoint: their health is probed by the validation.
        if isinstance(p, LlamaCppProvider | VllmProvider):
            job = "llamacpp" if isinstance(p, LlamaCppProvider) else "vllm"
            engines.setdefault(job, []).append(
                {"targets": [_target(p.host, p.port)], "labels": {"provider": name, "service": "engine"}}
            )
    for job, static in sorted(engines.items()):
        jobs.append({"job_name": job, "metrics_path": "/metrics", "static_configs": static})
    return jobs


def prometheus_config(reg: Registry) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": scrape_configs(reg),
    }
