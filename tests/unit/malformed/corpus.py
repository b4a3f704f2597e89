"""Load the hand-written malformed registries of this directory and build each one.

A case file (`*.yml` here) is a list of cases:

    - id: gateway-port-bool               # unique over every file
      base: default                       # default (group_vars/all) or lab (+ inventory/lab group_vars)
      delete: [aib_gateway/cors_origins]  # paths to remove (applied first)
      set: {aib_gateway/port: true}       # path: value (missing mappings on the way are created)
      expect:                             # every issue the registry must be refused with, no more
        - {path: aib_gateway.port, message: Input should be a valid integer}
      ansible: true                       # also run through `ansible-playbook site.yml` (tests/render)
      xfail: why the schema accepts it    # a known gap: the case is expected to fail (strict)

Paths are '/'-separated keys; a part that indexes a list is its integer index. `root: VALUE`
replaces the whole registry. The profiles are built as `aib_registry` bundles them
(group_vars/all/registry.yml), so a section added there is picked up here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.profiles import DEFAULT_PROFILE, LAB_PROFILE

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
_MISSING = object()


PROFILES: dict[str, dict[str, Any]] = {"default": DEFAULT_PROFILE, "lab": LAB_PROFILE}


@dataclass(frozen=True)
class Expected:
    path: str
    message: str


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    base: str
    set: dict[str, Any] = field(default_factory=dict)
    delete: tuple[str, ...] = ()
    root: Any = _MISSING
    expect: tuple[Expected, ...] = ()
    ansible: bool = False
    xfail: str | None = None

    def registry(self) -> Any:
        """The malformed registry: the base profile with this case's edits applied."""
        if self.root is not _MISSING:
            return copy.deepcopy(self.root)
        registry = copy.deepcopy(PROFILES[self.base])
        for path in self.delete:
            parent, key = _walk(registry, path, create=False)
            del parent[key]
        for path, value in self.set.items():
            parent, key = _walk(registry, path, create=True)
            parent[key] = copy.deepcopy(value)
        return registry


def _walk(node: Any, path: str, *, create: bool) -> tuple[Any, Any]:
    """The container holding the last part of `path`, and that part (an int for a list)."""
    parts: list[Any] = path.split("/")
    for i, part in enumerate(parts):
        if isinstance(node, list):
            parts[i] = part = int(part)
        if i == len(parts) - 1:
            return node, part
        if create and isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    raise AssertionError("unreachable")


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for file in sorted(HERE.glob("*.yml")):
        for raw in yaml.safe_load(file.read_text(encoding="utf-8")):
            unknown = set(raw) - {"id", "base", "set", "delete", "root", "expect", "ansible", "xfail"}
            assert not unknown, f"{file.name}: {raw.get('id')}: unknown keys {sorted(unknown)}"
            cases.append(
                Case(
                    id=raw["id"],
                    source=file.name,
                    base=raw.get("base", "default"),
                    set=raw.get("set", {}),
                    delete=tuple(raw.get("delete", ())),
                    root=raw.get("root", _MISSING),
                    expect=tuple(Expected(e["path"], e["message"]) for e in raw["expect"]),
                    ansible=raw.get("ansible", False),
                    xfail=raw.get("xfail"),
                )
            )
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"case ids repeat: {duplicates}"
    return cases


CASES = load_cases()
