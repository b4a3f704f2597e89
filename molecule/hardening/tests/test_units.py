"""Unit hardening and the registry's resource limits, as systemd applied them."""

from __future__ import annotations

import pytest
from gateway_client import user_systemctl

# aib-litellm-standby: the warm standby runs all the time, with the primary's hardening and limits.
UNITS = ["aib-litellm", "aib-litellm-standby", "aib-litellm-front", "aib-redis", "aib-llamacpp-native"]
LIMITS = {
    "aib-litellm": {"MemoryMax": str(2 * 1024**3), "TasksMax": "512"},
    "aib-litellm-standby": {"MemoryMax": str(2 * 1024**3), "TasksMax": "512"},
    "aib-llamacpp-native": {"MemoryMax": str(1024**3), "TasksMax": "256"},
    "aib-redis": {"MemoryMax": str(256 * 1024**2)},
}


@pytest.mark.parametrize("unit", UNITS)
def test_unit_is_hardened(host, unit) -> None:
    props = user_systemctl(
        host, "show", f"{unit}.service",
        "-p", "NoNewPrivileges,ProtectSystem,ProtectHome,PrivateTmp,Restart,ActiveState,PrivateDevices",
    ).stdout  # fmt: skip
    values = dict(line.split("=", 1) for line in props.split())
    assert values["ActiveState"] == "active"
    assert values["NoNewPrivileges"] == "yes"
    assert values["ProtectSystem"] == "strict"
    assert values["ProtectHome"] == "read-only"
    assert values["PrivateTmp"] == "yes"
    assert values["Restart"] == "on-failure"
    assert values["PrivateDevices"] == "no"  # engines keep GPU device access


@pytest.mark.parametrize("unit", sorted(LIMITS))
def test_registry_limits_reach_the_unit(host, unit) -> None:
    for prop, want in LIMITS[unit].items():
        got = user_systemctl(host, "show", f"{unit}.service", "-p", prop, "--value").stdout.strip()
        assert got == want, f"{unit} {prop}={got}, registry says {want}"
