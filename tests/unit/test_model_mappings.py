"""aib_model_mappings: public names, served_by forms, aliases/fallbacks/wildcards shapes, routing
(schemas/model_mappings.py). Cross-references are in test_registry_references.py."""

from __future__ import annotations

import pytest

from schemas import validate_registry

UNKNOWN = "unknown key {!r}; remove it or fix its spelling (see docs/registry.md)"


def _deployments(registry, public):
    return [d.model_dump() for d in validate_registry(registry).aib_model_mappings.models[public].served_by]


def _dep(provider, model=None, weight=None, rpm=None, tpm=None):
    return {"provider": provider, "model": model, "weight": weight, "rpm": rpm, "tpm": tpm}


@pytest.mark.parametrize(
    "served",
    [
        "llamacpp-native",  # shorthand on the model itself: `smollm2: llamacpp-native`
        {"served_by": "llamacpp-native"},
        {"served_by": {"provider": "llamacpp-native"}},
        {"served_by": ["llamacpp-native"]},
        {"served_by": [{"provider": "llamacpp-native"}]},
    ],
)
def test_served_by_forms_normalise_to_a_list_of_deployments(default_registry, served):
    default_registry["aib_model_mappings"]["models"]["smollm2"] = served
    assert _deployments(default_registry, "smollm2") == [_dep("llamacpp-native")]


def test_served_by_mixed_list_keeps_order_and_limits(lab_registry):
    lab_registry["aib_model_mappings"]["models"]["coder"] = {
        "served_by": [
            {"provider": "ollama", "model": "qwen2.5-coder:7b", "weight": 3, "rpm": 60},
            "llamacpp-native",
        ],
        "description": "code model",
    }
    assert _deployments(lab_registry, "coder") == [
        _dep("ollama", "qwen2.5-coder:7b", weight=3, rpm=60),
        _dep("llamacpp-native"),
    ]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (("models", "smollm2"), "servedby"),
        (("models", "smollm2", "served_by", 0), "weigth"),
        (("routing",), "retry"),
        ((), "alias"),
    ],
)
def test_unknown_key_at_any_depth(default_registry, problems, path, key):
    mappings = default_registry["aib_model_mappings"]
    mappings["models"]["smollm2"] = {"served_by": [{"provider": "llamacpp-native"}]}
    node = mappings
    for part in path:
        node = node[part]
    node[key] = 1
    location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*path, key))
    assert problems(default_registry) == [(f"aib_model_mappings{location}", UNKNOWN.format(key))]


def test_served_by_is_required(default_registry, problems):
    default_registry["aib_model_mappings"]["models"]["smollm2"] = {"description": "no deployment"}
    assert problems(default_registry) == [
        ("aib_model_mappings.models.smollm2.served_by", "required key is missing")
    ]


def test_served_by_must_not_be_empty(default_registry, problems):
    default_registry["aib_model_mappings"]["models"]["smollm2"] = {"served_by": []}
    assert problems(default_registry) == [
        (
            "aib_model_mappings.models.smollm2.served_by",
            "List should have at least 1 item after validation, not 0 (got [])",
        )
    ]


def test_models_must_not_be_empty(default_registry, problems):
    default_registry["aib_model_mappings"] = {"models": {}}
    assert problems(default_registry) == [
        ("aib_model_mappings.models", "Dictionary should have at least 1 item after validation, not 0")
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("weight", 0, "Input should be greater than or equal to 1 (got 0)"),
        ("weight", 1001, "Input should be less than or equal to 1000 (got 1001)"),
        ("rpm", 0, "Input should be greater than or equal to 1 (got 0)"),
        ("model", "", "String should have at least 1 character (got '')"),
    ],
)
def test_deployment_ranges(default_registry, problems, key, value, message):
    default_registry["aib_model_mappings"]["models"]["smollm2"] = {
        "served_by": {"provider": "llamacpp-native", key: value}
    }
    assert problems(default_registry) == [(f"aib_model_mappings.models.smollm2.served_by[0].{key}", message)]


@pytest.mark.parametrize("name", ["smol lm", "-smollm2", "smollm2*", "x" * 129])
def test_public_model_name_pattern(default_registry, problems, name):
    default_registry["aib_model_mappings"]["models"][name] = "llamacpp-native"
    assert problems(default_registry) == [
        (
            f"aib_model_mappings.models.{name}",
            f"{name!r} is not valid: expected letters, digits and . _ : / @ - (e.g. llama3.1:8b)",
        )
    ]


@pytest.mark.parametrize("pattern", ["gpt-", "*gpt", "gpt-*-mini", "gpt *"])
def test_wildcard_pattern(lab_registry, problems, pattern):
    lab_registry["aib_model_mappings"]["wildcards"] = {pattern: "openai"}
    assert problems(lab_registry) == [
        (
            f"aib_model_mappings.wildcards.{pattern}",
            f"{pattern!r} is not valid: expected a name prefix ending in '*', e.g. gpt-* or claude-*",
        )
    ]


def test_wildcard_provider_name_pattern(lab_registry, problems):
    lab_registry["aib_model_mappings"]["wildcards"] = {"gpt-*": "OpenAI"}
    assert problems(lab_registry) == [
        (
            "aib_model_mappings.wildcards.gpt-*",
            "'OpenAI' is not valid: expected lower-case letters, digits, '-' or '_' (at most 48), "
            "e.g. llamacpp-native",
        )
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "strategy",
            "round-robin",
            "Input should be 'simple-shuffle', 'least-busy', 'latency-based' or 'usage-based' (got "
            "'round-robin')",
        ),
        ("retries", 11, "Input should be less than or equal to 10 (got 11)"),
        ("timeout_s", 0, "Input should be greater than 0 (got 0)"),
        ("cooldown_s", -1, "Input should be greater than or equal to 0 (got -1)"),
    ],
)
def test_routing(default_registry, problems, key, value, message):
    default_registry["aib_model_mappings"]["routing"][key] = value
    assert problems(default_registry) == [(f"aib_model_mappings.routing.{key}", message)]


def test_empty_fallback_chain_names_its_path(default_registry, problems):
    default_registry["aib_model_mappings"]["fallbacks"]["smollm2"] = []
    assert problems(default_registry) == [
        (
            "aib_model_mappings.fallbacks.smollm2",
            "fallback chain of 'smollm2' is empty; list at least one model or remove it",
        )
    ]


def test_empty_fallback_chain_is_an_error(default_registry):
    default_registry["aib_model_mappings"]["fallbacks"]["smollm2"] = []
    with pytest.raises(
        ValueError, match="fallback chain of 'smollm2' is empty; list at least one model or remove it"
    ):
        validate_registry(default_registry)
