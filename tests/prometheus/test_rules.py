"""Alert rules of roles/prometheus: promtool checks them, promtool runs their unit tests, and every
alert must have a firing case and a silent case (so adding a rule without tests fails CI).

promtool comes from Debian's `prometheus` package (`apt-get install --no-install-recommends prometheus`).
Without it the tests skip locally, but fail under CI (env CI set).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "roles" / "prometheus" / "files" / "rules"
TESTS_DIR = Path(__file__).resolve().parent
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
TEST_FILES = sorted(TESTS_DIR.glob("*.test.yml"))
SEVERITIES = {"critical", "warning", "info"}
GROUPS = {"gateway", "providers", "cache", "rate_limits", "system", "fallbacks", "configuration", "gpu"}


def _promtool() -> str:
    path = shutil.which("promtool")
    if path:
        return path
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail("promtool is missing under CI: apt-get install -y --no-install-recommends prometheus")
    pytest.skip("promtool not installed (apt-get install -y --no-install-recommends prometheus); CI unset")


def _alerts() -> dict[str, dict]:
    alerts: dict[str, dict] = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["alert"] not in alerts, f"alert {rule['alert']} defined twice"
                    alerts[rule["alert"]] = {**rule, "_group": group["name"], "_file": path.name}
    return alerts


def _cases() -> tuple[set[str], set[str]]:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in TEST_FILES:
        for test in yaml.safe_load(path.read_text()).get("tests") or []:
            for case in test.get("alert_rule_test") or []:
                (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    return firing, silent


def test_files_exist():
    assert RULE_FILES, f"no rule files in {RULES_DIR}"
    assert TEST_FILES, f"no promtool test files (*.test.yml) in {TESTS_DIR}"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_check_rules(path: Path):
    res = subprocess.run(
        [_promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, f"promtool check rules {path.name}:\n{res.stdout}{res.stderr}"


def test_promtool_test_rules():
    res = subprocess.run(
        [_promtool(), "test", "rules", *map(str, TEST_FILES)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, f"promtool test rules failed:\n{res.stdout}{res.stderr}"


def test_every_alert_fires_and_stays_silent_in_a_test():
    alerts = _alerts()
    firing, silent = _cases()
    problems = [
        f"{name} ({a['_file']}, group {a['_group']}): "
        + " and ".join(
            w
            for w, missing in (
                ("no firing case", name not in firing),
                ("no silent case (exp_alerts: [])", name not in silent),
            )
            if missing
        )
        for name, a in sorted(alerts.items())
        if name not in firing or name not in silent
    ]
    assert not problems, "alerts without a promtool unit test case:\n" + "\n".join(problems)


def test_tests_name_only_existing_alerts():
    alerts = _alerts()
    firing, silent = _cases()
    unknown = sorted((firing | silent) - alerts.keys())
    assert not unknown, f"test cases for alerts that no rule file defines: {unknown}"


def test_alerts_have_severity_and_annotations():
    problems = []
    for name, rule in sorted(_alerts().items()):
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{name}: labels.severity must be one of {sorted(SEVERITIES)}")
        missing = {"summary", "description", "runbook"} - set(rule.get("annotations", {}))
        if missing:
            problems.append(f"{name}: annotations missing {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_rule_groups():
    groups = {g["name"] for p in RULE_FILES for g in yaml.safe_load(p.read_text())["groups"]}
    assert groups == GROUPS
