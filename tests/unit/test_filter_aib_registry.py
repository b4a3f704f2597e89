"""filter_plugins/aib_registry.py: the filters Ansible loads, their errors, plain and deterministic output."""

from __future__ import annotations

import copy
from collections import OrderedDict, UserDict
from pathlib import Path

import pytest
import yaml
from aib_registry import FilterModule
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from schemas import RegistryError

ROOT = Path(__file__).resolve().parents[2]
FILTER_NAMES = [
    "aib_validate_registry",
    "aib_litellm_config",
    "aib_litellm_env",
    "aib_litellm_settings_env",
    "aib_gateway_exposed",
    "aib_prometheus_config",
    "aib_prometheus_scrape_configs",
    "aib_llamacpp_servers",
    "aib_ollama_servers",
    "aib_vllm_servers",
    "aib_observability",
]


def test_filter_names():
    assert list(FilterModule().filters()) == FILTER_NAMES


@pytest.mark.parametrize("name", FILTER_NAMES)
def test_invalid_registry_error_names_the_filter_and_every_problem(filters, default_registry, name):
    default_registry["aib_providers"]["llamacpp-native"]["port"] = 0
    default_registry["aib_gateway"]["listen"] = "0.0.0.0"  # noqa: S104
    with pytest.raises(AnsibleFilterError) as info:
        filters[name](default_registry)
    assert str(info.value) == (
        f"{name}: invalid registry: the registry has 2 problems:\n"
        "  - aib_gateway.listen: unknown key 'listen'; remove it or fix its spelling (see docs/registry.md)\n"
        "  - aib_providers.llamacpp-native.port: Input should be greater than or equal to 1 (got 0)"
    )
    assert isinstance(info.value.__cause__, RegistryError)


def test_cross_reference_error_through_the_filter(filters, default_registry):
    default_registry["aib_model_mappings"]["aliases"]["smol"] = "smollm3"
    with pytest.raises(AnsibleFilterError) as info:
        filters["aib_litellm_config"](default_registry)
    assert str(info.value) == (
        "aib_litellm_config: invalid registry: the registry has 1 problem:\n"
        "  - aib_model_mappings.aliases.smol: alias points at unknown model 'smollm3'; "
        "use one of: smollm2, smollm2-python"
    )


@pytest.mark.parametrize("value", [None, "{{ aib_registry }}", ["aib_providers"]])
def test_non_mapping_input(filters, value):
    with pytest.raises(AnsibleFilterError) as info:
        filters["aib_validate_registry"](value)
    assert str(info.value) == (
        "aib_validate_registry: invalid registry: the registry has 1 problem:\n"
        f"  - registry: expected a mapping of aib_* sections, got {type(value).__name__}"
    )


def test_validate_fills_defaults_and_is_idempotent(filters, default_profile, lab_profile):
    for profile in (default_profile, lab_profile):
        normalised = filters["aib_validate_registry"](profile)
        assert list(normalised) == list(profile)
        assert filters["aib_validate_registry"](normalised) == normalised
    normalised = filters["aib_validate_registry"](default_profile)
    assert normalised["aib_providers"]["llamacpp-native"] == {
        "enabled": True,
        "host": "127.0.0.1",
        "gpu": None,
        "limits": {"memory_max": None, "cpu_quota": None, "tasks_max": None},
        "type": "llamacpp",
        "port": 8080,
        "model": {"name": "smollm2-135m", "file": "smollm2-135m-q4_1"},
        "settings": {"ctx_size": 2048, "parallel": 2, "threads": 2, "gpu_layers": 0, "extra_args": []},
    }
    assert normalised["aib_model_mappings"]["models"]["smollm2"] == {
        "served_by": [
            {"provider": "llamacpp-native", "model": None, "weight": None, "rpm": None, "tpm": None}
        ],
        "description": None,
    }


def test_filters_do_not_change_their_input(filters, lab_profile):
    before = copy.deepcopy(lab_profile)
    for name in FILTER_NAMES:
        filters[name](lab_profile)
    assert lab_profile == before


def test_mapping_types_other_than_dict_are_accepted(filters, default_profile):
    """Ansible hands over its own mapping/sequence types; the filter turns them into plain data."""

    def wrap(value):
        if isinstance(value, dict):
            return UserDict({k: wrap(v) for k, v in value.items()})
        if isinstance(value, list):
            return tuple(wrap(v) for v in value)
        return value

    assert filters["aib_litellm_config"](wrap(default_profile)) == filters["aib_litellm_config"](
        default_profile
    )


def _dump(value):
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False)


@pytest.mark.parametrize("name", FILTER_NAMES)
def test_output_is_plain_and_deterministic(filters, lab_profile, name):
    first = _dump(filters[name](copy.deepcopy(lab_profile)))  # safe_dump refuses anything but plain data
    second = _dump(FilterModule().filters()[name](copy.deepcopy(lab_profile)))
    assert first == second


def test_input_order_is_preserved(filters, lab_registry):
    models = lab_registry["aib_model_mappings"]["models"]
    lab_registry["aib_model_mappings"]["models"] = OrderedDict(reversed(list(models.items())))
    providers = lab_registry["aib_providers"]
    lab_registry["aib_providers"] = dict(reversed(list(providers.items())))
    config = filters["aib_litellm_config"](lab_registry)
    assert [entry["model_name"] for entry in config["model_list"]] == [
        "smollm2-python",
        "smollm2",
        "llama2-13b-vllm",
        "qwen-coder",
        "llama3.1:8b",
    ]
    assert [s["name"] for s in filters["aib_llamacpp_servers"](lab_registry)] == [
        "llamacpp-native",
        "llamacpp-python",
    ]
    assert list(filters["aib_validate_registry"](lab_registry)["aib_providers"]) == list(
        reversed(list(providers))
    )


def test_env_is_sorted_whatever_the_order(filters, lab_registry):
    providers = lab_registry["aib_providers"]
    for name in ("openai", "anthropic"):
        providers[name]["enabled"] = True
    forward = filters["aib_litellm_env"](lab_registry)
    lab_registry["aib_providers"] = dict(reversed(list(providers.items())))
    assert list(filters["aib_litellm_env"](lab_registry)) == list(forward) == sorted(forward)


@pytest.mark.parametrize("profile", ["default_profile", "lab_profile"])
def test_fixtures_equal_the_bundle_ansible_templates(request, profile):
    """The profiles built here are what `aib_registry` (group_vars/all/registry.yml) evaluates to."""
    registry = request.getfixturevalue(profile)
    bundle = yaml.safe_load((ROOT / "group_vars" / "all" / "registry.yml").read_text(encoding="utf-8"))[
        "aib_registry"
    ]
    variables = {
        name: value for name, value in registry.items() if value != {}
    }  # `| default({})` covers the rest
    templar = Templar(loader=DataLoader(), variables=variables)
    assert templar.template({k: trust_as_template(v) for k, v in bundle.items()}) == registry


def test_tagged_ansible_strings_are_accepted(filters, default_profile):
    """Strings that come out of Ansible carry tags (str subclasses); the output holds plain str only."""

    def tag(value):
        if isinstance(value, dict):
            return {tag(k): tag(v) for k, v in value.items()}
        if isinstance(value, list):
            return [tag(v) for v in value]
        return trust_as_template(value) if isinstance(value, str) else value

    tagged = tag(default_profile)
    assert type(tagged["aib_gateway"]["bind"]) is not str
    config = filters["aib_litellm_config"](tagged)
    assert config == filters["aib_litellm_config"](default_profile)
    assert type(config["model_list"][0]["model_name"]) is str
