"""schemas/errors.py: registry paths, the RegistryError message, how Pydantic errors are worded."""

from __future__ import annotations

import pytest

from schemas import Issue, RegistryError, validate_registry
from schemas.errors import format_path

UNKNOWN = "unknown key {!r}; remove it or fix its spelling (see docs/registry.md)"


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("aib_model_mappings", "fallbacks", "qwen-coder", 1), "aib_model_mappings.fallbacks.qwen-coder[1]"),
        (("aib_providers", "ollama", "port"), "aib_providers.ollama.port"),
        (("aib_gpu", "devices", 0, "index"), "aib_gpu.devices[0].index"),
        (("aib_gateway",), "aib_gateway"),
        ((), ""),
    ],
)
def test_format_path(loc, path):
    assert format_path(loc) == path


def test_registry_error_lists_every_issue_sorted_and_once():
    exc = RegistryError(
        [
            Issue("aib_redis.port", "b"),
            Issue("aib_gateway.port", "z"),
            Issue("aib_gateway.port", "a"),
            Issue("aib_redis.port", "b"),
        ]
    )
    assert exc.issues == [
        Issue("aib_gateway.port", "a"),
        Issue("aib_gateway.port", "z"),
        Issue("aib_redis.port", "b"),
    ]
    assert str(exc) == (
        "the registry has 3 problems:\n"
        "  - aib_gateway.port: a\n"
        "  - aib_gateway.port: z\n"
        "  - aib_redis.port: b"
    )


def test_registry_error_singular():
    assert str(RegistryError([Issue("aib_gpu", "x")])) == "the registry has 1 problem:\n  - aib_gpu: x"


def test_registry_error_is_a_value_error_without_pydantic_context(default_registry):
    default_registry["aib_gateway"]["port"] = "http"
    with pytest.raises(ValueError, match=r"aib_gateway\.port") as info:
        validate_registry(default_registry)
    assert isinstance(info.value, RegistryError)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


@pytest.mark.parametrize("data", [None, [], "aib_providers: {}", 42])
def test_registry_must_be_a_mapping(problems, data):
    assert problems(data) == [
        ("registry", f"expected a mapping of aib_* sections, got {type(data).__name__}")
    ]


def test_missing_sections(problems):
    assert problems({}) == [
        ("aib_model_mappings", "required key is missing"),
        ("aib_providers", "required key is missing"),
    ]


def test_unknown_section(default_registry, problems):
    default_registry["aib_models"] = {}
    assert problems(default_registry) == [("aib_models", UNKNOWN.format("aib_models"))]


def test_provider_type_tag_is_not_part_of_the_path(default_registry, problems):
    default_registry["aib_providers"]["llamacpp-native"]["settings"]["threads"] = 0
    assert problems(default_registry) == [
        (
            "aib_providers.llamacpp-native.settings.threads",
            "Input should be greater than or equal to 1 (got 0)",
        )
    ]


def test_invalid_mapping_key_is_named_by_the_key(default_registry, problems):
    default_registry["aib_model_files"]["SmolLM2"] = default_registry["aib_model_files"]["smollm2-135m-q4_1"]
    assert problems(default_registry) == [
        (
            "aib_model_files.SmolLM2",
            "'SmolLM2' is not valid: expected lower-case letters, digits, '-' or '_' (at most 48), "
            "e.g. llamacpp-native",
        )
    ]


def test_field_problems_of_several_sections_are_reported_together(lab_registry, problems):
    lab_registry["aib_providers"]["ollama"]["port"] = -1
    lab_registry["aib_model_mappings"]["routing"]["retries"] = "often"
    lab_registry["aib_gateway"]["workers"] = 0
    lab_registry["aib_gpu"]["headroom_gb"] = -1
    assert problems(lab_registry) == [
        ("aib_gateway.workers", "Input should be greater than or equal to 1 (got 0)"),
        ("aib_gpu.headroom_gb", "Input should be greater than or equal to 0 (got -1)"),
        (
            "aib_model_mappings.routing.retries",
            "Input should be a valid integer, unable to parse string as an integer (got 'often')",
        ),
        ("aib_providers.ollama.port", "Input should be greater than or equal to 1 (got -1)"),
    ]


def test_unknown_key_with_brackets_keeps_its_path(default_registry, problems):
    default_registry["aib_gateway"]["ports[0]"] = 4001
    assert problems(default_registry) == [("aib_gateway.ports[0]", UNKNOWN.format("ports[0]"))]


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        (("aib_gateway",), None, "aib_gateway"),  # an `aib_gateway:` whose keys were all commented out
        (
            ("aib_model_mappings", "models", "smollm2"),
            ["llamacpp-native"],
            "aib_model_mappings.models.smollm2",
        ),
        (("aib_providers", "llamacpp-native"), "llamacpp", "aib_providers.llamacpp-native"),
    ],
)
def test_a_non_mapping_says_a_mapping_is_expected(default_registry, problems, where, value, path):
    node = default_registry
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    assert problems(default_registry) == [(path, f"expected a mapping, got {value!r}")]
