"""Provisioning benchmark (issue 6): wall time of the default profile's runs on a fresh test host.

    bash tests/perf/provision.sh            (from the repository root; see tests/perf/README.md)

Steps, each a real `ansible-playbook site.yml` against one fresh Debian systemd container (the
molecule recipe: local image, shared artifact directory, docker connection, pipelining on):

  cold        the first converge of the default profile
  no-change   the same again: must report changed=0
  change      a one-line registry change (a new alias) applied with the gateway's tag and the
              health gate (`--tags litellm,release`): run time, and time from the run's start
              until :4000 serves the new name (a poller in the host asks /v1/models every 0.2 s)
  rollback    `--tags rollback` (back to the version before the change): run time and time until
              the alias is gone from :4000
  no-change2  the default profile once more after the rollback: changed=0

Prints a table, writes tests/perf/results/<date>-provision/{results.json,*.log}. Not a test: the
figures depend on the machine (2-core CI machine here); docs/performance.md quotes them.

AIB_BENCH_STRATEGY=mitogen runs every step with Mitogen's `mitogen_linear` strategy (the opt-in of
`AIB_MITOGEN=1 bash .ci/provision`); the default is Ansible's own `linear`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = os.environ.get("AIB_BENCH_HOST", "aib-bench")
IMAGE = os.environ.get("AIB_BENCH_IMAGE", "local/debian-systemd:bookworm")
ARTIFACTS = os.environ.get("AIB_ARTIFACT_DIR", "/var/cache/aib/artifacts")
STRATEGY = os.environ.get("AIB_BENCH_STRATEGY", "linear")
SUFFIX = os.environ.get("AIB_BENCH_SUFFIX", "")  # e.g. "-2": a second run on the same day
OUT = REPO / "tests" / "perf" / "results" / f"{date.today().isoformat()}-provision{SUFFIX}"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP = re.compile(r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
ALIAS = "bench-alias"

_POLL = r"""
import json, sys, time, urllib.request
want, present, deadline = sys.argv[1], sys.argv[2] == "1", time.time() + float(sys.argv[3])
while time.time() < deadline:
    try:
        with urllib.request.urlopen("http://127.0.0.1:4000/v1/models", timeout=2) as r:
            names = {m["id"] for m in json.load(r)["data"]}
        if (want in names) == present:
            print(time.time()); sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.exit(1)
"""


def sh(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def start_host() -> None:
    sh("docker", "rm", "-f", HOST)
    run = sh(
        "docker", "run", "-d", "--name", HOST, "--cap-add", "SYS_ADMIN", "--cgroupns=host",
        "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "-v", "/etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro",
        "-v", f"{ARTIFACTS}:/var/cache/aib/artifacts:rw",
        "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", IMAGE, "/sbin/init",
    )  # fmt: skip
    if run.returncode:
        sys.exit(f"docker run failed: {run.stderr}")
    for _ in range(60):
        state = sh("docker", "exec", HOST, "systemctl", "is-system-running").stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    sys.exit(f"{HOST}: systemd did not come up")


def strategy_env() -> dict[str, str]:
    if STRATEGY == "linear":
        return {}
    if STRATEGY != "mitogen":
        sys.exit(f"AIB_BENCH_STRATEGY={STRATEGY!r}: use linear or mitogen")
    import ansible_mitogen

    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


def write_inventory(out: Path) -> Path:
    """The test host's inventory, `out`/inventory.yml."""
    inventory = out / "inventory.yml"
    # `docker` is community.docker.docker by its short name, as in inventory/container: the name
    # Mitogen redirects (AIB_BENCH_STRATEGY=mitogen)
    inventory.write_text(
        "---\nai_backend:\n  hosts:\n"
        f"    {HOST}:\n      ansible_connection: docker\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
    )
    return inventory


def playbook_env() -> dict[str, str]:
    """ansible-playbook's environment in every benchmark run: pipelining, no colour, the strategy."""
    env = {**os.environ, "ANSIBLE_PIPELINING": "True", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    env.update(strategy_env())
    return env


def write_inputs() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    inventory = write_inventory(OUT)
    import yaml

    mappings = yaml.safe_load((REPO / "group_vars/all/model_mappings.yml").read_text())
    mappings["aib_model_mappings"]["aliases"][ALIAS] = "smollm2"  # the one-line registry change
    (OUT / "change.yml").write_text(yaml.safe_dump(mappings, sort_keys=False, explicit_start=True))
    return inventory


def site(inventory: Path, label: str, *args: str) -> tuple[float, dict[str, int], float]:
    cmd = [str(REPO / ".venv/bin/ansible-playbook"), "site.yml", "-i", str(inventory), *args]
    start = time.time()
    proc = subprocess.run(cmd, cwd=REPO, env=playbook_env(), capture_output=True, text=True, check=False)
    took = time.time() - start
    output = ANSI.sub("", proc.stdout + proc.stderr)
    (OUT / f"{label}.log").write_text(" ".join(cmd) + "\n" + output)
    found = RECAP.findall(output)
    if proc.returncode or not found:
        sys.exit(f"{label}: ansible-playbook failed (rc {proc.returncode}), see {OUT / (label + '.log')}")
    ok, changed = map(int, found[-1][:2])
    return took, {"ok": ok, "changed": changed}, start


def poller(present: bool) -> subprocess.Popen:
    return subprocess.Popen(
        ["docker", "exec", HOST, "python3", "-c", _POLL, ALIAS, "1" if present else "0", "900"],
        stdout=subprocess.PIPE,
        text=True,
    )


def served_at(proc: subprocess.Popen) -> float | None:
    out, _ = proc.communicate(timeout=960)
    return float(out.strip()) if proc.returncode == 0 and out.strip() else None


def _since(moment: float | None, start: float) -> float | None:
    return round(moment - start, 1) if moment else None


def main() -> int:
    start_host()
    inventory = write_inputs()
    rows: dict[str, dict] = {}
    took, recap, _ = site(inventory, "cold")
    rows["cold"] = {"seconds": round(took, 1), **recap}
    took, recap, _ = site(inventory, "no-change")
    rows["no-change"] = {"seconds": round(took, 1), **recap}

    watch = poller(present=True)
    change = f"@{OUT / 'change.yml'}"
    took, recap, start = site(inventory, "change", "--tags", "litellm,release", "-e", change)
    live = served_at(watch)
    rows["change"] = {"seconds": round(took, 1), **recap, "live_after_s": _since(live, start)}

    watch = poller(present=False)
    took, recap, start = site(inventory, "rollback", "--tags", "rollback")
    live = served_at(watch)
    rows["rollback"] = {"seconds": round(took, 1), **recap, "live_after_s": _since(live, start)}

    took, recap, _ = site(inventory, "no-change2")
    rows["no-change2"] = {"seconds": round(took, 1), **recap}

    cpus = os.cpu_count()
    load = os.getloadavg()
    result = {
        "date": date.today().isoformat(),
        "cpus": cpus,
        "strategy": STRATEGY,
        "loadavg_at_end": [round(x, 2) for x in load],
        "steps": rows,
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    heading = f"provisioning benchmark, default profile, {cpus} CPUs, strategy {STRATEGY}"
    print(f"\n{heading} (load at end {load[0]:.2f}):")
    print(f"{'step':<12} {'run s':>7} {'ok':>5} {'changed':>8} {'live after s':>13}")
    for name, row in rows.items():
        live = row.get("live_after_s")
        shown = "" if live is None else live
        print(f"{name:<12} {row['seconds']:>7} {row['ok']:>5} {row['changed']:>8} {shown:>13}")
    print(f"results: {OUT}")
    if os.environ.get("AIB_BENCH_KEEP") != "1":
        sh("docker", "rm", "-f", HOST)
    return 0


if __name__ == "__main__":
    sys.exit(main())
