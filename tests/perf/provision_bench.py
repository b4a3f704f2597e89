"""Provisioning benchmark (issue 6): wall time of the default profile's runs on a fresh test host.

    bash tests/perf/provision.sh            (from the repository root; see tests/perf/README.md)

Steps, each a real `ansible-playbook site.yml` against one fresh Debian systemd container (the
molecule recipe: local image, shared artifact directory, docker connection with pipelining, the
repository's ansible.cfg):

  cold        the first converge of the default profile
  no-change   the same again, AIB_BENCH_REPEAT times (3): each must report changed=0
  change      a one-line registry change (a new alias) applied with the gateway's tag and the
              health gate (`--tags litellm,release`): run time, and time from the run's start
              until :4000 serves the new name (a poller in the host asks /v1/models every 0.2 s)
  rollback    `--tags rollback` (back to the version before the change): run time and time until
              the alias is gone from :4000; change + rollback are repeated AIB_BENCH_REPEAT times
  no-change2  the default profile once more after the rollbacks: changed=0

Every run but the cold converge starts on a quiet machine: the benchmark first waits until under
10 % of the cores are busy (a handover leaves two LiteLLM start-ups running for 10-20 s after its
run; the wait is recorded as settled_after_s). Every run also records the controller's CPU seconds
(ansible-playbook and its workers) and the CPU time the hypervisor stole from this machine
meanwhile (/proc/stat `steal`, both cores): on the shared 2-core machine a run's wall time swings
with it. Prints a table (median, min-max of the
repeats), writes tests/perf/results/<date>-provision<AIB_BENCH_SUFFIX>/{results.json,*.log}. Not a
test: the figures depend on the machine; docs/performance.md quotes them.

AIB_BENCH_STRATEGY=linear runs every step with Ansible's own `linear` strategy (AIB_MITOGEN=0); the
default, `mitogen`, is what ansible.cfg selects: aib_linear, i.e. linear through Mitogen.
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = os.environ.get("AIB_BENCH_HOST", "aib-bench")
IMAGE = os.environ.get("AIB_BENCH_IMAGE", "local/debian-systemd:bookworm")
ARTIFACTS = os.environ.get("AIB_ARTIFACT_DIR", "/var/cache/aib/artifacts")
STRATEGY = os.environ.get("AIB_BENCH_STRATEGY", "mitogen")
REPEAT = int(os.environ.get("AIB_BENCH_REPEAT", "3"))
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
    """ansible.cfg's aib_linear runs through Mitogen; AIB_MITOGEN=0 makes it Ansible's own linear."""
    if STRATEGY not in ("mitogen", "linear"):
        sys.exit(f"AIB_BENCH_STRATEGY={STRATEGY!r}: use mitogen (the default) or linear")
    return {"AIB_MITOGEN": "1" if STRATEGY == "mitogen" else "0"}


def cpu_ticks() -> list[int]:
    """/proc/stat's all-cores line: user nice system idle iowait irq softirq steal ... (clock ticks)."""
    return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def steal_s() -> float:
    """CPU seconds stolen by the hypervisor so far, all cores."""
    return cpu_ticks()[7] / os.sysconf("SC_CLK_TCK")


def busy_fraction(seconds: float = 2.0) -> float:
    """Share of all cores' time that was not idle over `seconds`."""

    def sample() -> tuple[int, int]:
        fields = cpu_ticks()
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(total1 - total0, 1)


def settle(limit_s: float = 180.0) -> float:
    """Wait until the machine is quiet (under 10 % of its cores busy over 2 s); the seconds waited.

    A handover leaves two LiteLLM start-ups behind it (the primary's restart, the warm standby's
    new import: 10-20 s of CPU each on this machine), and a run started meanwhile shares the cores
    with them. Each timed run starts on a settled host, as a change by an operator would."""
    start = time.time()
    while time.time() - start < limit_s and busy_fraction() >= 0.10:
        pass
    return round(time.time() - start, 1)


def write_inventory(out: Path) -> Path:
    """The test host's inventory, `out`/inventory.yml."""
    inventory = out / "inventory.yml"
    # `docker` is community.docker.docker by its short name, as in inventory/container: the name
    # Mitogen takes over (ansible.cfg's aib_linear strategy)
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


def site(inventory: Path, label: str, *args: str) -> tuple[float, dict, float]:
    cmd = [str(REPO / ".venv/bin/ansible-playbook"), "site.yml", "-i", str(inventory), *args]
    before, stolen = resource.getrusage(resource.RUSAGE_CHILDREN), steal_s()
    start = time.time()
    proc = subprocess.run(cmd, cwd=REPO, env=playbook_env(), capture_output=True, text=True, check=False)
    took = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = ANSI.sub("", proc.stdout + proc.stderr)
    (OUT / f"{label}.log").write_text(" ".join(cmd) + "\n" + output)
    found = RECAP.findall(output)
    if proc.returncode or not found:
        sys.exit(f"{label}: ansible-playbook failed (rc {proc.returncode}), see {OUT / (label + '.log')}")
    ok, changed = map(int, found[-1][:2])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    recap = {"ok": ok, "changed": changed, "cpu_s": round(cpu, 1), "steal_s": round(steal_s() - stolen, 1)}
    return took, recap, start


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


def _run(inventory: Path, label: str, *args: str, alias_present: bool | None = None) -> dict:
    settled = settle() if label != "cold" else 0.0
    watch = poller(present=alias_present) if alias_present is not None else None
    took, recap, start = site(inventory, label, *args)
    row = {"seconds": round(took, 1), **recap, "settled_after_s": settled}
    if watch is not None:
        row["live_after_s"] = _since(served_at(watch), start)
    return row


def _summary(runs: list[dict]) -> dict:
    """One step's repeats: every run, and the median / min / max of its figures."""
    out: dict = {"runs": runs}
    for key in ("seconds", "live_after_s", "cpu_s", "steal_s"):
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = round(statistics.median(values), 1)
            out[f"{key}_range"] = [min(values), max(values)]
    out["ok"], out["changed"] = runs[-1]["ok"], sorted({r["changed"] for r in runs})
    return out


def main() -> int:
    start_host()
    inventory = write_inputs()
    runs: dict[str, list[dict]] = {"cold": [_run(inventory, "cold")]}
    runs["no-change"] = [_run(inventory, f"no-change-{n}") for n in range(1, REPEAT + 1)]
    change = f"@{OUT / 'change.yml'}"
    runs["change"], runs["rollback"] = [], []
    for n in range(1, REPEAT + 1):
        runs["change"].append(
            _run(inventory, f"change-{n}", "--tags", "litellm,release", "-e", change, alias_present=True)
        )
        runs["rollback"].append(_run(inventory, f"rollback-{n}", "--tags", "rollback", alias_present=False))
    runs["no-change2"] = [_run(inventory, "no-change2")]
    for name in ("no-change", "no-change2"):
        if any(r["changed"] for r in runs[name]):
            sys.exit(f"{name}: a no-change run changed something: {runs[name]}")
    rows = {name: _summary(r) for name, r in runs.items()}

    cpus = os.cpu_count()
    load = os.getloadavg()
    result = {
        "date": date.today().isoformat(),
        "cpus": cpus,
        "strategy": STRATEGY,
        "repeat": REPEAT,
        "loadavg_at_end": [round(x, 2) for x in load],
        "steps": rows,
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    heading = f"provisioning benchmark, default profile, {cpus} CPUs, strategy {STRATEGY}"
    print(f"\n{heading} (load at end {load[0]:.2f}; median and range of {REPEAT} repeats):")
    print(f"{'step':<11} {'run s':>7} {'range':>13} {'live after s':>13} {'range':>13} {'ok':>4} "
          f"{'changed':>8} {'ctl cpu s':>10} {'steal s':>8}")  # fmt: skip

    def rng(row: dict, key: str) -> str:
        low, high = row.get(f"{key}_range", (None, None))
        return "" if low is None or low == high else f"{low}-{high}"

    for name, row in rows.items():
        live = row.get("live_after_s", "")
        changed = ",".join(map(str, row["changed"]))
        cells = [f"{name:<11}", f"{row['seconds']:>7}", f"{rng(row, 'seconds'):>13}", f"{live:>13}"]
        cells += [f"{rng(row, 'live_after_s'):>13}", f"{row['ok']:>4}", f"{changed:>8}"]
        cells += [f"{row['cpu_s']:>10}", f"{row['steal_s']:>8}"]
        print(" ".join(cells))
    print(f"results: {OUT}")
    if os.environ.get("AIB_BENCH_KEEP") != "1":
        sh("docker", "rm", "-f", HOST)
    return 0


if __name__ == "__main__":
    sys.exit(main())
