"""The `aib_observability` section for the monitoring roles: every default filled in, plus a `url`."""

from __future__ import annotations

from typing import Any

from ..registry import Registry
from .prometheus import target


def observability(reg: Registry) -> dict[str, Any]:
    """aib_observability normalised: each service (enabled or not) with its settings, `limits` and
    `url` (http://127.0.0.1:<port>; Grafana: its bind, a wildcard bind through loopback)."""
    out: dict[str, Any] = {}
    for name, service in reg.aib_observability.services().items():
        host = reg.aib_observability.grafana.bind if name == "grafana" else "127.0.0.1"
        out[name] = {**service.model_dump(mode="json"), "url": f"http://{target(host, service.port)}"}
    return out
