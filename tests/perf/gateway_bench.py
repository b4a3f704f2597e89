#!/usr/bin/env python3
"""Gateway benchmark: nginx (instant OpenAI-compatible upstream) <- LiteLLM <- wrk.

Three targets in one run, each non-streaming and streaming:

* ``direct``   - the nginx upstream itself (what the gateway adds is measured against it);
* ``defaults`` - ``litellm --config cfg.yaml`` with only the model_list plus the minimum LiteLLM
  1.108.5 needs to start without a master key (one process, no DB);
* ``role``     - LiteLLM exactly as roles/litellm configures it: config.yaml, EnvironmentFile and
  systemd unit are rendered by ansible-playbook from the role's own defaults, vars, tasks
  (the set_fact tasks that build the effective config are taken verbatim from
  tasks/configure.yml and tasks/preflight.yml) and templates; the process gets the unit's
  Environment=/EnvironmentFile= environment and runs its ExecStart argv.
* ``role+prometheus`` - the same with the registry's usual ``callbacks: [prometheus]``.

Figures: requests/s at saturation, p50/p99 (wrk --latency) at concurrency 1 and at saturation,
p50/p99 added versus direct at concurrency 1, gateway CPU ms per request (utime+stime from
/proc/<pid>/stat of the whole process tree, reaped children included) over a fixed number of
sequential requests and over the saturation run. The gateway runs on one core, nginx and wrk on
another (taskset).

Run it with ``bash tests/perf/run.sh`` (installs nginx/wrk, builds the venv from the role's lock
file). ``--sweep`` measures the tuning candidates instead (tests/perf/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from schemas.render.litellm import LOCAL_PRICE  # noqa: E402  (the repository root is not on sys.path)

ROLE = REPO / "roles" / "litellm"
HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Loopback ports picked free at start (other services on the machine keep theirs).
PORT_JSON, PORT_SSE = free_port(), free_port()
MODEL, MODEL_STREAM = "bench", "bench-stream"

CHAT_COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "bench",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
}


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: dict | None = None) -> str:
    body: dict[str, Any] = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "bench",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        body["usage"] = usage
    return "data: " + json.dumps(body, separators=(",", ":")) + "\n\n"


SSE_BODY = (
    _chunk({"role": "assistant", "content": ""})
    + "".join(_chunk({"content": w}) for w in ["Hello!", " How", " can", " I", " help", " you", " today?"])
    + _chunk({}, "stop", CHAT_COMPLETION["usage"])
    + "data: [DONE]\n\n"
)

REQUEST = {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16}


def _nginx_str(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def nginx_conf(tmp: Path) -> str:
    body_json = json.dumps(CHAT_COMPLETION, separators=(",", ":"))
    common = """
        access_log off;
        keepalive_requests 10000000;
        keepalive_timeout 300s;
        client_body_buffer_size 64k;"""
    return f"""
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{PORT_JSON};{common}
        location / {{ default_type application/json; return 200 {_nginx_str(body_json)}; }}
    }}
    server {{
        listen 127.0.0.1:{PORT_SSE};{common}
        chunked_transfer_encoding on;
        location / {{
            default_type text/event-stream;
            add_header Cache-Control no-cache;
            return 200 {_nginx_str(SSE_BODY)};
        }}
    }}
}}
"""


WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = [==[{body}]==]
local limit = tonumber(os.getenv("WRK_LIMIT") or "0")
local done = os.getenv("WRK_DONE")
local count = 0
function response(status, headers, body)
  count = count + 1
  if limit > 0 and count == limit then
    -- the driver sees the file and sends SIGINT: wrk stops and prints its statistics
    wrk.thread:stop()
    local f = io.open(done, "w")
    f:close()
  end
end
"""


# --------------------------------------------------------------------------------------------
# processes and CPU time


def tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_s(root: int) -> float:
    """utime+stime+cutime+cstime of every live process of the tree (reaped children are in cutime)."""
    ticks = 0
    for pid in tree_pids(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2 :].split()
        ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return ticks / CLK_TCK


def tree_rss_mb(root: int) -> float:
    kb = 0
    for pid in tree_pids(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kb += int(line.split()[1])
    return kb / 1024


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None, path: str = "") -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before :{port} answered")
        try:
            if path:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            else:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f":{port}{path} did not answer within {timeout}s")


def post(port: int, model: str, stream: bool) -> bytes:
    body = json.dumps({**REQUEST, "model": model, "stream": stream}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-bench"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
        return r.read()


# --------------------------------------------------------------------------------------------
# wrk

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict[str, Any]:
    res: dict[str, Any] = {}
    m = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            res[f"p{pct}_ms"] = _ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(map(int, m.groups())) if m else 0
    return res


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path):
        self.args = args
        self.tmp = tmp
        self.lua: dict[tuple[str, bool], Path] = {}

    def lua_for(self, model: str, stream: bool) -> Path:
        key = (model, stream)
        if key not in self.lua:
            path = self.tmp / f"wrk-{model}-{'sse' if stream else 'json'}.lua"
            body = json.dumps({**REQUEST, "model": model, "stream": stream}, separators=(",", ":"))
            path.write_text(WRK_LUA.format(body=body))
            self.lua[key] = path
        return self.lua[key]

    def wrk(self, port: int, model: str, stream: bool, conns: int, duration: float, limit: int = 0) -> dict:
        cmd = [
            "taskset",
            "-c",
            self.args.load_cpus,
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{int(duration)}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(self.lua_for(model, stream)),
            f"http://127.0.0.1:{port}/v1/chat/completions",
        ]
        done = self.tmp / "wrk.done"
        done.unlink(missing_ok=True)
        env = {**os.environ, "WRK_LIMIT": str(limit), "WRK_DONE": str(done)}
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            if limit:
                while proc.poll() is None and not done.exists():
                    time.sleep(0.02)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            out, err = proc.communicate()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode:
            raise RuntimeError(f"wrk failed ({proc.returncode}): {err[-500:]}")
        res = parse_wrk(out)
        res["wall_s"] = round(time.monotonic() - t0, 2)
        if res["non2xx"] or res["socket_errors"]:
            print(
                f"    !! {model} stream={stream}: {res['non2xx']} non-2xx, "
                f"{res['socket_errors']} socket errors"
            )
        return res

    def measure_round(self, port: int, model: str, stream: bool, root: int | None, quick: bool) -> dict:
        """One round: a fixed number of sequential requests (c1), then saturation (sat)."""
        a = self.args
        n = a.quick_requests if quick else a.requests
        out: dict[str, Any] = {}
        for kind, conns, dur, limit in (
            ("c1", 1, 600, n),
            ("sat", a.connections, a.quick_duration_s if quick else a.duration_s, 0),
        ):
            cpu0 = tree_cpu_s(root) if root else 0.0
            r = self.wrk(port, model, stream, conns, dur, limit=limit)
            r["cpu_s"] = (tree_cpu_s(root) - cpu0) if root else None
            out[kind] = r
        return out

    def interleaved(
        self, targets: dict[str, tuple[int | None, int | None]], modes, rounds: int, quick=False
    ) -> dict:
        """Measure running targets {label: (port, root pid)} round-robin; (None, None) = nginx direct.

        The targets run side by side and take turns (round r: A, B, C; round r+1: C, B, A, ...), so a
        change in the machine's load hits them alike. Per target and mode the rounds are pooled:
        CPU ms/request = sum of CPU / sum of requests, req/s and percentiles = median of the rounds.
        """
        res: dict[str, dict[str, Any]] = {label: {} for label in targets}
        for stream in modes:
            mode = "stream" if stream else "json"
            per: dict[str, list[dict]] = {label: [] for label in targets}
            ports = {
                label: port or (PORT_SSE if stream else PORT_JSON) for label, (port, _) in targets.items()
            }
            for label in targets:  # warm-up
                self.wrk(ports[label], MODEL_STREAM if stream else MODEL, stream, 1, self.args.warmup_s)
            order = list(targets)
            for rnd in range(rounds):
                for label in order if rnd % 2 == 0 else order[::-1]:
                    model = MODEL_STREAM if stream else MODEL
                    per[label].append(
                        self.measure_round(ports[label], model, stream, targets[label][1], quick)
                    )
                print(f"    {mode} round {rnd + 1}/{rounds} done", flush=True)
            for label, rs in per.items():
                res[label][mode] = pool(rs, targets[label][1] is not None)
        return res


def pool(rounds: list[dict], has_cpu: bool) -> dict:
    out: dict[str, Any] = {"rounds": rounds}
    for kind in ("c1", "sat"):
        agg: dict[str, Any] = {"requests": sum(r[kind]["requests"] for r in rounds)}
        for key in ("rps", "p50_ms", "p75_ms", "p90_ms", "p99_ms"):
            vals = [r[kind][key] for r in rounds if key in r[kind]]
            if vals:
                agg[key] = round(statistics.median(vals), 3)
        agg["non2xx"] = sum(r[kind]["non2xx"] for r in rounds)
        agg["socket_errors"] = sum(r[kind]["socket_errors"] for r in rounds)
        out[kind] = agg
        if has_cpu:
            cpu = sum(r[kind]["cpu_s"] for r in rounds)
            out[f"cpu_ms_per_req_{kind}"] = round(cpu * 1000 / max(agg["requests"], 1), 2)
            if kind == "sat":
                wall = sum(r[kind]["wall_s"] for r in rounds)
                out["gateway_cores_busy_sat"] = round(cpu / wall, 2)
    return out


# --------------------------------------------------------------------------------------------
# the gateway configurations

BASE_ENV_KEYS = ("LANG", "TZ")


def base_env(venv: Path, home: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in BASE_ENV_KEYS if k in os.environ}
    env.update({"PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"})
    return env


def model_list(role: bool = False, provider: str = "openai") -> list[dict]:
    """The two bench models. role=True: as the registry renders a local engine's deployment (the
    upstream stands in for one), i.e. with the price of schemas/render/litellm.py's LOCAL_PRICE.
    provider: LiteLLM's provider prefix of the deployments (the sweep's provider candidates)."""
    info = {"model_info": dict(LOCAL_PRICE)} if role else {}
    return [
        {
            "model_name": name,
            "litellm_params": {
                "model": f"{provider}/bench",
                "api_base": f"http://127.0.0.1:{port}/v1",
                "api_key": "sk-upstream",
            },
            **info,
        }
        for name, port in ((MODEL, PORT_JSON), (MODEL_STREAM, PORT_SSE))
    ]


def defaults_target(venv: Path, tmp: Path, port: int) -> dict:
    """LiteLLM's defaults: the model_list and the minimum 1.108.5 needs to start without a key/DB."""
    d = tmp / "defaults"
    d.mkdir(parents=True, exist_ok=True)
    cfg = {
        "model_list": model_list(),
        "general_settings": {"dangerously_permit_weak_or_unset_master_key": True},
    }
    (d / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    env = base_env(venv, d)
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    argv = [
        str(venv / "bin" / "litellm"),
        "--config",
        str(d / "config.yaml"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return {"argv": argv, "env": env, "cwd": str(d), "config": cfg}


def _task(path: Path, name: str) -> dict:
    for t in yaml.safe_load(path.read_text()):
        if t.get("name") == name:
            return t
    raise SystemExit(f"{path}: no task named {name!r} (the benchmark reads it verbatim; update the name)")


def render_role(venv: Path, tmp: Path, port: int, config: dict, overrides: dict, name: str) -> dict:
    """Render the role's config.yaml, EnvironmentFile and unit with the role's own files."""
    home = tmp / name
    (home / "venvs").mkdir(parents=True, exist_ok=True)
    (home / "etc" / "litellm").mkdir(parents=True, exist_ok=True)
    (home / "data" / "litellm" / "cache").mkdir(parents=True, exist_ok=True)
    link = home / "venvs" / "litellm"
    if not link.exists():
        link.symlink_to(venv)
    # The role's unit is written by _common/tasks/unit.yml: its templates (unit_limits.j2, ...)
    # are on the search path there; the playbook's templates/ dir stands in for both.
    tdir = home / "templates"
    tdir.mkdir(exist_ok=True)
    for src_dir in (REPO / "roles" / "_common" / "templates", ROLE / "templates"):
        for f in src_dir.glob("*") if src_dir.is_dir() else []:
            with contextlib.suppress(FileExistsError):
                (tdir / f.name).symlink_to(f)
    tasks = [
        _task(ROLE / "tasks" / "preflight.yml", "Work out whether the gateway has a master key"),
        _task(ROLE / "tasks" / "configure.yml", "Work out the effective config"),
        _task(
            ROLE / "tasks" / "configure.yml",
            "Work out the environment the role adds (master key, stdio MCP switch)",
        ),
    ]
    for t in tasks:
        t.pop("no_log", None)
    for src, dest in [
        ("config.yaml.j2", "{{ _litellm_conf }}"),
        ("litellm.env.j2", "{{ _litellm_env_file }}"),
        ("aib-litellm.service.j2", "{{ home }}/aib-litellm.service"),
    ]:
        tasks.append(
            {
                "name": f"render {src}",
                "ansible.builtin.template": {
                    "src": str(ROLE / "templates" / src),
                    "dest": dest,
                    "mode": "0600",
                },
            }
        )
    play = [
        {
            "name": "render roles/litellm for the benchmark",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")],
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "tasks": tasks,
        }
    ]
    (home / "render.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    extra = {
        "aib_home": str(home),
        "aib_user": os.environ.get("USER", "root"),
        "home": str(home),
        "litellm_config": config,
        "litellm_port": port,
        # The instance itself on `port` (the role puts it on litellm_port + 1 behind the nginx
        # front; docs/performance.md gives the front's own cost separately).
        "_litellm_instance_port": port,
        "_litellm_primary_port": port,
        **overrides,
    }
    (home / "extra.json").write_text(json.dumps(extra))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    r = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            "localhost,",
            str(home / "render.yml"),
            "-e",
            f"@{home / 'extra.json'}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode:
        raise SystemExit(f"rendering the role failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}")
    return unit_target(venv, home)


def _systemd_unescape(s: str) -> str:
    return s.replace("%%", "%").replace("$$", "$")


def unit_target(venv: Path, home: Path) -> dict:
    unit = (home / "aib-litellm.service").read_text()
    env = base_env(venv, home)
    argv: list[str] = []
    cwd = str(home)
    for line in unit.splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            for item in shlex.split(_systemd_unescape(value)):
                n, _, v = item.partition("=")
                env[n] = v
        elif key == "EnvironmentFile":
            for el in Path(value.lstrip("-")).read_text().splitlines():
                m = re.fullmatch(r'([A-Za-z_][A-Za-z0-9_]*)="(.*)"', el)
                if m:
                    env[m.group(1)] = m.group(2).replace('\\"', '"').replace("\\\\", "\\")
        elif key == "ExecStart":
            argv = [_systemd_unescape(a) for a in shlex.split(value)]
        elif key == "WorkingDirectory":
            cwd = value
    config = yaml.safe_load((home / "etc" / "litellm" / "config.yaml").read_text())
    return {"argv": argv, "env": env, "cwd": cwd, "config": config, "unit": str(home / "aib-litellm.service")}


def spawn_gateway(target: dict, cpus: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        ["taskset", "-c", cpus, *target["argv"]],
        env=target["env"],
        cwd=target["cwd"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def await_gateway(proc: subprocess.Popen, port: int, log: Path, t0: float) -> float:
    """Wait for /health/liveliness and check that both models answer; seconds since t0."""
    try:
        wait_port(port, 300, proc, "/health/liveliness")
        startup = time.monotonic() - t0
        for model, stream in ((MODEL, False), (MODEL_STREAM, True)):
            body = post(port, model, stream)
            if b"Hello" not in body and b"How" not in body:
                raise RuntimeError(f"unexpected answer for {model}: {body[:300]!r}")
    except BaseException:
        stop(proc)
        sys.stderr.write(log.read_text()[-4000:])
        raise
    return startup


# --------------------------------------------------------------------------------------------
# runs


class Gateways:
    """Gateways started side by side (all on --gateway-cpus), measured interleaved, stopped together."""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.running: dict[str, dict[str, Any]] = {}

    def start(self, specs: dict[str, tuple[dict, int]]) -> None:
        t0 = time.monotonic()
        for label, (target, port) in specs.items():
            log = self.bench.tmp / f"{label.replace(' ', '_').replace('/', '_')}.log"
            print(f"  {label}: starting on :{port}", flush=True)
            proc = spawn_gateway(target, self.bench.args.gateway_cpus, log)
            self.running[label] = {"proc": proc, "port": port, "log": log, "target": target}
        for label in specs:
            g = self.running[label]
            try:
                g["startup_s"] = round(await_gateway(g["proc"], g["port"], g["log"], t0), 1)
            except BaseException:
                self.stop(label)
                raise

    def info(self, label: str) -> dict:
        g = self.running[label]
        t = g["target"]
        return {
            "startup_s": g["startup_s"],
            "rss_mb": round(tree_rss_mb(g["proc"].pid)),
            "argv": t["argv"],
            "env": {k: v for k, v in t["env"].items() if k not in ("PATH", "HOME")},
            "config": t["config"],
        }

    def spec(self, label: str) -> tuple[int, int]:
        return self.running[label]["port"], self.running[label]["proc"].pid

    def stop(self, *labels: str) -> None:
        for label in labels or list(self.running):
            g = self.running.pop(label, None)
            if g:
                stop(g["proc"])


def start_nginx(tmp: Path, cpus: str) -> subprocess.Popen:
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / d).mkdir(exist_ok=True)
    (tmp / "nginx.conf").write_text(nginx_conf(tmp))
    proc = subprocess.Popen(
        [
            "taskset",
            "-c",
            cpus,
            shutil.which("nginx") or "/usr/sbin/nginx",
            "-c",
            str(tmp / "nginx.conf"),
            "-p",
            str(tmp),
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(PORT_JSON, 10, proc)
    wait_port(PORT_SSE, 10, proc)
    return proc


def machine() -> dict:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = re.search(r"Model name:\s+(.*)", lscpu)
    return {
        "host": socket.gethostname(),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "kernel": platform.release(),
    }


def versions(venv: Path) -> dict:
    code = (
        "import importlib.metadata as m, sys; print(sys.version.split()[0]); "
        "[print(p, m.version(p)) for p in ('litellm','uvicorn','uvloop','granian','httpx','aiohttp')]"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=False
    ).stdout.split("\n")
    v = {"python": out[0]}
    v.update(dict(line.split(" ", 1) for line in out[1:] if " " in line))
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True, check=False).stderr.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout.split()
    v["nginx"] = nginx.split("/")[-1]
    v["wrk"] = wrk[1] if len(wrk) > 1 else "?"
    return v


def summarize(results: dict) -> list[dict]:
    rows = []
    direct = results["targets"].get("direct", {})
    for name, t in results["targets"].items():
        for mode in ("json", "stream"):
            m = t.get(mode)
            if not m:
                continue
            d = direct.get(mode, {}).get("c1", {})
            cpu = m.get("cpu_ms_per_req_sat")
            row = {
                "target": name,
                "mode": "stream" if mode == "stream" else "non-stream",
                "rps_sat": round(m["sat"]["rps"], 1),
                "p50_sat_ms": m["sat"].get("p50_ms"),
                "p99_sat_ms": m["sat"].get("p99_ms"),
                "p50_c1_ms": m["c1"].get("p50_ms"),
                "p99_c1_ms": m["c1"].get("p99_ms"),
                "added_p50_ms": round(m["c1"]["p50_ms"] - d["p50_ms"], 2) if name != "direct" and d else None,
                "added_p99_ms": round(m["c1"]["p99_ms"] - d["p99_ms"], 2) if name != "direct" and d else None,
                "cpu_ms_req_c1": m.get("cpu_ms_per_req_c1"),
                "cpu_ms_req_sat": cpu,
                "rps_per_core": round(1000 / cpu, 1) if cpu else None,
                "cores_busy": m.get("gateway_cores_busy_sat"),
            }
            rows.append(row)
    return rows


COLS = [
    ("target", "target"),
    ("mode", "mode"),
    ("rps_sat", "req/s sat"),
    ("rps_per_core", "req/s per core"),
    ("cpu_ms_req_c1", "CPU ms/req c1"),
    ("cpu_ms_req_sat", "CPU ms/req sat"),
    ("p50_c1_ms", "p50 c1 ms"),
    ("p99_c1_ms", "p99 c1 ms"),
    ("added_p50_ms", "+p50 ms"),
    ("added_p99_ms", "+p99 ms"),
    ("p50_sat_ms", "p50 sat ms"),
    ("p99_sat_ms", "p99 sat ms"),
    ("cores_busy", "gw cores busy"),
]


def table(rows: list[dict]) -> str:
    def fmt(v):
        if v is None:
            return "-"
        return (
            f"{v:.2f}"
            if isinstance(v, float) and v < 10
            else (f"{v:.1f}" if isinstance(v, float) else str(v))
        )

    head = "| " + " | ".join(h for _, h in COLS) + " |"
    sep = "| " + " | ".join("---" for _ in COLS) + " |"
    body = ["| " + " | ".join(fmt(r.get(k)) for k, _ in COLS) + " |" for r in rows]
    return "\n".join([head, sep, *body])


# --------------------------------------------------------------------------------------------
# tuning sweep: each candidate is an override of the role's variables, rendered by the role

PROM = {"litellm_settings": {"callbacks": ["prometheus"]}}


def load_defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def candidates() -> list[tuple[str, dict, dict]]:
    """(label, role variable overrides, extra litellm_config) - applied on top of the role's defaults."""
    d = load_defaults()
    tun = d["litellm_tuning_settings"]
    env = d["litellm_unit_environment"]

    def ts(section: str, **kv) -> dict:
        t = copy.deepcopy(tun)
        t.setdefault(section, {}).update(kv)
        return {"litellm_tuning_settings": t}

    def ue(**kv) -> dict:
        return {"litellm_unit_environment": {**env, **kv}}

    return [
        ("role (current defaults)", {}, {}),
        ("+ callbacks: [prometheus]", {}, PROM),
        ("LITELLM_LOG=ERROR", {"litellm_log_level": "ERROR"}, {}),
        ("LITELLM_LOG=INFO", {"litellm_log_level": "INFO"}, {}),
        ("json_logs: true", ts("litellm_settings", json_logs=True), {}),
        ("turn_off_message_logging", ts("litellm_settings", turn_off_message_logging=True), {}),
        ("granian (--run_granian)", {"litellm_server": "granian"}, {}),
        ("workers 2 (same core)", {"litellm_workers": 2}, {}),
        ("disable_end_user_cost_tracking", ts("litellm_settings", disable_end_user_cost_tracking=True), {}),
        (
            "disable_add_transform_inline_image_block",
            ts("litellm_settings", disable_add_transform_inline_image_block=True),
            {},
        ),
        ("cache: false", ts("litellm_settings", cache=False), {}),
        ("router: simple-shuffle", ts("router_settings", routing_strategy="simple-shuffle"), {}),
        ("router: enable_pre_call_checks false", ts("router_settings", enable_pre_call_checks=False), {}),
        ("router: disable_cooldowns", ts("router_settings", disable_cooldowns=True), {}),
        ("proxy_batch_write_at: 60", ts("general_settings", proxy_batch_write_at=60), {}),
        ("disable_master_key_return", ts("general_settings", disable_master_key_return=True), {}),
        ("USE_AIOHTTP_TRANSPORT=False", ue(USE_AIOHTTP_TRANSPORT="False"), {}),
        ("disable_aiohttp_transport: true", ts("litellm_settings", disable_aiohttp_transport=True), {}),
        ("LITELLM_MODE=PRODUCTION", ue(LITELLM_MODE="PRODUCTION"), {}),
        ("LITELLM_DETAILED_TIMING=False", ue(LITELLM_DETAILED_TIMING="False"), {}),
        ("disable_streaming_logging", ts("litellm_settings", disable_streaming_logging=True), {}),
        ("disable_token_counter", ts("litellm_settings", disable_token_counter=True), {}),
        ("PYTHONOPTIMIZE=1", ue(PYTHONOPTIMIZE="1"), {}),
        ("PYTHONNODEBUGRANGES=1", ue(PYTHONNODEBUGRANGES="1"), {}),
        ("model_info without the local price (as before)", {}, {"model_list": model_list()}),
        ("provider aiohttp_openai/", {}, {"model_list": model_list(role=True, provider="aiohttp_openai")}),
        ("provider hosted_vllm/", {}, {"model_list": model_list(role=True, provider="hosted_vllm")}),
        ("role (current defaults) again", {}, {}),
    ]


def sweep(bench: Bench, venv: Path, only: list[str], modes: tuple[bool, ...], rounds: int) -> dict:
    """Each candidate runs beside the role's current defaults and takes turns with it."""
    out: dict[str, Any] = {}
    cands = candidates()
    base_label = cands[0][0]
    if only:
        cands = [c for c in cands[1:] if any(o.lower() in c[0].lower() for o in only)]
    for spec in bench.args.candidate:
        label, _, overrides = spec.partition("=")
        cands.append((label, json.loads(overrides), {}))
    gws = Gateways(bench)
    port = free_port()
    base = render_role(venv, bench.tmp, port, {"model_list": model_list(role=True)}, {}, "base")
    gws.start({base_label: (base, port)})
    try:
        for n, (label, overrides, extra) in enumerate(cands):
            cfg = {"model_list": model_list(role=True), **copy.deepcopy(extra)}
            port = free_port()
            try:
                gws.start({label: (render_role(venv, bench.tmp, port, cfg, overrides, f"cand{n}"), port)})
            except Exception as e:
                print(f"    !! {label}: {e}")
                out[label] = {"error": str(e)[:500]}
                continue
            try:
                rss = {x: gws.info(x)["rss_mb"] for x in (base_label, label)}
                r = bench.interleaved(
                    {x: gws.spec(x) for x in (base_label, label)}, modes, rounds, quick=True
                )
            finally:
                gws.stop(label)
            out[label] = {"overrides": overrides, "extra_config": extra}
            for mode in ("json", "stream"):
                if mode not in r[label]:
                    continue
                c, b = r[label][mode], r[base_label][mode]
                out[label][mode] = {
                    "cpu_ms_req_c1": c["cpu_ms_per_req_c1"],
                    "cpu_ms_req_sat": c["cpu_ms_per_req_sat"],
                    "base_cpu_ms_req_c1": b["cpu_ms_per_req_c1"],
                    "base_cpu_ms_req_sat": b["cpu_ms_per_req_sat"],
                    "delta_pct_sat": round(100 * (c["cpu_ms_per_req_sat"] / b["cpu_ms_per_req_sat"] - 1), 1),
                    "rps_sat": c["sat"]["rps"],
                    "base_rps_sat": b["sat"]["rps"],
                    "p50_c1_ms": c["c1"].get("p50_ms"),
                    "base_p50_c1_ms": b["c1"].get("p50_ms"),
                    "rss_mb": rss[label],
                    "base_rss_mb": rss[base_label],
                }
            shown = {k: v for k, v in out[label].items() if k in ("json", "stream")}
            print(f"    {label}: {json.dumps(shown)}", flush=True)
    finally:
        gws.stop()
    return out


# --------------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--venv", default=os.environ.get("AIB_PERF_VENV"), help="LiteLLM venv (run.sh builds one)")
    p.add_argument("--gateway-cpus", default="1")
    p.add_argument("--load-cpus", default="0", help="cores of nginx and wrk")
    p.add_argument("--requests", type=int, default=600, help="sequential requests for CPU/request at c=1")
    p.add_argument("--connections", type=int, default=16, help="wrk connections at saturation")
    p.add_argument("--duration-s", type=float, default=15)
    p.add_argument("--warmup-s", type=float, default=3)
    p.add_argument("--quick-requests", type=int, default=400, help="--sweep: sequential requests")
    p.add_argument("--quick-duration-s", type=float, default=8, help="--sweep: saturation seconds")
    p.add_argument("--targets", default="direct,defaults,role,role+prometheus")
    p.add_argument("--sweep", action="store_true", help="measure the tuning candidates (non-streaming)")
    p.add_argument("--modes", default="json,stream", help="json, stream or json,stream")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target and mode")
    p.add_argument("--sweep-rounds", type=int, default=3, help="--sweep: rounds per candidate")
    p.add_argument(
        "--only", action="append", default=[], help="--sweep: candidates whose label contains this"
    )
    p.add_argument(
        "--candidate",
        action="append",
        default=[],
        help="--sweep: one more candidate, LABEL={role variable overrides as JSON}",
    )
    p.add_argument("--out", help="results dir (default tests/perf/results/<date>-<host>)")
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--keep-tmp", action="store_true")
    a = p.parse_args()
    if not a.venv:
        p.error("--venv (or AIB_PERF_VENV) is required; bash tests/perf/run.sh builds it")
    venv = Path(a.venv).resolve()
    for tool in ("nginx", "wrk", "taskset"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            p.error(f"{tool} missing (apt-get install -y nginx wrk util-linux)")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up nginx/gateway on SIGTERM too
    tmp = Path(tempfile.mkdtemp(prefix="aib-perf-"))
    bench = Bench(a, tmp)
    started = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(venv),
        "conditions": {
            **{
                k: getattr(a, k)
                for k in ("gateway_cpus", "load_cpus", "requests", "connections", "duration_s", "warmup_s")
            },
            "rounds": a.sweep_rounds if a.sweep else a.rounds,
            "quick_requests": a.quick_requests,
            "quick_duration_s": a.quick_duration_s,
        },
        "targets": {},
    }
    print(f"machine: {results['machine']}\nversions: {results['versions']}", flush=True)
    nginx = start_nginx(tmp, a.load_cpus)
    try:
        modes = tuple(m == "stream" for m in a.modes.split(","))
        if a.sweep:
            results["sweep"] = sweep(bench, venv, a.only, modes, a.sweep_rounds)
        else:
            names = a.targets.split(",")
            specs: dict[str, tuple[dict, int]] = {}
            for name in names:
                port = free_port()
                if name == "defaults":
                    specs[name] = (defaults_target(venv, tmp, port), port)
                elif name in ("role", "role+prometheus"):
                    prom = copy.deepcopy(PROM) if name != "role" else {}
                    cfg = {"model_list": model_list(role=True), **prom}
                    specs[name] = (render_role(venv, tmp, port, cfg, {}, name.replace("+", "-")), port)
                elif name != "direct":
                    p.error(f"unknown target {name}")
            gws = Gateways(bench)
            try:
                gws.start(specs)
                infos = {name: gws.info(name) for name in specs}
                measured = bench.interleaved(
                    {name: gws.spec(name) if name in specs else (None, None) for name in names},
                    modes,
                    a.rounds,
                )
            finally:
                gws.stop()
            for name in names:
                results["targets"][name] = {**infos.get(name, {}), **measured[name]}
    finally:
        stop(nginx)
        if not a.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    md = [
        f"# Gateway benchmark {results['started']}",
        "",
        f"Machine: {results['machine']['cpu']}, {results['machine']['cpus']} CPUs, load "
        f"{results['machine']['loadavg_start'][0]:.2f} -> {results['machine']['loadavg_end'][0]:.2f}; "
        f"versions: {', '.join(f'{k} {v}' for k, v in results['versions'].items())}.",
        f"Gateway on CPU {a.gateway_cpus}, nginx + wrk on CPU {a.load_cpus}; "
        f"{a.sweep_rounds if a.sweep else a.rounds} interleaved rounds, each: c1 = 1 connection, "
        f"{a.quick_requests if a.sweep else a.requests} requests; sat = {a.connections} connections, "
        f"{a.quick_duration_s if a.sweep else a.duration_s:g} s.",
        "",
    ]
    if results["targets"]:
        results["summary"] = summarize(results)
        md.append(table(results["summary"]))
        d, r = ({x["mode"]: x for x in results["summary"] if x["target"] == t} for t in ("defaults", "role"))
        if d and r:
            md.append("")
            for mode in d:
                if d[mode]["rps_per_core"] and r[mode]["rps_per_core"]:
                    md.append(
                        f"- {mode}: role / defaults req/s per core = "
                        f"{r[mode]['rps_per_core'] / d[mode]['rps_per_core']:.2f}x; added p50 role "
                        f"{r[mode]['added_p50_ms']} ms vs defaults {d[mode]['added_p50_ms']} ms"
                    )
    if "sweep" in results:
        md += [
            "Each candidate beside the role's current defaults (base), interleaved; CPU ms/request "
            "candidate vs base in the same rounds.",
            "",
            "| candidate | mode | CPU ms/req c1 (base) | CPU ms/req sat (base) | change sat | "
            "req/s sat (base) | p50 c1 ms (base) | RSS MB (base) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for label, s in results["sweep"].items():
            if "error" in s:
                md.append(f"| {label} | error: {s['error'][:80]} | | | | | | |")
            for mode in ("json", "stream"):
                if mode in s:
                    m = s[mode]
                    md.append(
                        f"| {label} | {mode} | {m['cpu_ms_req_c1']} ({m['base_cpu_ms_req_c1']}) | "
                        f"{m['cpu_ms_req_sat']} ({m['base_cpu_ms_req_sat']}) | {m['delta_pct_sat']:+.1f}% | "
                        f"{m['rps_sat']:.1f} ({m['base_rps_sat']:.1f}) | "
                        f"{m['p50_c1_ms']} ({m['base_p50_c1_ms']}) | "
                        f"{m['rss_mb']} ({m['base_rss_mb']}) |"
                    )
    text = "\n".join(md) + "\n"
    print("\n" + text)
    if not a.no_save:
        outdir = Path(a.out) if a.out else HERE / "results" / f"{started:%Y-%m-%d}-{socket.gethostname()}"
        outdir.mkdir(parents=True, exist_ok=True)
        stem = "sweep" if a.sweep else "gateway"
        (outdir / f"{stem}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
        (outdir / f"{stem}.md").write_text(text)
        print(f"written {outdir}/{stem}.json, {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
