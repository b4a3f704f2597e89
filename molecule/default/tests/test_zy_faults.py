"""Faults under a steady load (hardening issue): kill the engine behind a model, restart Redis.

The load is tests/faults/load.py, run on the test host as a transient systemd unit (prepare.yml
copies it to /opt/aib-tests/faults). Each test prints its counts; docs/verification.md keeps them.
Named test_zy_* so it runs after the functional tests and before the restarts (test_zz_*).
"""

from __future__ import annotations

import json
import time

from gateway_client import chat, user_systemctl, wait_until

LOAD = "/opt/aib-tests/faults/load.py"


def _start_load(host, name: str, model: str, workers: int, seconds: int, *extra: str) -> str:
    out = f"/run/aib-fault-{name}.json"
    host.run(f"rm -f {out}")
    cmd = (
        f"systemd-run --unit=aib-fault-{name} --collect --quiet /usr/bin/python3 {LOAD} "
        f"--model {model} --workers {workers} --seconds {seconds} --out {out} " + " ".join(extra)
    )
    assert host.run(cmd).rc == 0
    return out


def _summary(host, out: str, timeout: float) -> dict:
    wait_until(lambda: host.file(out).exists, timeout=timeout, interval=2)
    summary = json.loads(host.file(out).content_string)
    print(f"load summary: {json.dumps(summary)}")
    return summary


def _unit_prop(host, unit: str, prop: str) -> str:
    return user_systemctl(host, "show", "-p", prop, "--value", f"{unit}.service").stdout.strip()


def test_killing_the_engine_behind_a_model_under_load_fails_no_request(host) -> None:
    unit = "aib-llamacpp-native"
    restarts_before = int(_unit_prop(host, unit, "NRestarts") or 0)
    restart_sec = float(_unit_prop(host, unit, "RestartUSec").rstrip("s") or 0)
    out = _start_load(host, "kill", "smollm2", 3, 40)
    time.sleep(10)  # steady state first
    assert user_systemctl(host, "kill", "--signal=SIGKILL", f"{unit}.service").rc == 0
    killed = time.monotonic()
    restarted = lambda: int(_unit_prop(host, unit, "NRestarts") or 0) > restarts_before  # noqa: E731
    wait_until(restarted, timeout=120, interval=0.5)
    wait_until(lambda: _unit_prop(host, unit, "ActiveState") == "active", timeout=120, interval=0.5)
    back_after = time.monotonic() - killed
    print(f"{unit}: SIGKILL -> active again after {back_after:.1f} s (RestartSec={restart_sec})")
    summary = _summary(host, out, timeout=120)
    assert summary["total"] >= 10, summary
    # smollm2 falls back to smollm2-python (registry): no request may fail.
    assert summary["failed"] == 0, summary
    assert back_after <= restart_sec + 60, f"unit back after {back_after:.1f}s"


def test_redis_restart_under_load_keeps_the_gateway_answering(host) -> None:
    out = _start_load(host, "redis", "smollm2-python", 2, 30, "--use-cache")
    time.sleep(8)
    assert user_systemctl(host, "stop", "aib-redis.service").rc == 0
    time.sleep(8)  # cache down: the gateway must bypass it
    assert user_systemctl(host, "start", "aib-redis.service").rc == 0
    summary = _summary(host, out, timeout=120)
    assert summary["total"] >= 5, summary
    assert summary["failed"] == 0, summary
    assert _unit_prop(host, "aib-redis", "ActiveState") == "active"
    # And the cache works again afterwards: the same request twice, the second from Redis.
    prompt = f"Cache after the Redis restart {time.time()}: say ok."

    def cached() -> bool:
        chat(host, "smollm2-python", prompt)
        second = chat(host, "smollm2-python", prompt)
        return second["status"] == 200 and "x-litellm-cache-key" in second["headers"]

    wait_until(cached, timeout=60, interval=3)


def test_gateway_handover_under_load_fails_no_request(host) -> None:
    """The zero-downtime switch (docs/safe-change.md): bin/aib-litellm-handover has the warm standby
    serve, restarts the primary behind the nginx front and restarts the standby (warm again), under a
    sequential and a concurrent load through :4000. Not one request may fail."""
    seconds = 90
    seq = _start_load(host, "handover-seq", "smollm2", 1, seconds)
    conc = _start_load(host, "handover-conc", "smollm2", 2, seconds)
    time.sleep(8)  # steady state first
    started = time.monotonic()
    uid = host.user("aib").uid
    done = host.run(
        f"sudo -u aib XDG_RUNTIME_DIR=/run/user/{uid} /usr/bin/python3 -B "
        "/var/lib/aib/bin/aib-litellm-handover --config=/var/lib/aib/etc/litellm/handover.json"
    )
    assert done.rc == 0, done.stderr
    steps = json.loads(done.stdout)
    print(f"handover: {json.dumps(steps)}")
    assert steps["mode"] == "handed-over", steps
    assert steps["standby_start"] == "warm", steps  # served by the process waiting since the converge
    # The whole switch must fall inside the load's window, or the load proved nothing.
    assert 8 + (time.monotonic() - started) < seconds - 5, f"the handover outlasted the load: {steps}"
    for out in (seq, conc):
        summary = _summary(host, out, timeout=180)
        assert summary["total"] >= 5, summary
        assert summary["failed"] == 0, summary
    assert _unit_prop(host, "aib-litellm", "ActiveState") == "active"
    # restarted by the handover: importing again, warm for the next change
    assert _unit_prop(host, "aib-litellm-standby", "ActiveState") == "active"
