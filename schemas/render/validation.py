"""The post-deploy validation plan, derived from the registry (input of roles/release/files/aib-validate).

One check per thing that must answer after a change, in a fixed order:

- `health`: every enabled local engine's own health endpoint (ollama GET /, llamacpp GET /health,
  llamacpp_python GET /v1/models, vllm GET /health), straight to the engine;
- `chat`: a 1-token chat completion of every public model through the gateway (fallbacks off and the
  response cache bypassed, so a dead deployment cannot hide behind another model or a cached answer);
- `prometheus_targets`: every active scrape target of Prometheus is up (when Prometheus is enabled).

The plan holds no secret: `auth` only says whether the checker must send the gateway's master key,
which it receives on stdin.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..observability import duration_ms
from ..providers import LOCAL_TYPES
from ..registry import Registry
from .prometheus import target

# Health endpoint of each local engine type (method GET, 200 = healthy).
HEALTH_PATHS = {
    "ollama": "/",
    "llamacpp": "/health",
    "llamacpp_python": "/v1/models",
    "vllm": "/health",
}
assert set(HEALTH_PATHS) == set(LOCAL_TYPES)

# Seconds: per attempt (timeout_s) and how long a red check is retried before it counts (wait_s).
HEALTH_TIMING = {"timeout_s": 5, "wait_s": 30}
CHAT_TIMING = {"timeout_s": 60, "wait_s": 20}


def registry_sha256(reg: Registry) -> str:
    """sha256 of the normalised registry (defaults filled in) as canonical JSON (sorted keys)."""
    text = json.dumps(reg.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _gateway_url(reg: Registry) -> str:
    gw = reg.aib_gateway
    return f"http://{target(gw.bind, gw.port)}"


def validation_plan(reg: Registry) -> dict[str, Any]:
    """The checks that tell a healthy deployment of this registry from a broken one (see module doc)."""
    checks: list[dict[str, Any]] = []
    for name, p in reg.enabled_providers().items():
        if p.type not in LOCAL_TYPES:
            continue
        url = f"http://{target(p.host, p.port)}{HEALTH_PATHS[p.type]}"
        checks.append(
            {"name": f"provider/{name}", "kind": "health", "target": url, "url": url, **HEALTH_TIMING}
        )
    gateway = _gateway_url(reg)
    for public in reg.aib_model_mappings.models:
        checks.append(
            {
                "name": f"model/{public}",
                "kind": "chat",
                "target": f"{gateway} model={public}",
                "url": f"{gateway}/v1/chat/completions",
                "model": public,
                **CHAT_TIMING,
            }
        )
    prom = reg.aib_observability.prometheus
    if prom.enabled:
        url = f"http://127.0.0.1:{prom.port}/api/v1/targets?state=active"
        # A target restarted by the change stays "down" until its next scrape: wait three intervals.
        wait = 3 * duration_ms(prom.scrape_interval) // 1000 + 15
        checks.append(
            {
                "name": "prometheus/targets",
                "kind": "prometheus_targets",
                "target": url,
                "url": url,
                "timeout_s": 5,
                "wait_s": wait,
            }
        )
    return {
        "gateway": gateway,
        "auth": reg.aib_gateway.master_key == "required",
        "registry_sha256": registry_sha256(reg),
        "checks": checks,
    }
