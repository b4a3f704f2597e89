"""Prometheus configuration rendered from the registry.

Job names are fixed: alert rules and dashboards are written against them (see JOBS).
LiteLLM is scraped on `/metrics/` (with the slash): since 1.88 `/metrics` answers a 307 that
Prometheus records as a healthy target with no samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..providers import LlamaCppProvider, VllmProvider
from ..registry import Registry

# aib_observability service -> its scrape job, in the order of the rendered scrape_configs.
OBSERVABILITY_JOBS = {
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
    "node_exporter": "node",
    "redis_exporter": "redis",
    "gpu_exporter": "nvidia_gpu",
    "loki": "loki",
    "alloy": "alloy",
    "grafana": "grafana",
}
# Every job name the config can hold, in the order it lists them.
JOBS = ("litellm", "llamacpp", "vllm", *OBSERVABILITY_JOBS.values())


def target(host: str, port: int) -> str:
    """host:port to reach a service from the host itself; a wildcard bind is reached through loopback."""
    host = {"localhost": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _observability_jobs(reg: Registry) -> list[dict[str, Any]]:
    jobs = []
    obs = reg.aib_observability
    enabled = obs.enabled_services()
    for service, job in OBSERVABILITY_JOBS.items():
        if service not in enabled:
            continue
        host = obs.grafana.bind if service == "grafana" else "127.0.0.1"
        jobs.append(
            {
                "job_name": job,
                "metrics_path": "/metrics",
                "static_configs": [
                    {"targets": [target(host, enabled[service].port)], "labels": {"service": service}}
                ],
            }
        )
    return jobs


def scrape_configs(reg: Registry) -> list[dict[str, Any]]:
    """Prometheus `scrape_configs`: the gateway, the engines with a metrics endpoint and every
    enabled service of aib_observability, one job each (job names: JOBS)."""
    jobs: list[dict[str, Any]] = []
    gw = reg.aib_gateway
    if gw.metrics:
        jobs.append(
            {
                "job_name": "litellm",
                "metrics_path": "/metrics/",
                "static_configs": [{"targets": [target(gw.bind, gw.port)], "labels": {"service": "gateway"}}],
            }
        )
    engines: dict[str, list[dict[str, Any]]] = {}
    for name, p in reg.enabled_providers().items():
        # llama-server exports /metrics (started with --metrics); vLLM always does. Ollama and
        # llama-cpp-python have no Prometheus endpoint: their health is probed by the validation.
        if isinstance(p, LlamaCppProvider | VllmProvider):
            job = "llamacpp" if isinstance(p, LlamaCppProvider) else "vllm"
            engines.setdefault(job, []).append(
                {"targets": [target(p.host, p.port)], "labels": {"provider": name, "service": "engine"}}
            )
    for job, static in sorted(engines.items()):
        jobs.append({"job_name": job, "metrics_path": "/metrics", "static_configs": static})
    jobs.extend(_observability_jobs(reg))
    return jobs


def _rule_files(rule_files: Any) -> list[str]:
    if isinstance(rule_files, str) or not isinstance(rule_files, Sequence):
        raise ValueError(f"rule_files: expected a list of paths, got {rule_files!r}")
    bad = [f for f in rule_files if not isinstance(f, str) or not f]
    if bad:
        raise ValueError(f"rule_files: every entry must be a non-empty path, got {bad[0]!r}")
    return list(rule_files)


def _with_gateway_auth(jobs: list[dict[str, Any]], reg: Registry, credentials_file: str | None) -> None:
    """With a master key LiteLLM answers 401 on /metrics/: Prometheus sends the key as a bearer
    token read from a file (0600, written by the play), never inline in prometheus.yml."""
    if reg.aib_gateway.master_key != "required" or not reg.aib_gateway.metrics:
        return
    if not isinstance(credentials_file, str) or not credentials_file.startswith("/"):
        raise ValueError(
            "gateway_credentials_file: aib_gateway.master_key is required, so Prometheus needs the "
            f"absolute path of the file holding the key to scrape /metrics/ (got {credentials_file!r})"
        )
    for job in jobs:
        if job["job_name"] == "litellm":
            job["authorization"] = {"type": "Bearer", "credentials_file": credentials_file}


def prometheus_config(
    reg: Registry, rule_files: Sequence[str] | None = None, gateway_credentials_file: str | None = None
) -> dict[str, Any]:
    """The whole prometheus.yml: intervals from aib_observability.prometheus, `rule_files` when
    given, Alertmanager when enabled, and the scrape configs (the gateway's with a bearer-token
    file when it requires a master key)."""
    prom = reg.aib_observability.prometheus
    config: dict[str, Any] = {
        "global": {"scrape_interval": prom.scrape_interval, "evaluation_interval": prom.evaluation_interval}
    }
    if rule_files is not None:
        config["rule_files"] = _rule_files(rule_files)
    am = reg.aib_observability.alertmanager
    if am.enabled:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [target("127.0.0.1", am.port)]}]}]
        }
    jobs = scrape_configs(reg)
    _with_gateway_auth(jobs, reg, gateway_credentials_file)
    config["scrape_configs"] = jobs
    return config
