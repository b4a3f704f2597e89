"""Services survive restarts: of each user unit, and of the whole host (linger brings them back).

Named test_zz_* so it runs after the other tests of this scenario (it restarts everything).
"""

from __future__ import annotations

import json
import subprocess

from gateway_client import chat, user_systemctl, wait_until
from test_gateway import UNITS


def _all_active(host) -> bool:
    return all(user_systemctl(host, "is-active", f"{u}.service").stdout.strip() == "active" for u in UNITS)


def _gateway_answers(host) -> bool:
    result = chat(host, "smollm2", "Restart probe: say ok.")
    return result["status"] == 200 and bool(json.loads(result["body"])["choices"][0]["message"]["content"])


def test_every_unit_is_back_after_systemctl_user_restart(host) -> None:
    for unit in UNITS:
        assert user_systemctl(host, "restart", f"{unit}.service").rc == 0
    wait_until(lambda: _all_active(host), timeout=180)
    wait_until(lambda: _gateway_answers(host), timeout=180, interval=3)


def test_every_unit_is_back_after_the_host_restarts(host) -> None:
    container = host.backend.get_hostname()
    subprocess.run(["docker", "restart", "--time", "20", container], check=True, timeout=180)
    wait_until(lambda: host.run("systemctl is-system-running --wait").rc in (0, 1), timeout=180)
    assert host.file("/var/lib/systemd/linger/aib").exists
    wait_until(lambda: _all_active(host), timeout=300, interval=3)
    wait_until(lambda: _gateway_answers(host), timeout=300, interval=3)
    # the warm standby is back too: LiteLLM imported, waiting on its control socket
    warm = "test -S /var/lib/aib/data/litellm/standby.sock"
    wait_until(lambda: host.run(f"sudo {warm}").rc == 0, timeout=300, interval=3)
