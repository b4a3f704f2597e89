"""The registry profiles as the tests load them, and walking helpers over registry trees.

One place for what tests/unit, tests/release, tests/gpu and the property tests share: the
sections `aib_registry` bundles (group_vars/all/registry.yml), the default and lab profiles as
plain dicts, and the paths of a nested registry. Importing it puts the repository root and
filter_plugins/ on sys.path (filters are imported as Ansible loads them).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "filter_plugins"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# The sections `aib_registry` (group_vars/all/registry.yml) bundles, in its order.
SECTIONS = (
    "aib_providers",
    "aib_model_files",
    "aib_model_mappings",
    "aib_gateway",
    "aib_redis",
    "aib_gpu",
    "aib_observability",
)


def group_vars(*dirs: Path) -> dict[str, Any]:
    """Variables of the given group_vars directories; a later directory replaces whole variables
    (Ansible's default hash_behaviour=replace: inventory group_vars override group_vars/all)."""
    variables: dict[str, Any] = {}
    for directory in dirs:
        for path in sorted(directory.glob("*.yml")):
            variables.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return variables


def bundle(variables: dict[str, Any]) -> dict[str, Any]:
    """What the `aib_registry` Jinja bundle evaluates to (with its `| default({})`s)."""
    return {section: variables.get(section, {}) for section in SECTIONS}


DEFAULT_PROFILE = bundle(group_vars(ROOT / "group_vars" / "all"))
LAB_PROFILE = bundle(
    group_vars(ROOT / "group_vars" / "all", ROOT / "inventory" / "lab" / "group_vars" / "ai_backend")
)


def locations(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key of a mapping and index of a list in `node`, outermost first."""
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return []
    found = []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(locations(child, (*prefix, key)))
    return found


def get(node: Any, path: tuple) -> Any:
    """The value at `path` (as returned by `locations`)."""
    for part in path:
        node = node[part]
    return node
