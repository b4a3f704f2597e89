"""Shared helpers of the hardening tests: the secrets as deployed, the container's address."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

ENV_FILE = "/var/lib/aib/etc/litellm/litellm.env"
SECRET_NAMES = ("LITELLM_MASTER_KEY", "REDIS_PASSWORD", "LAB_COMPAT_API_KEY")
SECRETS_ON_HOST = "/root/.aib-test-secrets"  # 0600, root only: the grep pattern file


def deployed_secrets(host) -> dict[str, str]:
    """Secret values from the gateway's EnvironmentFile (read as root)."""
    values = {}
    with host.sudo():
        text = host.file(ENV_FILE).content_string
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            values[name] = json.loads(value) if value.startswith('"') else value
    found = {n: values[n] for n in SECRET_NAMES if n in values}
    assert set(found) == set(SECRET_NAMES), f"missing secrets in {ENV_FILE}: {set(SECRET_NAMES) - set(found)}"
    for name, value in found.items():
        assert len(value) >= 16, f"{name} is too short to be a generated secret"
    return found


def write_pattern_file(host, secrets: dict[str, str]) -> str:
    body = "\n".join(secrets.values())
    host.run(f"umask 077 && printf '%s\\n' {shlex.quote(body)} > {SECRETS_ON_HOST}")
    return SECRETS_ON_HOST


def container_ip(host) -> str:
    name = host.backend.get_hostname()
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out, f"no IP address for container {name}"
    return out[0]


def converge_log() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ansible-vvv.log"
