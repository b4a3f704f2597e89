"""Monitoring and logging of the host (`aib_observability`): Prometheus, Alertmanager, the exporters,
Grafana, Loki and Alloy.

Every service is optional and listens on 127.0.0.1 (only Grafana has a `bind`). Checks that span
sections (ports, Redis for the Redis exporter, GPUs for the GPU exporter, what needs what) live in
schemas/observability_checks.py.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator

from .base import Duration, HttpUrl, Limits, Port, Strict, ip_address

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
_UNIT_MS["y"] = 365 * _UNIT_MS["d"]  # Prometheus and Loki: a year is 365 days


def duration_ms(value: str) -> int:
    """'15d' -> milliseconds (a `Duration`: one number and one unit)."""
    match = re.fullmatch(r"([0-9]+)(ms|s|m|h|d|w|y)", value)
    if match is None:
        raise ValueError(f"{value!r} is not a duration")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


class _Service(Strict):
    """A service of the stack: `enabled` and its loopback `port` (each subclass sets their defaults
    and ends with the unit's `limits`)."""

    enabled: bool
    port: Port


class Prometheus(_Service):
    enabled: bool = True
    port: Port = 9090
    retention_time: Duration = "15d"
    scrape_interval: Duration = "15s"
    evaluation_interval: Duration = "15s"
    limits: Limits = Limits()


class Receiver(Strict):
    """Where Alertmanager sends the alerts of one severity."""

    webhook_url: HttpUrl


Severity = Literal["critical", "warning", "info"]


class Alertmanager(_Service):
    enabled: bool = False
    port: Port = 9093
    receivers: dict[Severity, Receiver] = {}
    limits: Limits = Limits()


class NodeExporter(_Service):
    enabled: bool = True
    port: Port = 9100
    limits: Limits = Limits()


class RedisExporter(_Service):
    enabled: bool = True
    port: Port = 9121
    limits: Limits = Limits()


class GpuExporter(_Service):
    enabled: bool = False
    port: Port = 9835
    limits: Limits = Limits()


class Grafana(_Service):
    enabled: bool = False
    bind: str = "127.0.0.1"
    port: Port = 3000
    limits: Limits = Limits()

    @field_validator("bind")
    @classmethod
    def _ip_address(cls, v: str) -> str:
        return ip_address(v)


class Loki(_Service):
    enabled: bool = False
    port: Port = 3100
    retention_period: Duration = "15d"
    limits: Limits = Limits()

    @field_validator("retention_period")
    @classmethod
    def _whole_days(cls, v: str) -> str:
        if duration_ms(v) % _UNIT_MS["d"]:
            raise ValueError(
                f"{v!r} is not a multiple of 24h: Loki's compactor applies retention per 24h index "
                "period; use whole days (e.g. 15d)"
            )
        return v


class Alloy(_Service):
    enabled: bool = False
    port: Port = 12345
    limits: Limits = Limits()


class Observability(Strict):
    prometheus: Prometheus = Prometheus()
    alertmanager: Alertmanager = Alertmanager()
    node_exporter: NodeExporter = NodeExporter()
    redis_exporter: RedisExporter = RedisExporter()
    gpu_exporter: GpuExporter = GpuExporter()
    grafana: Grafana = Grafana()
    loki: Loki = Loki()
    alloy: Alloy = Alloy()

    def services(self) -> dict[str, _Service]:
        """Every service by its key, in the order above."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def enabled_services(self) -> dict[str, _Service]:
        return {name: s for name, s in self.services().items() if s.enabled}
