"""filter_plugins/*.py load without importing `schemas` (pydantic); a filter's first call does,
except in ansible-playbook's main process, which imports them once for the workers it forks.

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


_CONTROLLER_PROBE = """
import json, multiprocessing, sys
sys.path.insert(0, "filter_plugins")
import ansible.executor.task_queue_manager  # what ansible-playbook's main process has loaded
import importlib
def heavy():
    return sorted({m.split(".")[0] for m in sys.modules} & {"schemas", "pydantic"})
def worker(queue):
    queue.put(heavy())
if sys.argv[1] == "fork-first":  # a worker forked before the plugin is loaded in the main process
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    def load_in_worker(q):
        importlib.import_module("aib_registry")
        q.put(heavy())
    p = ctx.Process(target=load_in_worker, args=(queue,)); p.start(); p.join()
    print(json.dumps({"worker_after_load": queue.get()}))
else:
    importlib.import_module("aib_registry")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=worker, args=(queue,)); p.start(); p.join()
    print(json.dumps({"main_after_load": heavy(), "worker_forked_after": queue.get()}))
"""


def _controller_probe(mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CONTROLLER_PROBE, mode], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_ansible_playbooks_main_process_imports_the_schemas_at_load_for_its_workers() -> None:
    seen = _controller_probe("main")
    assert seen == {
        "main_after_load": ["pydantic", "schemas"],
        "worker_forked_after": ["pydantic", "schemas"],
    }


def test_a_forked_worker_loading_the_plugin_itself_stays_lazy() -> None:
    assert _controller_probe("fork-first") == {"worker_after_load": []}
