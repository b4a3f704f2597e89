"""Dashboards (structure, PromQL syntax via promtool) and the Loki/Alloy/Grafana templates."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

from tests.observability import dashboards_src
from tests.observability.promql import (
    DEFAULT_DASHBOARD_DIR,
    core_gateway_panels,
    dashboard_queries,
    substitute,
)

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
DASHBOARD_FILES = sorted(DEFAULT_DASHBOARD_DIR.glob("*.json"))
PROM_UID = "aib-prometheus"


# --- dashboards ---------------------------------------------------------------------------------


def test_the_three_dashboards_exist():
    assert [f.name for f in DASHBOARD_FILES] == ["engines.json", "gateway.json", "gpu-system.json"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_dashboard_is_generated_from_source(path):
    assert path.read_text(encoding="utf-8") == dashboards_src.render(path.name), (
        "run: python -m tests.observability.dashboards_src"
    )


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_dashboard_structure(path):
    dash = json.loads(path.read_text(encoding="utf-8"))
    assert dash["uid"].startswith("aib-")
    assert dash["schemaVersion"] == dashboards_src.SCHEMA_VERSION
    assert "id" not in dash, "a dashboard id changes per Grafana instance: leave it out"
    text = path.read_text(encoding="utf-8")
    assert '"iteration"' not in text
    assert "timestamp" not in text.lower()
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    titles = [p["title"] for p in dash["panels"]]
    assert len(titles) == len(set(titles)), "duplicate panel titles"
    for panel in dash["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": PROM_UID}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == PROM_UID, panel["title"]
            assert target["expr"].strip(), panel["title"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_grid_positions_do_not_overlap(path):
    dash = json.loads(path.read_text(encoding="utf-8"))
    cells: dict[tuple[int, int], str] = {}
    for panel in dash["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, panel["title"]
        assert g["y"] >= 0 and g["h"] > 0, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_gateway_dashboard_covers_the_required_topics():
    titles = {p for d, p, _ in dashboard_queries() if d == "AIB Gateway (LiteLLM)"}
    for needed in [
        "Request rate by model",
        "Latency P50 / P95 by model",
        "Error ratio",
        "Fallbacks",
        "Provider health (deployment state)",
        "Engines up",
        "Cache hit ratio",
        "Token throughput",
        "Rate limit: remaining requests",
        "Rate limit: remaining tokens",
        "429 responses",
        "In-flight requests",
        "Active alerts",
        "Gateway up",
        "Gateway uptime",
    ]:
        assert needed in titles, needed


def test_core_gateway_panels_exist_and_query():
    queries = dashboard_queries()
    for dash, panel in core_gateway_panels():
        assert any(d == dash and p == panel for d, p, _ in queries), (dash, panel)


def test_queries_have_no_grafana_variables_left():
    for dash, panel, expr in dashboard_queries():
        assert "$" not in expr and "[[" not in expr, (dash, panel, expr)


def test_substitute():
    assert substitute("rate(x[$__rate_interval])") == "rate(x[1m])"
    assert substitute('x{m=~"$model"}[$__range]') == 'x{m=~".*"}[1h]'
    assert substitute('x{m=~"${model:regex}"}') == 'x{m=~".*"}'
    assert substitute("x[$__interval]", {"__interval": "30s"}) == "x[30s]"


def _promtool() -> str | None:
    path = shutil.which("promtool")
    if path is None and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("promtool is missing under CI: apt-get install -y --no-install-recommends prometheus")
    return path


def test_every_expression_is_valid_promql(tmp_path):
    promtool = _promtool()
    if promtool is None:
        pytest.skip("promtool not installed (apt-get install -y --no-install-recommends prometheus)")
    queries = dashboard_queries()
    rules = [{"record": f"aib:dashboard_check:{i}", "expr": expr} for i, (_, _, expr) in enumerate(queries)]
    rules_file = tmp_path / "dashboards.rules.yml"
    rules_file.write_text(
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), encoding="utf-8"
    )
    proc = subprocess.run(
        [promtool, "check", "rules", str(rules_file)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(rules)} rules found" in proc.stdout


# --- templates ----------------------------------------------------------------------------------

GLOBALS = {
    "aib_user": "aib",
    "aib_home": "/var/lib/aib",
    "aib_artifact_dir": "/var/cache/aib/artifacts",
    "aib_artifact_export": True,
    "ansible_managed": "Ansible managed",
    "ansible_facts": {},
}


def _env() -> jinja2.Environment:
    # Renders configuration files, not HTML: no autoescaping (like Ansible's template module).
    env = jinja2.Environment(  # noqa: S701
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, extensions=["jinja2.ext.do"]
    )
    # The few Ansible filters and tests the roles' vars and templates use.
    env.filters["regex_replace"] = lambda s, pat, rep="": re.sub(pat, rep, s)
    env.tests["search"] = lambda s, pat: re.search(pat, s) is not None
    env.tests["match"] = lambda s, pat: re.match(pat, s) is not None
    return env


def role_vars(role: str, extra: dict | None = None) -> dict:
    """The role's defaults and vars, templated against each other like Ansible does (lazily)."""
    raw = {**GLOBALS}
    for part in ("defaults", "vars"):
        raw.update(yaml.safe_load((ROLES / role / part / "main.yml").read_text(encoding="utf-8")) or {})
    raw.update(extra or {})
    env = _env()
    resolved = dict(raw)
    for _ in range(10):
        changed = False
        for key, value in resolved.items():
            if isinstance(value, str) and "{{" in value:
                new = env.from_string(value).render(**resolved)
                if new != value:
                    resolved[key], changed = new, True
        if not changed:
            break
    return resolved


def render(role: str, template: str, extra: dict | None = None) -> str:
    env = _env()
    env.loader = jinja2.FileSystemLoader(
        [str(ROLES / role / "templates"), str(ROLES / "_common" / "templates")]
    )
    return env.get_template(template).render(**role_vars(role, extra))


def test_loki_config_has_retention_through_the_compactor():
    cfg = yaml.safe_load(render("loki", "loki.yaml.j2"))
    assert cfg["compactor"]["retention_enabled"] is True
    assert cfg["compactor"]["delete_request_store"] == "filesystem"
    assert cfg["limits_config"]["retention_period"] == "360h"
    assert cfg["schema_config"]["configs"][0]["schema"] == "v13"
    assert cfg["schema_config"]["configs"][0]["store"] == "tsdb"
    assert cfg["server"]["http_listen_address"] == "127.0.0.1"
    assert cfg["server"]["http_listen_port"] == 3100
    assert cfg["server"]["grpc_listen_port"] == 9096
    assert cfg["common"]["path_prefix"] == "/var/lib/aib/data/loki"
    assert cfg["auth_enabled"] is False


def test_loki_retention_period_is_a_variable():
    cfg = yaml.safe_load(render("loki", "loki.yaml.j2", {"loki_retention_period": "720h"}))
    assert cfg["limits_config"]["retention_period"] == "720h"


def test_grafana_datasources_pin_the_uids():
    ds = yaml.safe_load(
        render("grafana", "datasources.yml.j2", {"grafana_loki_url": "http://127.0.0.1:3100"})
    )
    by_uid = {d["uid"]: d for d in ds["datasources"]}
    assert by_uid["aib-prometheus"]["url"] == "http://127.0.0.1:9090"
    assert by_uid["aib-prometheus"]["isDefault"] is True
    assert by_uid["aib-loki"]["type"] == "loki"
    assert by_uid["aib-loki"]["url"] == "http://127.0.0.1:3100"
    assert "deleteDatasources" not in ds


def test_grafana_datasources_without_loki():
    ds = yaml.safe_load(render("grafana", "datasources.yml.j2"))
    assert [d["uid"] for d in ds["datasources"]] == ["aib-prometheus"]


def test_grafana_dashboard_provider_points_at_the_dashboard_dir():
    prov = yaml.safe_load(render("grafana", "dashboards.yml.j2"))
    assert prov["providers"][0]["options"]["path"] == "/var/lib/aib/etc/grafana/dashboards"


def test_grafana_ini_has_no_secret_and_the_wanted_settings():
    secret = "s3cret-Passw0rd"
    ini = render("grafana", "grafana.ini.j2", {"grafana_admin_password": secret})
    assert secret not in ini
    for line in [
        "http_addr = 127.0.0.1",
        "http_port = 3000",
        "data = /var/lib/aib/data/grafana",
        "reporting_enabled = false",
        "check_for_updates = false",
    ]:
        assert line in ini, line
    assert "[auth.anonymous]\nenabled = false" in ini
    env = render("grafana", "grafana.env.j2", {"grafana_admin_password": secret})
    assert f'GF_SECURITY_ADMIN_PASSWORD="{secret}"' in env


def test_alloy_config_reads_the_journal_with_user_units_and_writes_to_loki():
    cfg = render("alloy", "config.alloy.j2")
    assert 'loki.source.journal "journal"' in cfg
    assert "relabel_rules = loki.relabel.journal.rules" in cfg
    assert '"__journal__systemd_user_unit"' in cfg
    for label in ("unit", "user_unit", "priority", "host"):
        assert f'target_label  = "{label}"' in cfg, label
    assert "forward_to    = [loki.write.local.receiver]" in cfg
    assert 'loki.write "local"' in cfg
    assert 'url = "http://127.0.0.1:3100/loki/api/v1/push"' in cfg


@pytest.mark.parametrize(
    ("role", "unit"), [("grafana", "aib-grafana"), ("loki", "aib-loki"), ("alloy", "aib-alloy")]
)
def test_units_are_hardened_and_loopback(role, unit):
    text = render(role, f"{unit}.service.j2", {"grafana_admin_password": "x" * 12})
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "Restart=on-failure"):
        assert line in text, line
    assert "127.0.0.1" in text
    assert "ReadWritePaths=/var/lib/aib/data/" in text


def test_alloy_accepts_a_loki_base_url():
    cfg = render("alloy", "config.alloy.j2", {"alloy_loki_url": "http://127.0.0.1:3100/"})
    assert 'url = "http://127.0.0.1:3100/loki/api/v1/push"' in cfg


def test_unit_limits_are_rendered():
    limits = {"memory_max": "512M", "cpu_quota": "50%", "tasks_max": 256}
    text = render("loki", "aib-loki.service.j2", {"loki_limits": limits})
    assert "MemoryMax=512M" in text and "CPUQuota=50%" in text and "TasksMax=256" in text


def test_default_sha256s_are_64_hex_digits():
    for role, var in (("grafana", "grafana_sha256"), ("loki", "loki_sha256"), ("alloy", "alloy_sha256")):
        assert re.fullmatch(r"[0-9a-f]{64}", role_vars(role)[var]), role
