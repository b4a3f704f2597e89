"""filter_plugins/*.py load without importing `schemas` (pydantic); a filter's first call does.

Ansible forks a worker per task and loads every filter plugin file in each worker that templates
any filter at all. Imported at load time, the registry's pydantic models cost every such worker
(11 s of a 45 s no-change run, docs/performance.md), so the plugins import them on first use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGINS = ("aib_gpu", "aib_registry", "aib_release")

_PROBE = """
import json, sys
sys.path.insert(0, "filter_plugins")
import importlib
filters = {}
for name in sys.argv[1].split(","):
    filters.update(importlib.import_module(name).FilterModule().filters())
def heavy():
    return sorted({m.split(".")[0] for m in sys.modules} & {"schemas", "pydantic"})
loaded = heavy()
if sys.argv[2]:
    filters[sys.argv[2]](*json.loads(sys.argv[3]))
print(json.dumps({"filters": sorted(filters), "at_load": loaded, "after_call": heavy()}))
"""


def _probe(call: str = "", args: list | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(PLUGINS), call, json.dumps(args or [])],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_loading_every_filter_plugin_imports_neither_schemas_nor_pydantic() -> None:
    seen = _probe()
    assert seen["at_load"] == []
    assert {"aib_validate_registry", "aib_gpu_preflight", "aib_release_actions"} <= set(seen["filters"])


def test_the_first_call_imports_the_schemas() -> None:
    seen = _probe("aib_release_actions", [{"write": [], "remove": []}, []])
    assert seen["at_load"] == []
    assert seen["after_call"] == ["pydantic", "schemas"]
