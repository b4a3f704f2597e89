"""The documented Vault workflow (docs/security.md, inventory/lab/vault.example.yml), for real.

The example vault is filled with test values, encrypted with `ansible-vault`, and the lab profile
(with OpenAI enabled) is rendered through the real playbook with the vault password: the run
succeeds, the rendered gateway config refers to the key as os.environ/, and no secret value
appears in the output or in any rendered file. Without the password the run stops before anything.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import REPO, render

ANSIBLE_VAULT = str(Path(sys.executable).with_name("ansible-vault"))
SECRETS = {
    "aib_litellm_master_key": "sk-test-master-4f1c9b7e",
    "aib_redis_password": "redis-test-pass-93ab1",
    "aib_grafana_admin_password": "grafana-test-pass-7d2e0",
}
OPENAI_KEY = "sk-test-openai-2b8f61aa"


def _lab_with_vault(tmp_path: Path) -> tuple[Path, Path]:
    lab = tmp_path / "lab"
    subprocess.run(["cp", "-r", str(REPO / "inventory/lab"), str(lab)], check=True)
    example = yaml.safe_load((lab / "vault.example.yml").read_text())
    assert set(SECRETS) <= set(example), "the example vault must list every secret the test fills"
    vault = {**example, **SECRETS, "aib_api_keys": {"OPENAI_API_KEY": OPENAI_KEY}}
    vault_file = lab / "group_vars/ai_backend/vault.yml"
    vault_file.write_text(yaml.safe_dump(vault))
    providers = lab / "group_vars/ai_backend/providers.yml"
    data = yaml.safe_load(providers.read_text())
    data["aib_providers"]["openai"]["enabled"] = True
    providers.write_text(yaml.safe_dump(data, sort_keys=False))
    mappings = lab / "group_vars/ai_backend/model_mappings.yml"
    data = yaml.safe_load(mappings.read_text())
    data["aib_model_mappings"]["wildcards"] = {"gpt-*": "openai"}
    mappings.write_text(yaml.safe_dump(data, sort_keys=False))
    password = tmp_path / "vault-pass"
    password.write_text("test-vault-password\n")
    subprocess.run(
        [ANSIBLE_VAULT, "encrypt", "--vault-password-file", str(password), str(vault_file)],
        check=True,
        capture_output=True,
    )
    assert vault_file.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    return lab, password


def test_encrypted_vault_renders_and_never_leaks(tmp_path: Path) -> None:
    lab, password = _lab_with_vault(tmp_path)
    out = tmp_path / "render"
    result = render(lab, out, "--vault-password-file", str(password))
    assert result.rc == 0, result.output
    config = yaml.safe_load((out / "litellm-unified.yaml").read_text())
    openai = [m for m in config["model_list"] if m["model_name"] == "gpt-*"]
    assert openai, config["model_list"]
    assert {m["litellm_params"]["api_key"] for m in openai} == {"os.environ/OPENAI_API_KEY"}
    texts = [result.output] + [p.read_text() for p in out.rglob("*") if p.is_file()]
    for value in [*SECRETS.values(), OPENAI_KEY]:
        assert not any(value in t for t in texts), f"secret {value!r} leaked"


def test_without_the_vault_password_nothing_runs(tmp_path: Path) -> None:
    lab, _ = _lab_with_vault(tmp_path)
    result = render(lab, tmp_path / "render")
    assert result.rc != 0
    assert "vault" in result.output.lower(), result.output
    assert not (tmp_path / "render").exists()
