#!/usr/bin/env python3
"""What the gateway's nginx front costs per request (docs/performance.md, "The nginx front").

Renders roles/litellm/templates/front.nginx.conf.j2 as the role does (loopback, its real settings),
points it at an instant upstream (a second nginx answering a fixed chat completion), and measures
with wrk, for the front and for the upstream alone, at 1 and 16 connections: requests, CPU time per
request of each nginx's own process tree and the p50 latency (gateway_bench.py's tree_cpu_s and
parse_wrk: the same /proc/<pid>/stat sums and wrk parsing as the gateway figures).

  .venv/bin/python tests/perf/front_overhead.py [--seconds 5] [--out tests/perf/results/<dir>/front.md]

Needs nginx and wrk (Debian packages). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import jinja2
from gateway_bench import parse_wrk, tree_cpu_s  # this directory: the gateway benchmark's own readers

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "roles" / "litellm" / "templates" / "front.nginx.conf.j2"
FRONT, UPSTREAM = 18100, 18101
BODY = '{"model":"m","messages":[{"role":"user","content":"hi"}]}'
ANSWER = (
    '{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,'
    '"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}]}'
)
TEMP_PATHS = "".join(
    f"  {k}_temp_path {{d}}/tmp/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
)


def upstream_conf(d: Path) -> str:
    return (
        f"worker_processes 1;\npid {d}/nginx.pid;\nerror_log stderr warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  access_log off;\n{TEMP_PATHS.format(d=d)}"
        f"  server {{ listen 127.0.0.1:{UPSTREAM}; location / {{ default_type application/json; "
        f"return 200 '{ANSWER}'; }} }}\n}}\n"
    )


def front_conf(d: Path) -> str:
    return jinja2.Template(TEMPLATE.read_text()).render(
        ansible_managed="rendered by tests/perf/front_overhead.py",
        aib_user=os.environ.get("USER", "root"),
        _litellm_front_unit="aib-litellm-front",
        _litellm_unit="aib-litellm",
        _litellm_primary_port=UPSTREAM,
        _litellm_standby_port=UPSTREAM + 1,
        _litellm_front_dir=str(d),
        litellm_bind="127.0.0.1",
        litellm_port=FRONT,
        _litellm_front_max_body="64m",
        _litellm_front_read_timeout="600s",
    )


def start(d: Path, conf: str) -> int:
    (d / "tmp").mkdir(parents=True)
    (d / "nginx.conf").write_text(conf)
    subprocess.run(["nginx", "-e", "stderr", "-p", str(d), "-c", str(d / "nginx.conf")], check=True)
    for _ in range(50):
        if (d / "nginx.pid").exists() and (d / "nginx.pid").read_text().strip():
            return int((d / "nginx.pid").read_text())
        time.sleep(0.1)
    raise SystemExit(f"nginx in {d} did not start")


def measure(port: int, pid: int, conns: int, seconds: int, lua: Path) -> dict:
    before = tree_cpu_s(pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(lua),
         f"http://127.0.0.1:{port}/v1/chat/completions"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cpu = tree_cpu_s(pid) - before
    wrk = parse_wrk(out)
    if not wrk["requests"] or "p50_ms" not in wrk:
        raise SystemExit(f"wrk on :{port} reported no requests or no p50:\n{out}")
    p50_us = f"{1000 * wrk['p50_ms']:.0f} µs"
    return {
        "requests": wrk["requests"],
        "cpu_ms_per_req": round(1000 * cpu / wrk["requests"], 3),
        "p50": p50_us,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        lua = base / "post.lua"
        lua.write_text(
            f"wrk.method = 'POST'\nwrk.body = '{BODY}'\nwrk.headers['Content-Type'] = 'application/json'\n"
        )
        pids = {"upstream": start(base / "up", upstream_conf(base / "up"))}
        pids["front"] = start(base / "front", front_conf(base / "front"))
        try:
            for label, port in (("front -> upstream", FRONT), ("upstream alone", UPSTREAM)):
                pid = pids["front" if port == FRONT else "upstream"]
                for conns in (1, 16):
                    rows.append(
                        {"target": label, "conns": conns, **measure(port, pid, conns, args.seconds, lua)}
                    )
        finally:
            for pid in pids.values():
                subprocess.run(["kill", str(pid)], check=False)
    table = [
        "| target | connections | requests | CPU ms/request (own nginx) | p50 |",
        "| --- | --- | --- | --- | --- |",
    ]
    table += [
        f"| {r['target']} | {r['conns']} | {r['requests']} | {r['cpu_ms_per_req']} | {r['p50']} |"
        for r in rows
    ]
    text = (
        "\n".join(table)
        + f"\n\nloadavg {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, {args.seconds} s per row\n"
    )
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
