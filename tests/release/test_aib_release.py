"""roles/release/files/aib-release: numbered versions of the tracked files, no-change runs, restore."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest


@pytest.fixture
def tree(tmp_path: Path) -> dict:
    home = tmp_path / "home"
    (home / "etc/litellm").mkdir(parents=True)
    (home / "etc/prometheus/rules").mkdir(parents=True)
    (home / ".config/systemd/user").mkdir(parents=True)
    (home / "etc/litellm/config.yaml").write_text("model_list: []\n")
    env = home / "etc/litellm/litellm.env"
    env.write_text("LITELLM_MASTER_KEY=sk-secret\n")
    env.chmod(0o600)
    (home / "etc/prometheus/prometheus.yml").write_text("global: {}\n")
    (home / "etc/prometheus/rules/aib.rules.yml").write_text("groups: []\n")
    (home / ".config/systemd/user/aib-litellm.service").write_text("[Service]\n")
    paths = [
        f"{home}/etc/litellm/config.yaml",
        f"{home}/etc/litellm/litellm.env",
        f"{home}/.config/systemd/user/aib-*.service",
        f"{home}/.config/systemd/user/aib-*.socket",
        f"{home}/etc/prometheus/**",
    ]
    return {"home": home, "root": tmp_path / "releases", "paths": paths}


def run(mod, capsys, *args: str) -> tuple[int, dict | str]:
    rc = mod.main(list(args))
    out = capsys.readouterr()
    text = out.out.strip()
    try:
        return rc, json.loads(text)
    except ValueError:
        return rc, text or out.err


def record(mod, capsys, tree, sha="a" * 64, keep=10):
    args = ["record", "--root", str(tree["root"]), "--registry-sha256", sha, "--keep", str(keep)]
    return run(mod, capsys, *args, *[f"--path={p}" for p in tree["paths"]])


def snapshot(root: Path) -> dict[str, tuple[float, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*") if p.is_file()}


def test_first_record_and_no_change(aib_release, capsys, tree):
    rc, out = record(aib_release, capsys, tree)
    assert rc == 0 and out["recorded"] and out["version"] == 1 and out["previous"] is None
    root = tree["root"]
    manifest = json.loads((root / "1/manifest.json").read_text())
    assert set(manifest["files"]) == {
        str(tree["home"] / p)
        for p in ("etc/litellm/config.yaml", "etc/litellm/litellm.env", "etc/prometheus/prometheus.yml",
                  "etc/prometheus/rules/aib.rules.yml", ".config/systemd/user/aib-litellm.service")
    }  # fmt: skip
    assert manifest["changed"] == sorted(manifest["files"])
    assert manifest["registry_sha256"] == "a" * 64
    assert os.readlink(root / "current") == "1"
    copy = root / "1/files" / str(tree["home"] / "etc/litellm/litellm.env").lstrip("/")
    assert copy.stat().st_mode & 0o777 == 0o600  # the secret stays private
    before = snapshot(root)
    rc, out = record(aib_release, capsys, tree, sha="b" * 64)  # registry differs, files do not
    assert rc == 0 and out == {"changed": False, "recorded": False, "version": 1, "current": 1}
    assert snapshot(root) == before  # a no-change run rewrites nothing


def test_second_version_lists_the_changed_files(aib_release, capsys, tree):
    record(aib_release, capsys, tree)
    conf = tree["home"] / "etc/litellm/config.yaml"
    conf.write_text("model_list: [x]\n")
    (tree["home"] / ".config/systemd/user/aib-extra.service").write_text("[Service]\n")
    _rc, out = record(aib_release, capsys, tree)
    extra = str(tree["home"] / ".config/systemd/user/aib-extra.service")
    assert out["version"] == 2 and out["previous"] == 1
    assert out["changed_files"] == sorted([str(conf), extra])
    _rc, table = run(aib_release, capsys, "list", "--root", str(tree["root"]), "--home", str(tree["home"]))
    lines = table.splitlines()
    assert lines[0].split() == ["VERSION", "CREATED", "REGISTRY", "FILES", "CHANGED"]
    assert lines[2].startswith("2 (current)")
    assert lines[2].endswith(".config/systemd/user/aib-extra.service, etc/litellm/config.yaml")


def test_restore_previous_writes_only_what_differs(aib_release, capsys, tree):
    record(aib_release, capsys, tree)
    conf = tree["home"] / "etc/litellm/config.yaml"
    prom = tree["home"] / "etc/prometheus/prometheus.yml"
    extra = tree["home"] / ".config/systemd/user/aib-extra.service"
    conf.write_text("model_list: [v2]\n")
    extra.write_text("[Service]\n")
    record(aib_release, capsys, tree)
    prom_mtime = prom.stat().st_mtime_ns
    common = ["--root", str(tree["root"]), *[f"--path={p}" for p in tree["paths"]]]
    rc, diff = run(aib_release, capsys, "diff", "--version", "previous", *common)
    assert rc == 0 and diff["version"] == 1 and diff["current"] == 2
    assert diff["write"] == [str(conf)] and diff["remove"] == [str(extra)]
    assert diff["validation_plan"] is None  # recorded without --plan-stdin
    rc, out = run(aib_release, capsys, "restore", "--version", "previous", *common)
    assert rc == 0 and out["changed"] and out["current_changed"]
    assert conf.read_text() == "model_list: []\n"
    assert not extra.exists()
    assert prom.stat().st_mtime_ns == prom_mtime  # an unchanged file is not rewritten
    assert os.readlink(tree["root"] / "current") == "1"
    rc, out = run(aib_release, capsys, "restore", "--version", "1", *common)
    assert out["changed"] is False and out["write"] == [] and out["remove"] == []
    # a deploy of the v1 files now records nothing: current (1) already has them
    rc, out = record(aib_release, capsys, tree)
    assert out["recorded"] is False and out["version"] == 1
    rc, status = run(aib_release, capsys, "status", "--root", str(tree["root"]))
    assert status == {"current": 1, "previous": None, "versions": [1, 2]}


def test_restore_keeps_the_mode(aib_release, capsys, tree):
    record(aib_release, capsys, tree)
    env = tree["home"] / "etc/litellm/litellm.env"
    env.unlink()
    common = ["--root", str(tree["root"]), *[f"--path={p}" for p in tree["paths"]]]
    _rc, out = run(aib_release, capsys, "restore", *common)
    assert out["write"] == [str(env)]
    assert env.stat().st_mode & 0o777 == 0o600


def test_prune_keeps_the_newest(aib_release, capsys, tree):
    conf = tree["home"] / "etc/litellm/config.yaml"
    for i in range(5):
        conf.write_text(f"v{i}\n")
        record(aib_release, capsys, tree, keep=3)
    _rc, status = run(aib_release, capsys, "status", "--root", str(tree["root"]))
    assert status["versions"] == [3, 4, 5]
    common = ["--root", str(tree["root"]), *[f"--path={p}" for p in tree["paths"]]]
    run(aib_release, capsys, "restore", "--version", "3", *common)
    conf.write_text("v-new\n")
    _rc, out = record(aib_release, capsys, tree, keep=2)
    assert out["version"] == 6 and out["previous"] == 3
    assert out["pruned"] == [3, 4]  # the restored version too: it is no longer current
    _rc, status = run(aib_release, capsys, "status", "--root", str(tree["root"]))
    assert status["versions"] == [5, 6]


def test_errors(aib_release, capsys, tree):
    common = ["--root", str(tree["root"]), *[f"--path={p}" for p in tree["paths"]]]
    assert aib_release.main(["restore", *common]) == 2
    assert "no version recorded" in capsys.readouterr().err
    record(aib_release, capsys, tree)
    assert aib_release.main(["diff", "--version", "previous", *common]) == 2
    assert "has no previous version" in capsys.readouterr().err
    assert aib_release.main(["diff", "--version", "7", *common]) == 2
    assert "version 7 does not exist" in capsys.readouterr().err
    assert aib_release.main(["record", "--root", str(tree["root"]), "--path", "/nonexistent/*"]) == 2


def test_the_validation_plan_travels_with_the_version(aib_release, capsys, monkeypatch, tree):
    plan = {"gateway": "http://127.0.0.1:4000", "auth": False, "checks": []}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(plan)))
    args = ["record", "--root", str(tree["root"]), "--plan-stdin", *[f"--path={p}" for p in tree["paths"]]]
    assert aib_release.main(args) == 0
    capsys.readouterr()
    common = ["--root", str(tree["root"]), *[f"--path={p}" for p in tree["paths"]]]
    _rc, diff = run(aib_release, capsys, "diff", *common)
    assert diff["validation_plan"] == plan
    _rc, restored = run(aib_release, capsys, "restore", *common)
    assert restored["changed"] is False
