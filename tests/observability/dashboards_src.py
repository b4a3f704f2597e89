# ruff: noqa: E501  (PromQL expressions read best on one line each)
"""Source of the Grafana dashboards in roles/grafana/files/dashboards/*.json.

The JSON files are generated from this module (``python -m tests.observability.dashboards_src``)
so that ids, grid positions and datasource uids stay consistent; test_dashboards.py checks that
the committed files equal what this module produces. Metric names: LiteLLM 1.108.5 (read from a
running proxy's /metrics/), llama-server (read from a running server's /metrics), vLLM (docs),
node_exporter, redis_exporter, utkuozdemir/nvidia_gpu_exporter.
"""

from __future__ import annotations

import json
from pathlib import Path

DS = {"type": "prometheus", "uid": "aib-prometheus"}
SCHEMA_VERSION = 39
DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "roles" / "grafana" / "files" / "dashboards"
RI = "$__rate_interval"


def _target(expr: str, legend: str = "", ref: str = "A", instant: bool = False, table: bool = False) -> dict:
    t = {
        "datasource": DS,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "refId": ref,
        "range": not instant,
    }
    if instant:
        t["instant"] = True
    if table:
        t["format"] = "table"
    return t


def _panel(
    kind: str,
    title: str,
    grid: tuple[int, int, int, int],
    targets: list[dict],
    unit: str = "short",
    description: str = "",
    **extra,
) -> dict:
    x, y, w, h = grid
    refs = "ABCDEFGH"
    p = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [dict(t, refId=refs[i]) for i, t in enumerate(targets)],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
    }
    p.update(extra)
    return p


def stat(title, grid, targets, unit="short", description="", thresholds=None, mappings=None):
    p = _panel(
        "stat",
        title,
        grid,
        targets,
        unit,
        description,
        options={
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "auto",
        },
    )
    if thresholds:
        p["fieldConfig"]["defaults"]["thresholds"] = {"mode": "absolute", "steps": thresholds}
    if mappings:
        p["fieldConfig"]["defaults"]["mappings"] = mappings
    return p


def ts(title, grid, targets, unit="short", description="", stack=False):
    p = _panel(
        "timeseries",
        title,
        grid,
        targets,
        unit,
        description,
        options={
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    )
    p["fieldConfig"]["defaults"]["custom"] = {
        "fillOpacity": 10,
        "lineWidth": 1,
        "stacking": {"mode": "normal" if stack else "none"},
    }
    return p


def table(title, grid, targets, description=""):
    return _panel(
        "table",
        title,
        grid,
        targets,
        "short",
        description,
        options={"showHeader": True, "cellHeight": "sm"},
        transformations=[
            {"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}}}
        ],
    )


UP_MAPPINGS = [
    {
        "type": "value",
        "options": {"0": {"text": "DOWN", "color": "red"}, "1": {"text": "UP", "color": "green"}},
    }
]
UP_THRESHOLDS = [{"color": "red", "value": None}, {"color": "green", "value": 1}]
STATE_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "0": {"text": "healthy", "color": "green"},
            "1": {"text": "partial outage", "color": "orange"},
            "2": {"text": "complete outage", "color": "red"},
        },
    }
]

GW = 'job="litellm"'
REQ = f'{GW}, requested_model=~"$model"'


def gateway() -> dict:
    panels = [
        stat(
            "Gateway up",
            (0, 0, 4, 4),
            [_target(f"max(up{{{GW}}})", "up")],
            description="Prometheus can scrape LiteLLM /metrics/.",
            thresholds=UP_THRESHOLDS,
            mappings=UP_MAPPINGS,
        ),
        stat(
            "Gateway uptime",
            (4, 0, 4, 4),
            [_target(f"time() - max(process_start_time_seconds{{{GW}}})", "uptime")],
            unit="s",
        ),
        stat(
            "Requests/s (all models)",
            (8, 0, 4, 4),
            [
                _target(
                    f"sum(rate(litellm_proxy_total_requests_metric_total{{{GW}}}[{RI}])) or vector(0)",
                    "req/s",
                )
            ],
            unit="reqps",
        ),
        stat(
            "Error ratio",
            (12, 0, 4, 4),
            [
                _target(
                    f"(sum(rate(litellm_proxy_failed_requests_metric_total{{{GW}}}[{RI}])) or vector(0))"
                    f" / clamp_min(sum(rate(litellm_proxy_total_requests_metric_total{{{GW}}}[{RI}])), 1e-9)",
                    "errors",
                )
            ],
            unit="percentunit",
            thresholds=[
                {"color": "green", "value": None},
                {"color": "orange", "value": 0.01},
                {"color": "red", "value": 0.05},
            ],
        ),
        stat(
            "Cache hit ratio",
            (16, 0, 4, 4),
            [
                _target(
                    f"(sum(rate(litellm_cache_hits_metric_total{{{GW}}}[{RI}])) or vector(0))"
                    f" / clamp_min((sum(rate(litellm_cache_hits_metric_total{{{GW}}}[{RI}])) or vector(0))"
                    f" + (sum(rate(litellm_cache_misses_metric_total{{{GW}}}[{RI}])) or vector(0)), 1e-9)",
                    "hits",
                )
            ],
            unit="percentunit",
            description="Redis response cache: hits / (hits + misses).",
        ),
        stat(
            "Firing alerts",
            (20, 0, 4, 4),
            [_target('count(ALERTS{alertstate="firing"}) or vector(0)', "firing")],
            thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
        ),
        ts(
            "Request rate by model",
            (0, 4, 12, 8),
            [
                _target(
                    f"sum by (requested_model, status_code) (rate(litellm_proxy_total_requests_metric_total{{{REQ}}}[{RI}]))",
                    "{{requested_model}} {{status_code}}",
                )
            ],
            unit="reqps",
        ),
        ts(
            "Latency P50 / P95 by model",
            (12, 4, 12, 8),
            [
                _target(
                    f"histogram_quantile(0.50, sum by (le, requested_model) (rate(litellm_request_total_latency_metric_bucket{{{REQ}}}[{RI}])))",
                    "P50 {{requested_model}}",
                ),
                _target(
                    f"histogram_quantile(0.95, sum by (le, requested_model) (rate(litellm_request_total_latency_metric_bucket{{{REQ}}}[{RI}])))",
                    "P95 {{requested_model}}",
                ),
            ],
            unit="s",
            description="End-to-end request latency at the gateway (litellm_request_total_latency_metric).",
        ),
        ts(
            "Errors by class and status",
            (0, 12, 8, 8),
            [
                _target(
                    f"sum by (exception_status, exception_class) (rate(litellm_proxy_failed_requests_metric_total{{{GW}}}[{RI}]))",
                    "{{exception_status}} {{exception_class}}",
                )
            ],
            unit="reqps",
        ),
        ts(
            "Fallbacks",
            (8, 12, 8, 8),
            [
                _target(
                    f"sum by (requested_model, fallback_model) (rate(litellm_deployment_successful_fallbacks_total{{{GW}}}[{RI}]))",
                    "ok {{requested_model}} -> {{fallback_model}}",
                ),
                _target(
                    f"sum by (requested_model, fallback_model) (rate(litellm_deployment_failed_fallbacks_total{{{GW}}}[{RI}]))",
                    "failed {{requested_model}} -> {{fallback_model}}",
                ),
            ],
            unit="reqps",
        ),
        ts(
            "Time to first token P95 by model group",
            (16, 12, 8, 8),
            [
                _target(
                    f"histogram_quantile(0.95, sum by (le, model_group) (rate(litellm_llm_api_time_to_first_token_metric_bucket{{{GW}}}[{RI}])))",
                    "{{model_group}}",
                )
            ],
            unit="s",
        ),
        ts(
            "Token throughput",
            (0, 20, 12, 8),
            [
                _target(
                    f"sum by (requested_model) (rate(litellm_output_tokens_metric_total{{{REQ}}}[{RI}]))",
                    "out {{requested_model}}",
                ),
                _target(
                    f"sum by (requested_model) (rate(litellm_input_tokens_metric_total{{{REQ}}}[{RI}]))",
                    "in {{requested_model}}",
                ),
            ],
            unit="short",
            description="Tokens per second through the gateway (output and input).",
        ),
        ts(
            "In-flight requests",
            (12, 20, 12, 8),
            [_target(f"sum(litellm_in_flight_requests{{{GW}}})", "in flight")],
        ),
        _panel(
            "state-timeline",
            "Provider health (deployment state)",
            (0, 28, 12, 8),
            [
                _target(
                    f"max by (litellm_model_name, api_base) (litellm_deployment_state{{{GW}}})",
                    "{{litellm_model_name}} {{api_base}}",
                )
            ],
            description="LiteLLM router: 0 healthy, 1 partial outage, 2 complete outage.",
            options={"showValue": "auto", "mergeValues": True},
        ),
        stat(
            "Engines up",
            (12, 28, 12, 8),
            [_target('max by (job, provider) (up{job=~"llamacpp|vllm"})', "{{job}} {{provider}}")],
            thresholds=UP_THRESHOLDS,
            mappings=UP_MAPPINGS,
        ),
        ts(
            "Rate limit: remaining requests",
            (0, 36, 8, 8),
            [
                _target(
                    f"min by (model_group, api_base) (litellm_remaining_requests_metric{{{GW}}})",
                    "{{model_group}} {{api_base}}",
                )
            ],
            description="Remaining requests in the current minute per deployment (rpm limit).",
        ),
        ts(
            "Rate limit: remaining tokens",
            (8, 36, 8, 8),
            [
                _target(
                    f"min by (model_group, api_base) (litellm_remaining_tokens_metric{{{GW}}})",
                    "{{model_group}} {{api_base}}",
                )
            ],
            description="Remaining tokens in the current minute per deployment (tpm limit).",
        ),
        ts(
            "429 responses",
            (16, 36, 8, 8),
            [
                _target(
                    f'sum(rate(litellm_proxy_failed_requests_metric_total{{{GW}, exception_status="429"}}[{RI}])) or vector(0)',
                    "429/s",
                )
            ],
            unit="reqps",
        ),
        table(
            "Active alerts",
            (0, 44, 24, 8),
            [_target('ALERTS{alertstate="firing"}', instant=True, table=True)],
        ),
    ]
    templating = [
        {
            "name": "model",
            "label": "Model",
            "type": "query",
            "datasource": DS,
            "query": {
                "query": f"label_values(litellm_proxy_total_requests_metric_total{{{GW}}}, requested_model)",
                "refId": "model",
            },
            "definition": f"label_values(litellm_proxy_total_requests_metric_total{{{GW}}}, requested_model)",
            "includeAll": True,
            "multi": True,
            "allValue": ".*",
            "refresh": 2,
            "sort": 1,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "hide": 0,
            "regex": "",
            "options": [],
        }
    ]
    return _dashboard("aib-gateway", "AIB Gateway (LiteLLM)", panels, templating, ["aib", "litellm"])


def engines() -> dict:
    v, lc = 'job="vllm"', 'job="llamacpp"'
    panels = [
        stat(
            "Engine targets up",
            (0, 0, 24, 4),
            [_target('max by (job, provider) (up{job=~"llamacpp|vllm"})', "{{job}} {{provider}}")],
            thresholds=UP_THRESHOLDS,
            mappings=UP_MAPPINGS,
        ),
        ts(
            "vLLM KV cache usage",
            (0, 4, 8, 8),
            [
                _target(
                    f"max by (provider) (vllm:kv_cache_usage_perc{{{v}}}) or max by (provider) (vllm:gpu_cache_usage_perc{{{v}}})",
                    "{{provider}}",
                )
            ],
            unit="percentunit",
            description="vllm:kv_cache_usage_perc (V1 engine), vllm:gpu_cache_usage_perc on older vLLM.",
        ),
        ts(
            "vLLM queue (running / waiting)",
            (8, 4, 8, 8),
            [
                _target(f"sum by (provider) (vllm:num_requests_running{{{v}}})", "running {{provider}}"),
                _target(f"sum by (provider) (vllm:num_requests_waiting{{{v}}})", "waiting {{provider}}"),
            ],
        ),
        ts(
            "vLLM tokens/s",
            (16, 4, 8, 8),
            [
                _target(
                    f"sum by (provider) (rate(vllm:generation_tokens_total{{{v}}}[{RI}]))",
                    "generated {{provider}}",
                ),
                _target(
                    f"sum by (provider) (rate(vllm:prompt_tokens_total{{{v}}}[{RI}]))", "prompt {{provider}}"
                ),
            ],
        ),
        ts(
            "vLLM time to first token P50 / P95",
            (0, 12, 12, 8),
            [
                _target(
                    f"histogram_quantile(0.50, sum by (le, provider) (rate(vllm:time_to_first_token_seconds_bucket{{{v}}}[{RI}])))",
                    "P50 {{provider}}",
                ),
                _target(
                    f"histogram_quantile(0.95, sum by (le, provider) (rate(vllm:time_to_first_token_seconds_bucket{{{v}}}[{RI}])))",
                    "P95 {{provider}}",
                ),
            ],
            unit="s",
        ),
        ts(
            "vLLM end-to-end latency P50 / P95",
            (12, 12, 12, 8),
            [
                _target(
                    f"histogram_quantile(0.50, sum by (le, provider) (rate(vllm:e2e_request_latency_seconds_bucket{{{v}}}[{RI}])))",
                    "P50 {{provider}}",
                ),
                _target(
                    f"histogram_quantile(0.95, sum by (le, provider) (rate(vllm:e2e_request_latency_seconds_bucket{{{v}}}[{RI}])))",
                    "P95 {{provider}}",
                ),
            ],
            unit="s",
        ),
        ts(
            "llama.cpp slots (processing / deferred)",
            (0, 20, 8, 8),
            [
                _target(
                    f"sum by (provider) (llamacpp:requests_processing{{{lc}}})", "processing {{provider}}"
                ),
                _target(f"sum by (provider) (llamacpp:requests_deferred{{{lc}}})", "deferred {{provider}}"),
            ],
            description="Busy slots (requests being decoded) and requests waiting for a free slot.",
        ),
        ts(
            "llama.cpp KV cache usage",
            (8, 20, 8, 8),
            [_target(f"max by (provider) (llamacpp:kv_cache_usage_ratio{{{lc}}})", "{{provider}}")],
            unit="percentunit",
            description="llamacpp:kv_cache_usage_ratio: exported by older llama-server builds only; the pinned build "
            "(llama-cpp-python 0.3.36's vendored llama.cpp) does not export it, so this panel stays empty there.",
        ),
        ts(
            "llama.cpp tokens/s",
            (16, 20, 8, 8),
            [
                _target(
                    f"sum by (provider) (rate(llamacpp:tokens_predicted_total{{{lc}}}[{RI}]))",
                    "generated {{provider}}",
                ),
                _target(
                    f"sum by (provider) (rate(llamacpp:prompt_tokens_total{{{lc}}}[{RI}]))",
                    "prompt {{provider}}",
                ),
            ],
        ),
        ts(
            "llama.cpp decode speed (server average)",
            (0, 28, 12, 8),
            [
                _target(
                    f"max by (provider) (llamacpp:predicted_tokens_seconds{{{lc}}})",
                    "generation {{provider}}",
                ),
                _target(f"max by (provider) (llamacpp:prompt_tokens_seconds{{{lc}}})", "prompt {{provider}}"),
            ],
            description="Average tokens/s the server measured (llamacpp:predicted_tokens_seconds, prompt_tokens_seconds).",
        ),
        ts(
            "llama.cpp busy slots per decode",
            (12, 28, 12, 8),
            [_target(f"max by (provider) (llamacpp:n_busy_slots_per_decode{{{lc}}})", "{{provider}}")],
            description="Average number of slots decoded together (batching).",
        ),
    ]
    return _dashboard("aib-engines", "AIB Engines (vLLM, llama.cpp)", panels, [], ["aib", "vllm", "llamacpp"])


def gpu_system() -> dict:
    n, r, g = 'job="node"', 'job="redis"', 'job="nvidia_gpu"'
    fs = f'{n}, fstype!~"tmpfs|overlay|squashfs|ramfs"'
    panels = [
        ts(
            "GPU utilisation",
            (0, 0, 6, 8),
            [_target(f"max by (uuid) (nvidia_smi_utilization_gpu_ratio{{{g}}})", "{{uuid}}")],
            unit="percentunit",
        ),
        ts(
            "GPU memory used",
            (6, 0, 6, 8),
            [
                _target(f"max by (uuid) (nvidia_smi_memory_used_bytes{{{g}}})", "used {{uuid}}"),
                _target(f"max by (uuid) (nvidia_smi_memory_total_bytes{{{g}}})", "total {{uuid}}"),
            ],
            unit="bytes",
        ),
        ts(
            "GPU temperature",
            (12, 0, 6, 8),
            [_target(f"max by (uuid) (nvidia_smi_temperature_gpu{{{g}}})", "{{uuid}}")],
            unit="celsius",
        ),
        ts(
            "GPU power draw",
            (18, 0, 6, 8),
            [_target(f"max by (uuid) (nvidia_smi_power_draw_watts{{{g}}})", "{{uuid}}")],
            unit="watt",
        ),
        ts(
            "CPU busy",
            (0, 8, 8, 8),
            [
                _target(
                    f'1 - avg by (instance) (rate(node_cpu_seconds_total{{{n}, mode="idle"}}[{RI}]))',
                    "{{instance}}",
                )
            ],
            unit="percentunit",
        ),
        ts(
            "Memory used",
            (8, 8, 8, 8),
            [
                _target(
                    f"node_memory_MemTotal_bytes{{{n}}} - node_memory_MemAvailable_bytes{{{n}}}",
                    "used {{instance}}",
                ),
                _target(f"node_memory_MemTotal_bytes{{{n}}}", "total {{instance}}"),
            ],
            unit="bytes",
        ),
        ts("Load average (1m)", (16, 8, 8, 8), [_target(f"node_load1{{{n}}}", "{{instance}}")]),
        ts(
            "Disk space used",
            (0, 16, 8, 8),
            [
                _target(
                    f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}",
                    "{{mountpoint}}",
                )
            ],
            unit="percentunit",
        ),
        ts(
            "Disk I/O",
            (8, 16, 8, 8),
            [
                _target(
                    f"sum by (instance) (rate(node_disk_read_bytes_total{{{n}}}[{RI}]))", "read {{instance}}"
                ),
                _target(
                    f"sum by (instance) (rate(node_disk_written_bytes_total{{{n}}}[{RI}]))",
                    "written {{instance}}",
                ),
            ],
            unit="Bps",
        ),
        ts(
            "Network",
            (16, 16, 8, 8),
            [
                _target(
                    f'sum by (device) (rate(node_network_receive_bytes_total{{{n}, device!="lo"}}[{RI}]))',
                    "rx {{device}}",
                ),
                _target(
                    f'sum by (device) (rate(node_network_transmit_bytes_total{{{n}, device!="lo"}}[{RI}]))',
                    "tx {{device}}",
                ),
            ],
            unit="Bps",
        ),
        ts(
            "Redis memory",
            (0, 24, 8, 8),
            [
                _target(f"max(redis_memory_used_bytes{{{r}}})", "used"),
                _target(f"max(redis_memory_max_bytes{{{r}}})", "maxmemory"),
            ],
            unit="bytes",
        ),
        ts("Redis clients", (8, 24, 8, 8), [_target(f"max(redis_connected_clients{{{r}}})", "clients")]),
        ts(
            "Redis ops/s and hit ratio",
            (16, 24, 8, 8),
            [
                _target(f"sum(rate(redis_commands_processed_total{{{r}}}[{RI}]))", "commands/s"),
                _target(
                    f"sum(rate(redis_keyspace_hits_total{{{r}}}[{RI}])) / clamp_min(sum(rate(redis_keyspace_hits_total{{{r}}}[{RI}]))"
                    f" + sum(rate(redis_keyspace_misses_total{{{r}}}[{RI}])), 1e-9)",
                    "hit ratio",
                ),
            ],
        ),
        table(
            "Scrape targets",
            (0, 32, 24, 8),
            [_target("up", instant=True, table=True)],
            description="Every Prometheus target (litellm, llamacpp, vllm, prometheus, alertmanager, node, redis, "
            "nvidia_gpu, loki, alloy, grafana) and whether it answers.",
        ),
    ]
    panels[-1]["transformations"] = [
        {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True}}}
    ]
    return _dashboard("aib-gpu-system", "AIB GPU and System", panels, [], ["aib", "node", "gpu", "redis"])


def _dashboard(uid: str, title: str, panels: list[dict], templating: list[dict], tags: list[str]) -> dict:
    for i, p in enumerate(panels, start=1):
        p["id"] = i
    return {
        "uid": uid,
        "title": title,
        "tags": tags,
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": templating},
        "panels": panels,
    }


DASHBOARDS = {"gateway.json": gateway, "engines.json": engines, "gpu-system.json": gpu_system}


def render(name: str) -> str:
    return json.dumps(DASHBOARDS[name](), indent=2, sort_keys=True) + "\n"


def main() -> None:
    DASHBOARD_DIR.mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        (DASHBOARD_DIR / name).write_text(render(name), encoding="utf-8")
        print(DASHBOARD_DIR / name)


if __name__ == "__main__":
    main()
