"""Ansible filter of the GPU preflight. Thin on purpose: schemas/gpu_detect.py does the work.

`aib_registry | aib_gpu_preflight(ansible_facts['aib_gpu_detected'])` validates the registry, checks
it against the GPUs the module aib_nvidia_gpu_facts (role `gpu`) found on the host and returns the
plan as plain data: {profile, cuda_architectures, driver_version, devices, warnings, summary}.
A registry that does not fit the host raises AnsibleFilterError("aib_gpu_preflight: ..."), each
problem with its registry path and the fix.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The repository root holds the `schemas` package next to this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ansible.errors import AnsibleFilterError

NAME = "aib_gpu_preflight"


def aib_gpu_preflight(registry: Any, detected: Any) -> dict[str, Any]:
    """The GPU plan of this host: the registry checked against the detected GPUs."""
    # Imported here, not when Ansible loads this file: see filter_plugins/aib_registry.py.
    from schemas import RegistryError, validate_registry
    from schemas.gpu_detect import check_detected, validate_detected
    from schemas.plain import plain as _plain

    try:
        reg = validate_registry(_plain(registry))
    except RegistryError as exc:
        raise AnsibleFilterError(f"{NAME}: invalid registry") from exc
    try:
        facts = validate_detected(_plain(detected))
    except RegistryError as exc:
        raise AnsibleFilterError(
            f"{NAME}: the detected GPU facts are malformed (pass ansible_facts['aib_gpu_detected'] "
            "of the module aib_nvidia_gpu_facts)"
        ) from exc
    try:
        return check_detected(reg, facts).plain()
    except RegistryError as exc:
        raise AnsibleFilterError(f"{NAME}: the registry does not fit this host's GPUs") from exc


class FilterModule:
    """GPU preflight: the registry against the host's detected GPUs."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {NAME: aib_gpu_preflight}
