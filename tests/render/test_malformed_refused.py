"""A malformed registry ends a real `ansible-playbook site.yml` run in preflight, before any host is
touched (issue #8): a sample of the hand-written corpus (tests/unit/malformed/, cases marked
`ansible: true`) is given as extra vars (`-e @file.yml`) to a full run (no --tags) against a host
that cannot be reached (192.0.2.1, TEST-NET-1): any connection attempt would show as unreachable.
The runs go in parallel, once per module.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.unit.malformed.corpus import CASES, Expected

from .conftest import REPO, Run, run_playbook

SAMPLE = [case for case in CASES if case.ansible]
PREFLIGHT_PLAY = "Preflight - validate the provider registry"
VALIDATE_TASK = "Validate the registry (schemas/, via filter_plugins/aib_registry.py)"

# The issue's own example, through the lab inventory as a user would override it on the command line.
LAB_EXPOSED_ID = "lab-inventory-gateway-on-0.0.0.0-without-master-key"
LAB_EXPOSED_VARS = {
    "aib_gateway": {
        "bind": "0.0.0.0",  # noqa: S104
        "port": 4000,
        "cors_origins": ["https://chat.lab.example"],
        "rate_limits": {"per_key_rpm": 600},
    }
}
LAB_EXPOSED_EXPECT = (
    Expected(
        "aib_gateway.master_key",
        "the gateway binds to 0.0.0.0, beyond loopback, so clients must present a key: set "
        "master_key: required",
    ),
)


@dataclass(frozen=True)
class Job:
    id: str
    host: str
    args: tuple[str, ...]
    expect: tuple[Expected, ...]


def _host(case_id: str) -> str:
    return "malformed-" + re.sub(r"[^a-z0-9-]", "-", case_id)


def _jobs(workdir: Path) -> list[Job]:
    jobs = []
    for case in SAMPLE:
        host = _host(case.id)
        inventory = workdir / f"{case.id}.hosts.yml"
        inventory.write_text(
            yaml.safe_dump(
                {
                    "ai_backend": {
                        "hosts": {
                            host: {
                                "ansible_host": "192.0.2.1",
                                "ansible_connection": "ssh",
                                "ansible_ssh_common_args": "-o ConnectTimeout=2",
                            }
                        }
                    }
                }
            )
        )
        extra_vars = workdir / f"{case.id}.vars.yml"
        extra_vars.write_text(yaml.safe_dump(case.registry(), sort_keys=False))
        jobs.append(
            Job(case.id, host, ("site.yml", "-i", str(inventory), "-e", f"@{extra_vars}"), case.expect)
        )
    jobs.append(
        Job(
            LAB_EXPOSED_ID,
            "gpu-host",  # inventory/lab's host: gpu-host.lab.internal does not resolve here
            ("site.yml", "-i", str(REPO / "inventory/lab"), "-e", json.dumps(LAB_EXPOSED_VARS)),
            LAB_EXPOSED_EXPECT,
        )
    )
    return jobs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Job, Run]]:
    jobs = _jobs(tmp_path_factory.mktemp("malformed"))
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = list(pool.map(lambda job: run_playbook(*job.args), jobs))
    return {job.id: (job, run) for job, run in zip(jobs, results, strict=True)}


def test_the_sample_is_about_ten_cases_and_includes_the_exposed_gateway() -> None:
    assert 8 <= len(SAMPLE) <= 15, [c.id for c in SAMPLE]
    assert "gateway-exposed-without-master-key" in {c.id for c in SAMPLE}
    assert all(not c.xfail for c in SAMPLE)
    assert len({c.source for c in SAMPLE}) >= 4  # spread over the sections


@pytest.mark.parametrize("case_id", [c.id for c in SAMPLE] + [LAB_EXPOSED_ID])
def test_malformed_registry_fails_the_run_in_preflight(
    runs: dict[str, tuple[Job, Run]], case_id: str
) -> None:
    job, run = runs[case_id]
    out = run.output
    assert run.rc != 0, out
    assert "Traceback" not in out, out
    assert "aib_validate_registry: invalid registry" in out, out
    for expected in job.expect:
        assert f"  - {expected.path}: " in out, out
        assert expected.message in out, out
    # Only the preflight play started, only its validation task ran, and the host failed there:
    # no facts gathered, no connection tried (unreachable=0), nothing ok, nothing changed.
    assert re.findall(r"^PLAY \[(.*)\]", out, re.MULTILINE) == [PREFLIGHT_PLAY], out
    assert re.findall(r"^TASK \[(.*)\]", out, re.MULTILINE) == [VALIDATE_TASK], out
    assert "Gathering Facts" not in out
    assert f"fatal: [{job.host}]: FAILED!" in out, out
    recap = re.search(rf"^{re.escape(job.host)}\s*:\s*(.*)$", out.split("PLAY RECAP", 1)[-1], re.MULTILINE)
    assert recap, out
    counts = dict(re.findall(r"(\w+)=(\d+)", recap.group(1)))
    assert counts == {
        "ok": "0", "changed": "0", "unreachable": "0", "failed": "1",
        "skipped": "0", "rescued": "0", "ignored": "0",
    }, recap.group(0)  # fmt: skip
    # The secrets are never looked up: their generator would have created the host's credentials.
    assert not (REPO / ".credentials" / job.host).exists()
