"""Observability on the converged host: a real Prometheus (Debian's package, user unit) scrapes
every registry target, the series are there after traffic through :4000, the alert rules are
loaded, and every PromQL expression of every provisioned dashboard evaluates without error."""

from __future__ import annotations

import json
import os
import shlex
import sys
import urllib.parse
from pathlib import Path

import pytest
from gateway_client import chat, wait_until

REPO = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
sys.path.insert(0, str(REPO))

from tests.observability.promql import core_gateway_panels, dashboard_queries  # noqa: E402

PROM = "http://127.0.0.1:9090"
DASHBOARDS = REPO / "roles/grafana/files/dashboards"
# Jobs the default registry enables (schemas/render/prometheus.py names them).
EXPECTED_JOBS = {"litellm", "llamacpp", "prometheus", "node", "redis"}

_GET = r"""
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as r:
    print(r.read().decode())
"""


def prom(host, path: str, **params: str) -> dict:
    url = f"{PROM}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    return json.loads(host.check_output(f"python3 -c {shlex.quote(_GET)} {shlex.quote(url)}"))


def query(host, expr: str) -> dict:
    return prom(host, "/api/v1/query", query=expr)


def _value(host, expr: str) -> float:
    result = query(host, expr)["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


@pytest.fixture(scope="module")
def traffic(host) -> None:
    """Requests through the gateway, then wait until Prometheus has scraped them."""
    for i in range(6):
        assert chat(host, "smollm2", f"Observability probe {i}: say ok.")["status"] == 200
    assert chat(host, "smol", "Observability probe via the alias.")["status"] == 200
    total = "sum(litellm_proxy_total_requests_metric_total)"
    wait_until(lambda: _value(host, total) >= 7, timeout=90, interval=3)


def test_prometheus_is_ready_on_loopback(host) -> None:
    assert host.socket("tcp://127.0.0.1:9090").is_listening
    assert not host.socket("tcp://0.0.0.0:9090").is_listening


def test_every_registry_target_is_up_and_returns_series(host) -> None:
    def all_up() -> list:
        targets = prom(host, "/api/v1/targets")["data"]["activeTargets"]
        jobs = {t["labels"]["job"] for t in targets}
        assert jobs == EXPECTED_JOBS, f"jobs {sorted(jobs)} != {sorted(EXPECTED_JOBS)}"
        down = [(t["labels"]["job"], t["scrapeUrl"], t["lastError"]) for t in targets if t["health"] != "up"]
        assert not down, down
        return targets

    targets = wait_until(all_up, timeout=120, interval=5)
    for t in targets:
        job, instance = t["labels"]["job"], t["labels"]["instance"]
        # A 307 from LiteLLM's /metrics would be "up" with no samples: demand real series.
        samples = _value(host, f'scrape_samples_scraped{{job="{job}",instance="{instance}"}}')
        assert samples > 0, f"{job} {instance} is up but returned no series"


def test_gateway_request_and_latency_series_after_traffic(host, traffic) -> None:
    assert _value(host, "sum(litellm_proxy_total_requests_metric_total)") >= 7
    assert _value(host, "sum(litellm_request_total_latency_metric_count)") > 0
    assert _value(host, "sum(litellm_request_total_latency_metric_sum)") > 0


def test_alert_rules_are_loaded(host) -> None:
    groups = prom(host, "/api/v1/rules")["data"]["groups"]
    names = {g["name"] for g in groups}
    assert len(names) >= 8, names
    rules = [r for g in groups for r in g["rules"] if r["type"] == "alerting"]
    assert rules and all(r["health"] == "ok" for r in rules), [r for r in rules if r["health"] != "ok"]


def test_every_dashboard_query_evaluates(host, traffic) -> None:
    queries = dashboard_queries(DASHBOARDS)
    assert len(queries) >= 20
    errors = []
    for dashboard, panel, expr in queries:
        result = query(host, expr)
        if result.get("status") != "success":
            errors.append((dashboard, panel, expr, result.get("error")))
    assert not errors, errors


def test_core_gateway_panels_return_data_after_traffic(host, traffic) -> None:
    wanted = set(core_gateway_panels())  # (dashboard title, panel title)
    queries = [(p, e) for d, p, e in dashboard_queries(DASHBOARDS) if (d, p) in wanted]
    assert {p for p, _ in queries} == {p for _, p in wanted}
    empty = [(p, e) for p, e in queries if not query(host, e)["data"]["result"]]
    assert not empty, empty
