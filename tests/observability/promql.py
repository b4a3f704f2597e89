"""PromQL of the Grafana dashboards, ready to send to Prometheus' /api/v1/query.

``dashboard_queries(dashboard_dir)`` returns ``(dashboard title, panel title, expr)`` for every
target of every panel, with Grafana's variables replaced by values Prometheus accepts:
``$__rate_interval``/``$__interval`` -> ``1m``, ``$__range`` -> ``1h``, dashboard template
variables (``$model``, ``${model}``, ``[[model]]``) -> ``.*`` (they are used with ``=~``).

``core_gateway_panels()`` names the gateway panels that must return data once some requests went
through the gateway (a molecule verifier evaluates them against a running Prometheus).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

DEFAULT_DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "roles" / "grafana" / "files" / "dashboards"

BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
}
TEMPLATE_VALUE = ".*"

GATEWAY_TITLE = "AIB Gateway (LiteLLM)"
_CORE_GATEWAY_PANELS = (
    "Request rate by model",
    "Latency P50 / P95 by model",
    "Token throughput",
    "In-flight requests",
)

_VAR = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")


def substitute(expr: str, variables: dict[str, str] | None = None) -> str:
    """Replace Grafana's built-in and template variables in one expression."""
    values = {**BUILTINS, **(variables or {})}

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, TEMPLATE_VALUE)

    return _VAR.sub(repl, expr)


def _panels(panels: list[dict]) -> list[dict]:
    out = []
    for p in panels:
        out.append(p)
        out.extend(_panels(p.get("panels", [])))  # collapsed rows keep their panels inside
    return out


def load_dashboards(dashboard_dir: str | Path = DEFAULT_DASHBOARD_DIR) -> list[dict]:
    return [json.loads(f.read_text(encoding="utf-8")) for f in sorted(Path(dashboard_dir).glob("*.json"))]


def dashboard_queries(dashboard_dir: str | Path = DEFAULT_DASHBOARD_DIR) -> list[tuple[str, str, str]]:
    """(dashboard title, panel title, expr) for every Prometheus target, variables substituted."""
    result = []
    for dash in load_dashboards(dashboard_dir):
        variables = {v["name"]: TEMPLATE_VALUE for v in dash.get("templating", {}).get("list", [])}
        for panel in _panels(dash.get("panels", [])):
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if expr:
                    result.append((dash["title"], panel["title"], substitute(expr, variables)))
    return result


def core_gateway_panels() -> list[tuple[str, str]]:
    """(dashboard title, panel title) of the gateway panels that must have data after traffic."""
    return [(GATEWAY_TITLE, title) for title in _CORE_GATEWAY_PANELS]


if __name__ == "__main__":
    for dash, panel, expr in dashboard_queries():
        print(f"{dash} | {panel} | {expr}")
