"""Ansible filters of the release role (validation plan, versioned configs). Thin on purpose.

- `aib_validation_plan`: the post-deploy checks of a registry (schemas/render/validation.py);
- `aib_registry_sha256`: sha256 of the normalised registry (recorded in each version's manifest);
- `aib_release_actions`: which units a set of changed config files means restarting or reloading.

The registry filters raise AnsibleFilterError("<filter>: invalid registry") from the RegistryError,
like filter_plugins/aib_registry.py.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

# The repository root holds the `schemas` package next to this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ansible.errors import AnsibleFilterError

# `schemas` is imported when a filter is first called, not when Ansible loads this file (in every
# worker that templates any filter): see filter_plugins/aib_registry.py.


def _plain(value: Any) -> Any:
    from schemas.plain import plain

    return plain(value)


def _registry_filter(name: str, function: str) -> Callable[..., Any]:
    """A filter over the validated registry: `function` of schemas/render/validation.py."""

    def run(registry: Any) -> Any:
        from schemas import RegistryError, validate_registry
        from schemas.render import validation

        try:
            reg = validate_registry(_plain(registry))
        except RegistryError as exc:
            raise AnsibleFilterError(f"{name}: invalid registry") from exc
        return getattr(validation, function)(reg)

    run.__name__ = name
    return run


UNIT_SUFFIXES = (".service", ".socket")


def _unit_file(path: str) -> str | None:
    """The unit a path is the file of (`.../systemd/user/<unit>.service|.socket`), else None."""
    p = Path(path)
    if p.suffix in UNIT_SUFFIXES and p.parent.name == "user" and p.parent.parent.name == "systemd":
        return p.name
    return None


def _rule_for(path: str, rules: Sequence[Mapping[str, str]]) -> tuple[str, str] | None:
    """(unit, action) of the first rule whose glob matches the path."""
    for rule in rules:
        if fnmatch.fnmatch(path, rule["glob"]):
            unit = rule["unit"] if rule["unit"].endswith(UNIT_SUFFIXES) else rule["unit"] + ".service"
            return unit, rule["action"]
    return None


def release_actions(changes: Any, rules: Any) -> dict[str, Any]:
    """What a restore of config files means for the units.

    `changes`: {"write": [paths], "remove": [paths]} (the output of `aib-release diff`).
    `rules`: [{"glob": "/var/lib/aib/etc/litellm/*", "unit": "aib-litellm", "action": "restarted"}, ...];
    the first matching rule wins. A unit file (`*.service` / `*.socket` under a `systemd/user/`
    directory) is its own rule: written -> that unit restarted, removed -> that unit stopped.

    Returns {"daemon_reload": bool, "stop": [...], "restart": [...], "reload": [...], "unmatched": [...]}:
    units sorted and each listed once; a unit to restart is not also reloaded.
    """
    changes = _plain(changes)
    rules = _plain(rules)
    if not isinstance(changes, Mapping):
        raise AnsibleFilterError(f"aib_release_actions: expected {{write, remove}}, got {changes!r}")
    if not isinstance(rules, Sequence) or isinstance(rules, str):
        raise AnsibleFilterError(f"aib_release_actions: rules must be a list, got {rules!r}")
    for rule in rules:
        if not isinstance(rule, Mapping) or not {"glob", "unit", "action"} <= set(rule):
            raise AnsibleFilterError(f"aib_release_actions: a rule needs glob, unit and action, got {rule!r}")
        if rule["action"] not in ("restarted", "reloaded"):
            raise AnsibleFilterError(
                f"aib_release_actions: action must be restarted or reloaded, got {rule['action']!r}"
            )
    written = list(changes.get("write") or [])
    removed = list(changes.get("remove") or [])
    stop: set[str] = set()
    restart: set[str] = set()
    reload: set[str] = set()
    unmatched: list[str] = []
    daemon_reload = False

    for path in [*written, *removed]:
        unit = _unit_file(path)
        if unit:
            daemon_reload = True
            (restart if path in written else stop).add(unit)
            continue
        match = _rule_for(path, rules)
        if match is None:
            unmatched.append(path)
        else:
            (restart if match[1] == "restarted" else reload).add(match[0])
    restart -= stop
    reload -= restart | stop
    return {
        "daemon_reload": daemon_reload,
        "stop": sorted(stop),
        "restart": sorted(restart),
        "reload": sorted(reload),
        "unmatched": sorted(unmatched),
    }


FILTERS: dict[str, Callable[..., Any]] = {
    "aib_validation_plan": _registry_filter("aib_validation_plan", "validation_plan"),
    "aib_registry_sha256": _registry_filter("aib_registry_sha256", "registry_sha256"),
    "aib_release_actions": release_actions,
}


class FilterModule:
    """Release filters: validation plan, registry digest, restart actions of a restore."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return dict(FILTERS)
