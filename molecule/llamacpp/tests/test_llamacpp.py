"""llamacpp scenario: both flavours serve SmolLM2 on 127.0.0.1 only and generate text."""

import json
import time

import pytest

SERVERS = [("llamacpp-native", 8080), ("llamacpp-python", 8000)]
AIB_HOME = "/var/lib/aib"


def _uid(host):
    return host.user("aib").uid


def _systemctl(host, *args):
    return host.run(
        "sudo -u aib XDG_RUNTIME_DIR=/run/user/%s systemctl --user " + " ".join(args), str(_uid(host))
    )


def _post(host, port, path, body):
    script = (
        "import json,sys,urllib.request;"
        "r=urllib.request.Request(sys.argv[1],data=sys.argv[2].encode(),"
        "headers={'Content-Type':'application/json'});"
        "print(urllib.request.urlopen(r,timeout=120).read().decode())"
    )
    cmd = host.run("python3 -c %s %s %s", script, f"http://127.0.0.1:{port}{path}", json.dumps(body))
    assert cmd.rc == 0, cmd.stderr
    return json.loads(cmd.stdout)


@pytest.mark.parametrize("name,port", SERVERS)
def test_unit_active_and_enabled(host, name, port):
    assert _systemctl(host, "is-active", f"aib-{name}.service").stdout.strip() == "active"
    assert _systemctl(host, "is-enabled", f"aib-{name}.service").stdout.strip() == "enabled"


@pytest.mark.parametrize("name,port", SERVERS)
def test_unit_hardened(host, name, port):
    unit = host.file(f"{AIB_HOME}/.config/systemd/user/aib-{name}.service").content_string
    for line in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "Restart=on-failure",
        "Environment=CUDA_VISIBLE_DEVICES=",
    ):
        assert line in unit
    directives = [line.split("=", 1)[0] for line in unit.splitlines() if not line.startswith("#")]
    assert "PrivateDevices" not in directives  # GPUs stay visible


@pytest.mark.parametrize("name,port", SERVERS)
def test_bound_to_loopback_only(host, name, port):
    listeners = []
    for _ in range(30):
        out = host.check_output("ss -ltnH")
        listeners = [ln.split()[3] for ln in out.splitlines() if ln.split()[3].endswith(f":{port}")]
        if listeners:
            break
        time.sleep(2)
    assert listeners == [f"127.0.0.1:{port}"]


@pytest.mark.parametrize("name,port", SERVERS)
def test_chat_completion(host, name, port):
    reply = _post(
        host,
        port,
        "/v1/chat/completions",
        {
            "model": "smollm2-135m",
            "messages": [{"role": "user", "content": "Say hello."}],
            "max_tokens": 16,
            "temperature": 0,
        },
    )
    text = reply["choices"][0]["message"]["content"]
    assert isinstance(text, str) and text.strip()


def test_native_metrics_and_alias(host):
    out = host.check_output(
        "python3 -c %s",
        "import urllib.request;print(urllib.request.urlopen("
        "'http://127.0.0.1:8080/metrics').read().decode())",
    )
    assert "llamacpp:" in out
    models = host.check_output(
        "python3 -c %s",
        "import urllib.request;print(urllib.request.urlopen("
        "'http://127.0.0.1:8080/v1/models').read().decode())",
    )
    assert "smollm2-135m" in models


def test_versioned_install_and_cache(host):
    current = host.file(f"{AIB_HOME}/llamacpp/current")
    assert current.is_symlink
    key = current.linked_to.rsplit("/", 1)[-1]
    assert host.file(f"{AIB_HOME}/llamacpp/{key}/bin/llama-server").is_file
    assert host.file(f"/var/cache/aib/artifacts/build/llama-server-{key}.tar.gz").is_file
    wheels = host.check_output("ls /var/cache/aib/artifacts/build/llama-cpp-python-*/*.whl")
    assert "llama_cpp_python-0.3.36-" in wheels
    assert not host.file(f"{AIB_HOME}/build/llama-server-{key}").exists
