"""Safe change on the converged host (v1), in order: v2 adds a model, v3 is broken and the health
gate restores v2, `--tags rollback -e rollback_to=1` brings v1 back, a re-run of v1 changes nothing,
and the data (Prometheus TSDB, the model file) survives all of it. A steady load runs through the
gateway during each change; its failed counts and the wall time of each step are printed and kept
in $MOLECULE_EPHEMERAL_DIRECTORY/rollback-figures.json (docs/safe-change.md quotes them).

Every change is a real `ansible-playbook site.yml` run from the repository root against this host.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from gateway_client import chat, http_json, wait_until

REPO = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
VARS = Path(__file__).resolve().parents[1] / "vars"
RELEASES = "/var/lib/aib/releases"
CONFIG = "/var/lib/aib/etc/litellm/config.yaml"
TSDB = "/var/lib/aib/data/prometheus"
MODEL_FILE = "/var/lib/aib/models/SmolLM2-135M-Instruct.Q4_1.gguf"
LOAD = "/opt/aib-tests/faults/load.py"
LOAD_CHUNK_S = 10
FIGURES: dict[str, dict] = {}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP = re.compile(r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def site(*args: str) -> tuple[int, str, float]:
    """ansible-playbook site.yml against the molecule host; (rc, output, wall seconds)."""
    cmd = [str(Path(sys.executable).with_name("ansible-playbook")), "site.yml",
           "-i", str(EPHEMERAL / "inventory"), *args]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, timeout=1800, check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_LOG_PATH": "",
             "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
             "ANSIBLE_FILTER_PLUGINS": str(REPO / "filter_plugins")},
    )  # fmt: skip
    took = time.monotonic() - t0
    output = ANSI.sub("", proc.stdout + proc.stderr)  # molecule's environment forces colours
    (EPHEMERAL / f"site-{int(t0)}.log").write_text(" ".join(cmd) + "\n" + output)
    return proc.returncode, output, took


def recap(output: str) -> dict[str, int]:
    found = RECAP.findall(output)
    assert found, output[-3000:]
    ok, changed, unreachable, failed = map(int, found[-1])
    return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}


class Load:
    """tests/faults/load.py as a transient unit, in chunks of LOAD_CHUNK_S until stopped (load.py
    reports only at its end, and a change takes an unknown time)."""

    def __init__(self, host, name: str, workers: int) -> None:
        self.host, self.name = host, name
        self.stop_file = f"/run/aib-load-{name}.stop"
        loop = (
            f"i=0; while [ ! -e {self.stop_file} ]; do python3 {LOAD} --model smollm2 --workers {workers} "
            f"--seconds {LOAD_CHUNK_S} --out /run/aib-load-{name}.$i.json >/dev/null; i=$((i+1)); done"
        )
        host.run(f"rm -f {self.stop_file} /run/aib-load-{name}.*.json")
        started = host.run(f"systemd-run --unit=aib-load-{name} --collect sh -c '{loop}'")
        assert started.rc == 0, started.stderr

    def stop(self) -> dict:
        self.host.run(f"touch {self.stop_file}")
        wait_until(
            lambda: self.host.run(f"systemctl is-active aib-load-{self.name}").stdout.strip() != "active",
            timeout=LOAD_CHUNK_S + 150, interval=2,
        )  # fmt: skip
        chunks = [
            json.loads(self.host.file(path).content_string)
            for path in self.host.check_output(f"ls /run/aib-load-{self.name}.*.json").split()
        ]
        total = {"total": sum(c["total"] for c in chunks), "failed": sum(c["failed"] for c in chunks)}
        total["statuses"] = {}
        for c in chunks:
            for status, n in c["statuses"].items():
                total["statuses"][status] = total["statuses"].get(status, 0) + n
        total["first_errors"] = [e for c in chunks for e in c["first_errors"]][:3]
        # A refused connection fails in about a millisecond, so `failed` counts the requests of a tight
        # loop; the time with failures (sum of each chunk's failure window) is the comparable figure.
        total["failure_s"] = round(
            sum(c["failure_window_s"][1] - c["failure_window_s"][0] for c in chunks if c["failure_window_s"]),
            1,
        )
        return total


class Loads:
    """A sequential (1 worker) and a concurrent (2 workers) load at once, as the issue asks (2, not 3:
    every request runs inference on the same 2 cores as the deploy; 1 + 3 made the scenario 28 min)."""

    def __init__(self, host, name: str) -> None:
        self.loads = {"sequential": Load(host, f"{name}-seq", 1), "concurrent": Load(host, f"{name}-conc", 2)}

    def stop(self) -> dict:
        return {kind: load.stop() for kind, load in self.loads.items()}


def assert_no_request_failed(counts: dict) -> None:
    """Zero-downtime gateway changes: not one request of either load may fail."""
    for kind, load in counts.items():
        assert load["total"] > 0, (kind, load)
        assert load["failed"] == 0, (kind, load)


def record_figure(step: str, seconds: float, load: dict | None = None, **extra) -> None:
    FIGURES[step] = {"wall_s": round(seconds, 1), **({"load": load} if load else {}), **extra}
    (EPHEMERAL / "rollback-figures.json").write_text(json.dumps(FIGURES, indent=2) + "\n")
    print(f"\n[rollback] {step}: {seconds:.1f} s wall" + "".join(
        f"; {kind} load through the gateway: {c['total']} requests, {c['failed']} failed {c['statuses']}"
        f" within {c['failure_s']} s"
        for kind, c in (load or {}).items()))  # fmt: skip


def current_version(host) -> str:
    with host.sudo():
        return host.check_output(f"readlink {RELEASES}/current")


def manifest(host, version: str) -> dict:
    with host.sudo():
        return json.loads(host.file(f"{RELEASES}/{version}/manifest.json").content_string)


def sha256(host, path: str) -> str:
    with host.sudo():
        return host.check_output(f"sha256sum {path}").split()[0]


def served(host) -> set[str]:
    return {m["id"] for m in http_json(host, "GET", "/v1/models")["data"]}


class RouteWatch:
    """Seconds from its start until /v1/models lists `model` (polled every 0.5 s in a thread)."""

    def __init__(self, host, model: str) -> None:
        self.seen_after: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(host, model, time.monotonic()), daemon=True)
        self._thread.start()

    def _watch(self, host, model: str, t0: float) -> None:
        while not self._stop.is_set():
            try:
                if model in served(host):
                    self.seen_after = round(time.monotonic() - t0, 1)
                    return
            except (AssertionError, RuntimeError, ValueError, KeyError):
                pass  # a failed probe is the load's business, not the watch's
            time.sleep(0.5)

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join(timeout=30)
        return self.seen_after


def answers(host, model: str) -> bool:
    result = chat(host, model, "Say ok.", cache={"no-cache": True})
    return result["status"] == 200 and bool(json.loads(result["body"])["choices"])


def assert_gateway_answers(host, model: str = "smollm2") -> None:
    wait_until(lambda: answers(host, model), timeout=120, interval=3)


@pytest.fixture(scope="module")
def data_before(host) -> dict:
    with host.sudo():
        wal = set(host.check_output(f"ls {TSDB}/wal").split())
        return {"wal": wal, "model_sha256": sha256(host, MODEL_FILE)}


def test_v1_is_the_recorded_current_version(host, data_before) -> None:
    assert current_version(host) == "1"
    doc = manifest(host, "1")
    assert CONFIG in doc["files"] and doc["previous"] is None
    assert doc["files"][CONFIG] == sha256(host, CONFIG)
    assert any(p.endswith("/aib-litellm.service") for p in doc["files"])
    with host.sudo():
        env_copy = host.file(f"{RELEASES}/1/files/var/lib/aib/etc/litellm/litellm.env")
        assert env_copy.mode == 0o600
        assert host.file(RELEASES).mode == 0o700
    models = served(host)
    assert "smollm2" in models and "smollm2-compat" not in models
    assert_gateway_answers(host)


def test_v2_adds_a_model_and_records_version_2(host) -> None:
    load = Loads(host, "v2")
    watch = RouteWatch(host, "smollm2-compat")
    rc, output, took = site("-e", f"@{VARS / 'v2.yml'}")
    new_route_s = watch.stop()
    counts = load.stop()
    record_figure(
        "deploy v2 (new provider + model)", took, counts, changed=recap(output)["changed"],
        new_route_served_after_s=new_route_s,
    )  # fmt: skip
    assert rc == 0, output[-5000:]
    assert "4 checks: 4 ok, 0 red" in output, output[-5000:]
    assert current_version(host) == "2"
    doc = manifest(host, "2")
    assert doc["previous"] == 1 and CONFIG in doc["changed"]
    assert "smollm2-compat" in served(host)
    assert answers(host, "smollm2-compat")
    assert_gateway_answers(host)
    assert_no_request_failed(counts)


def test_v3_broken_fails_and_v2_is_restored(host) -> None:
    v2_config = manifest(host, "2")["files"][CONFIG]
    load = Loads(host, "v3")
    rc, output, took = site("-e", f"@{VARS / 'v3.yml'}")
    counts = load.stop()
    record_figure("broken v3 + automatic restore of v2", took, counts)
    assert rc != 0, output[-5000:]
    assert "model/broken-model" in output, output[-5000:]
    assert "deploy failed the health gate: validation: model/broken-model: HTTP" in output, output[-5000:]
    assert "Restored version 2" in output and "validation after the restore: all green" in output, output[
        -5000:
    ]
    assert "Traceback" not in output
    assert current_version(host) == "2"
    assert sha256(host, CONFIG) == v2_config
    with host.sudo():
        assert host.check_output(f"ls {RELEASES}").split().count("3") == 0  # the broken state is not recorded
    assert "broken-model" not in served(host)
    assert answers(host, "smollm2-compat")
    assert_gateway_answers(host)
    assert_no_request_failed(counts)


def test_versions_are_listed(host) -> None:
    rc, output, _ = site("--tags", "versions")
    assert rc == 0, output[-5000:]
    assert re.search(r"VERSION\s+CREATED\s+REGISTRY\s+FILES\s+CHANGED", output), output[-3000:]
    assert "2 (current)" in output and "etc/litellm/config.yaml" in output


def test_rollback_to_version_1(host) -> None:
    load = Loads(host, "rollback")
    rc, output, took = site("--tags", "rollback", "-e", "rollback_to=1")
    counts = load.stop()
    record_figure("--tags rollback -e rollback_to=1", took, counts, changed=recap(output)["changed"])
    assert rc == 0, output[-5000:]
    flat = " ".join(output.split())
    assert "restored version 1 (now current)" in flat, output[-5000:]
    # only its config changed (the YAML callback doubles the quotes inside the message)
    assert re.search(r"restarted \['+aib-litellm\.service'+\], reloaded \[\]", flat), output[-5000:]
    assert current_version(host) == "1"
    assert sha256(host, CONFIG) == manifest(host, "1")["files"][CONFIG]
    assert "smollm2-compat" not in served(host)
    assert_gateway_answers(host)
    assert_no_request_failed(counts)


def test_rerun_with_the_v1_registry_changes_nothing(host) -> None:
    with host.sudo():
        before = host.check_output(f"find {RELEASES} -printf '%p %s %T@\\n' | sort | sha256sum")
    rc, output, took = site()
    counts = recap(output)
    record_figure("no-change re-run (v1)", took, changed=counts["changed"])
    assert rc == 0, output[-5000:]
    assert counts["changed"] == 0, [line for line in output.splitlines() if line.startswith("changed:")]
    assert "no change: version 1 is current" in " ".join(output.split())
    with host.sudo():
        after = host.check_output(f"find {RELEASES} -printf '%p %s %T@\\n' | sort | sha256sum")
    assert after == before, "a no-change run rewrote files under releases/"


def test_data_survives(host, data_before) -> None:
    with host.sudo():
        assert host.file(f"{TSDB}/wal").is_directory
        wal = set(host.check_output(f"ls {TSDB}/wal").split())
        assert data_before["wal"] <= wal, (data_before["wal"], wal)  # no segment lost: the TSDB was kept
    assert sha256(host, MODEL_FILE) == data_before["model_sha256"]
    print(f"\n[rollback] figures: {json.dumps(FIGURES, indent=2)}")


def test_zz_check_diff_of_a_one_line_change(host) -> None:
    """`--check --diff` of the gateway config with routing.timeout_s changed: shows the config.yaml diff and
    changes nothing (the output is kept for docs/safe-change.md)."""
    config_before = sha256(host, CONFIG)
    # litellm_preflight,litellm_configure: the litellm role's install phase cannot run in check mode
    # (it asserts the version a skipped command would have read), so `--tags litellm` fails there.
    tags = "litellm_preflight,litellm_configure"
    rc, output, took = site("--check", "--diff", "--tags", tags, "-e", f"@{VARS / 'v1-oneline.yml'}")
    (EPHEMERAL / "check-diff-oneline.txt").write_text(output)
    record_figure("--check --diff (one-line change)", took)
    blocks = [b for b in re.split(r"\n(?=TASK \[)", output) if re.search(r"^@@ ", b, re.M)]
    print("\n[rollback] check-diff, tasks with a diff:\n" + "\n".join(blocks))
    assert rc == 0, output[-5000:]
    assert re.search(r"^[-+].*timeout.*", output, re.M), output[-5000:]
    assert sha256(host, CONFIG) == config_before
    assert current_version(host) == "1"
