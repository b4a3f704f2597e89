"""Cross-section checks of `aib_observability`: what each enabled service needs elsewhere.

Called from the registry's model validator (schemas/registry.py), which also gives every enabled
service's port to the host-wide port check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import Issue

if TYPE_CHECKING:
    from .registry import Registry

OBSERVABILITY = "aib_observability"

# service -> (the service it needs, why), all within aib_observability
_NEEDS = {
    "alertmanager": ("prometheus", "Alertmanager receives its alerts from Prometheus"),
    "grafana": ("prometheus", "Grafana's dashboards read Prometheus"),
    "alloy": ("loki", "Alloy ships the logs to Loki"),
}


def check_observability(reg: Registry) -> list[Issue]:
    obs = reg.aib_observability
    services = obs.services()
    issues = []
    if obs.redis_exporter.enabled and not reg.aib_gateway.cache.enabled:
        issues.append(
            Issue(
                f"{OBSERVABILITY}.redis_exporter.enabled",
                "the Redis exporter needs Redis, which runs only with the gateway cache, and "
                "aib_gateway.cache.enabled is false; set enabled: false here or enable the cache",
            )
        )
    if obs.gpu_exporter.enabled and not reg.aib_gpu.devices:
        issues.append(
            Issue(
                f"{OBSERVABILITY}.gpu_exporter.enabled",
                "the GPU exporter needs a GPU and aib_gpu.devices is empty; describe the host's GPUs "
                "in aib_gpu.devices or set enabled: false here",
            )
        )
    for name, (needed, why) in _NEEDS.items():
        if services[name].enabled and not services[needed].enabled:
            issues.append(
                Issue(
                    f"{OBSERVABILITY}.{name}.enabled",
                    f"{why}, which is disabled; enable {OBSERVABILITY}.{needed} or set enabled: false here",
                )
            )
    return issues


def observability_ports(reg: Registry) -> list[tuple[int, str]]:
    """(port, registry path) of every enabled service, for the host-wide port check."""
    return [
        (service.port, f"{OBSERVABILITY}.{name}.port")
        for name, service in reg.aib_observability.enabled_services().items()
    ]
