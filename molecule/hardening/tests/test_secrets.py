"""Secrets never leak: not in the -vvv output of the converge, not in any file others can read,
not in the journal; the files that hold them are 0600 and owned by the service user."""

from __future__ import annotations

from hardening_env import ENV_FILE, SECRETS_ON_HOST, converge_log, deployed_secrets, write_pattern_file

SEARCH_ROOTS = "/var/lib/aib /etc /opt /run /tmp /var/log /var/tmp /home /srv"


def test_converge_output_at_vvv_holds_no_secret(host) -> None:
    secrets = deployed_secrets(host)
    log = converge_log()
    text = log.read_text(errors="replace")
    # The log really is the -vvv converge: task headers and connection-level detail are there.
    assert "TASK [litellm : Write the gateway's EnvironmentFile]" in text
    assert "ESTABLISH" in text or "EXEC " in text, "the converge log is not verbose (-vvv)"
    hits = [name for name, value in secrets.items() if value in text]
    assert hits == [], f"secrets printed by the converge: {hits} ({log})"


def test_no_file_readable_by_others_holds_a_secret(host) -> None:
    write_pattern_file(host, deployed_secrets(host))
    cmd = (
        f"find {SEARCH_ROOTS} -xdev -type f -perm -o=r -size -20M "
        "-not -path '*/venvs/*' -not -path '*/models/*' -not -path '/var/lib/aib/src/*' -print0 2>/dev/null"
        f" | xargs -0 -r grep -lF -f {SECRETS_ON_HOST} 2>/dev/null"
    )
    with host.sudo():
        found = host.run(cmd).stdout.split()
    assert found == [], f"world-readable files holding a secret: {found}"


def test_the_journal_holds_no_secret(host) -> None:
    write_pattern_file(host, deployed_secrets(host))
    with host.sudo():
        lines = host.run("journalctl --no-pager -o cat | wc -l").stdout.strip()
        hits = host.run(f"journalctl --no-pager -o cat | grep -cF -f {SECRETS_ON_HOST}").stdout.strip()
    assert int(lines) > 100, "the journal is unexpectedly empty"
    assert hits == "0", f"{hits} journal lines hold a secret"


def test_secret_files_are_private_to_the_service_user(host) -> None:
    with host.sudo():
        env = host.file(ENV_FILE)
        assert (env.user, env.group, env.mode) == ("aib", "aib", 0o600)
        redis_conf = host.file("/var/lib/aib/etc/redis/redis.conf")
        assert redis_conf.user == "aib" and redis_conf.mode & 0o007 == 0


def test_the_gateway_config_refers_to_secrets_by_environment(host) -> None:
    secrets = deployed_secrets(host)
    with host.sudo():
        config = host.file("/var/lib/aib/etc/litellm/config.yaml").content_string
    assert not [n for n, v in secrets.items() if v in config]
    for name in ("LITELLM_MASTER_KEY", "REDIS_PASSWORD", "LAB_COMPAT_API_KEY"):
        assert f"os.environ/{name}" in config
