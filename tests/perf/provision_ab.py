"""No-change re-runs of two revisions, interleaved, on one settled test host (issue 6).

    AIB_BENCH_KEEP=1 bash tests/perf/provision.sh                   # leaves the host aib-bench
    .venv/bin/python tests/perf/provision_ab.py BASE_REV [ROUNDS]   # BASE_REV vs the working tree

The provisioning benchmark runs each step once on a fresh host, where wall time swings with
whatever else the 2-core machine does. This compares two revisions of the playbooks on the same
host in the same state, alternating (base, new, new, base, ...), so drift hits both alike. BASE_REV
is checked out as a git worktree (with this checkout's `playbooks/.credentials/`, so both use the
same secrets); every run is `ansible-playbook site.yml` with the benchmark's inventory and settings
(AIB_BENCH_STRATEGY as there: mitogen, the default, or linear) and must report changed=0.

Per run: wall seconds, the controller's CPU seconds (user + system of ansible-playbook and its
workers, from the children's rusage) and the recap's ok/skipped. Prints a table and writes
tests/perf/results/<date>-provision-ab-<strategy><AIB_BENCH_SUFFIX>/{results.json,<side>-<n>.log}.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from provision_bench import ANSI, HOST, REPO, STRATEGY, SUFFIX, playbook_env, write_inventory

RECAP = re.compile(r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+).*?skipped=(\d+)", re.M)
OUT = REPO / "tests" / "perf" / "results" / f"{date.today().isoformat()}-provision-ab-{STRATEGY}{SUFFIX}"


def run(tree: Path, inv: Path, label: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    proc = subprocess.run(
        [str(REPO / ".venv/bin/ansible-playbook"), "site.yml", "-i", str(inv)],
        cwd=tree, env=playbook_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = ANSI.sub("", proc.stdout + proc.stderr)
    (OUT / f"{label}.log").write_text(output)
    found = RECAP.findall(output)
    if proc.returncode or not found:
        sys.exit(f"{label}: ansible-playbook failed (rc {proc.returncode}), see {OUT / (label + '.log')}")
    ok, changed, skipped = map(int, found[-1])
    if changed:
        sys.exit(f"{label}: changed={changed}, not a no-change run (see {OUT / (label + '.log')})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "ok": ok, "skipped": skipped}


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    base_rev, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2
    OUT.mkdir(parents=True, exist_ok=True)
    inv = write_inventory(OUT)
    work = Path(tempfile.mkdtemp(prefix="aib-ab-"))
    base = work / "base"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base), base_rev], check=True)
    try:
        # the generated secrets live beside the plays (aib_credentials_dir): without them the base
        # would generate new ones and change the host
        creds = REPO / "playbooks" / ".credentials"
        if creds.is_dir():
            shutil.copytree(creds, base / "playbooks" / ".credentials")
        sides = {"base": base, "new": REPO}
        runs: dict[str, list[dict]] = {"base": [], "new": []}
        for n in range(rounds):
            order = ("base", "new") if n % 2 == 0 else ("new", "base")
            for side in order:
                row = run(sides[side], inv, f"{side}-{n + 1}")
                runs[side].append(row)
                print(f"round {n + 1} {side}: {row}", flush=True)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False)
        shutil.rmtree(work, ignore_errors=True)

    summary = {
        side: {key: statistics.median(r[key] for r in rows) for key in ("wall_s", "cpu_s", "ok", "skipped")}
        for side, rows in runs.items()
    }
    result = {
        "date": date.today().isoformat(),
        "cpus": os.cpu_count(),
        "strategy": STRATEGY,
        "base": base_rev,
        "new": "working tree",
        "runs": runs,
        "median": summary,
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nno-change re-runs on {HOST}, strategy {STRATEGY}, {rounds} rounds (medians):")
    print(f"{'side':<6} {'wall s':>7} {'ctrl CPU s':>11} {'ok':>5} {'skipped':>8}")
    for side, row in summary.items():
        print(f"{side:<6} {row['wall_s']:>7} {row['cpu_s']:>11} {row['ok']:>5} {row['skipped']:>8}")
    print(f"results: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
