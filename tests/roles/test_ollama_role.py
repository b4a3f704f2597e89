"""ollama role: every public variable is documented in meta/argument_specs.yml with the defaults' value,
and the unit template renders the registry item into the expected Environment= lines."""

from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "ollama"
COMMON = ROLE.parent / "_common"


def _defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def _spec() -> dict:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return specs["main"]["options"]


def test_every_default_is_documented_with_its_value():
    spec = _spec()
    for name, value in _defaults().items():
        assert name in spec, f"{name} missing from meta/argument_specs.yml"
        assert spec[name].get("default") == value, name


def test_pinned_sha256_per_arch():
    pins = _defaults()["ollama_archive_sha256"]
    assert set(pins) == {"amd64", "arm64"}
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in pins.values())


@pytest.fixture
def render():
    env = jinja2.Environment(  # noqa: S701 - renders a systemd unit, not HTML
        loader=jinja2.FileSystemLoader([ROLE / "templates", COMMON / "templates"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests["match"] = lambda value, pattern: __import__("re").match(pattern, value) is not None
    env.filters["bool"] = lambda value: str(value).lower() in ("1", "true", "yes", "on")

    def _render(server: dict, **extra) -> str:
        ctx = {
            "ansible_managed": "Ansible managed",
            "ansible_facts": {},
            "ollama_version": "0.32.15",
            "_ollama_sha256": "0" * 64,
            "_ollama_data": "/var/lib/aib/data/ollama",
            "_ollama_state": "/var/lib/aib/.ollama",
            "_ollama_current": "/var/lib/aib/opt/ollama/current",
            "ollama_models_dir": "/var/lib/aib/models/ollama",
            "ollama_extra_env": {},
            "ollama_gpu_wait": False,
            "ollama_restart_sec": 5,
            "ollama_restart_max_delay_sec": 120,
            "__ollama_server": server,
            **extra,
        }
        return env.get_template("aib-ollama.service.j2").render(ctx)

    return _render


def test_unit_environment(render):
    unit = render(
        {
            "name": "ollama",
            "host": "127.0.0.1",
            "port": 11434,
            "models": ["llama3.1:8b"],
            "keep_alive": "30m",
            "num_parallel": 4,
            "max_loaded_models": 2,
            "cuda_visible_devices": "0",
            "limits": {"memory_max": "4G", "cpu_quota": None, "tasks_max": 512},
        },
        ollama_extra_env={"AIB_OLLAMA_DOUBLE_BACKEND": "http://127.0.0.1:8080", "X": "a b"},
    )
    lines = unit.splitlines()
    for line in (
        "Environment=OLLAMA_HOST=127.0.0.1:11434",
        "Environment=OLLAMA_MODELS=/var/lib/aib/models/ollama",
        "Environment=OLLAMA_KEEP_ALIVE=30m",
        "Environment=OLLAMA_NUM_PARALLEL=4",
        "Environment=OLLAMA_MAX_LOADED_MODELS=2",
        "Environment=CUDA_VISIBLE_DEVICES=0",
        "Environment=AIB_OLLAMA_DOUBLE_BACKEND=http://127.0.0.1:8080",
        'Environment="X=a b"',
        "ExecStart=/var/lib/aib/opt/ollama/current/bin/ollama serve",
        "MemoryMax=4G",
        "TasksMax=512",
    ):
        assert line in lines, line
    assert not any(line.startswith(("PrivateDevices", "CPUQuota")) for line in lines)


def test_null_settings_leave_ollama_defaults(render):
    unit = render(
        {
            "name": "o",
            "host": "::1",
            "port": 11435,
            "keep_alive": None,
            "num_parallel": None,
            "max_loaded_models": None,
        }
    )
    assert 'Environment="OLLAMA_HOST=[::1]:11435"' in unit.splitlines()
    assert "OLLAMA_KEEP_ALIVE" not in unit and "OLLAMA_NUM_PARALLEL" not in unit
