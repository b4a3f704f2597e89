"""Role `_common`: the service user, its linger and its running systemd user manager."""

from __future__ import annotations

AIB_USER = "aib"
AIB_HOME = "/var/lib/aib"


def _uid(host) -> int:
    return host.user(AIB_USER).uid


def test_service_user_exists_with_its_home(host) -> None:
    user = host.user(AIB_USER)
    assert user.exists
    assert user.home == AIB_HOME
    assert user.group == AIB_USER
    home = host.file(AIB_HOME)
    assert home.is_directory
    assert home.user == AIB_USER
    assert home.mode == 0o750


def test_linger_is_enabled(host) -> None:
    assert host.file(f"/var/lib/systemd/linger/{AIB_USER}").exists


def test_user_manager_is_running(host) -> None:
    uid = _uid(host)
    assert host.service(f"user@{uid}").is_running
    assert host.file(f"/run/user/{uid}/bus").exists


def test_user_manager_answers_systemctl_user(host) -> None:
    uid = _uid(host)
    cmd = host.run(
        "sudo -u %s XDG_RUNTIME_DIR=/run/user/%s systemctl --user is-system-running",
        AIB_USER,
        str(uid),
    )
    # "degraded" only means that some user unit failed; the other tests judge the units
    assert cmd.stdout.strip() in {"running", "degraded"}, cmd.stderr
