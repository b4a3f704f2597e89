"""Property-based tests: whatever a registry edit does, the result is a valid registry or a
RegistryError naming aib_* paths (an AnsibleFilterError through the filters), never a crash."""

from __future__ import annotations

import copy
import graphlib
import itertools
from typing import Any

import yaml
from aib_registry import FilterModule
from ansible.errors import AnsibleFilterError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schemas import RegistryError, validate_registry
from tests.profiles import SECTIONS, get, locations

FILTERS = FilterModule().filters()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values that mean something somewhere in a registry, so that mutations hit the interesting rules.
WORDS = [
    "127.0.0.1", "0.0.0.0", "::", "localhost", "ollama", "llamacpp", "llamacpp_python", "vllm", "openai",  # noqa: S104
    "anthropic", "openai_compatible", "llamacpp-native", "llamacpp-python", "smollm2", "smollm2-python",
    "smollm2-135m", "smollm2-135m-q4_1", "llama3.1:8b", "qwen-coder", "llama3", "gpt-*", "required", "none",
    "stdio", "http", "https://x.example/v1", "a" * 64, "OPENAI_API_KEY", "90a", "native", "",
]  # fmt: skip
PORTS = [1, 4000, 6379, 8000, 8001, 8080, 11434, 65535, 0, 65536]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**20), max_value=2**20),
    st.sampled_from(PORTS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=10), st.integers(-3, 3))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn, base: dict) -> dict:
    """`base` after 1 to 4 random edits: delete, replace, rename, add, perturb. Top-level sections are
    deleted, replaced or perturbed but never renamed or joined by new sections."""
    registry = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = locations(registry)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = get(registry, path[:-1]), path[-1]
        ops = ["delete", "replace", "perturb"] + (["rename", "add"] if len(path) > 1 else [])
        op = draw(st.sampled_from(ops))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(values)
        elif op == "rename" and isinstance(parent, dict):
            new = draw(keys)
            parent[new] = parent.pop(key)
        elif op == "add" and isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
        elif op == "add":
            parent.insert(draw(st.integers(0, len(parent))), draw(values))
        else:  # perturb: a nearby or clashing value of the same kind
            parent[key] = draw(_perturbed(parent[key], registry))
    return registry


def _perturbed(value: Any, registry: dict) -> st.SearchStrategy:
    if isinstance(value, bool):
        return st.just(not value)
    if isinstance(value, int):
        ints = sorted({v for p in locations(registry) if type(v := get(registry, p)) is int} | set(PORTS))
        return st.integers(value - 2, value + 2) | st.sampled_from(ints)
    if isinstance(value, float):
        return st.sampled_from([value * 2, value / 2, -value, 0.0, 0.99])
    if isinstance(value, str):
        names = [p[-1] for p in locations(registry) if isinstance(p[-1], str)]
        return st.sampled_from([value.upper(), value + "x", value[:-1], f" {value}", *names, *WORDS])
    if isinstance(value, list):
        return st.sampled_from([value + value[:1], value[1:], list(reversed(value)), []])
    if isinstance(value, dict):
        return st.sampled_from([{}, dict(reversed(list(value.items())))])
    return values


def _starts_with_a_section(path: str) -> bool:
    return any(path == s or path.startswith((f"{s}.", f"{s}[")) for s in SECTIONS)


def _outcome(call: Any, *args: Any) -> tuple[Any, Exception | None]:
    try:
        return call(*args), None
    except Exception as exc:  # the caller asserts on the type
        return None, exc


def _check(candidate: dict, filter_name: str) -> None:
    _, error = _outcome(validate_registry, copy.deepcopy(candidate))
    event("invalid" if error else "valid")
    if error is not None:
        assert isinstance(error, RegistryError), repr(error)
        assert error.issues
        assert error.issues == sorted(set(error.issues))
        bad = [str(issue) for issue in error.issues if not _starts_with_a_section(issue.path)]
        assert not bad, bad
    output, filter_error = _outcome(FILTERS[filter_name], copy.deepcopy(candidate))
    if error is not None:
        assert isinstance(filter_error, AnsibleFilterError), repr(filter_error)
        assert str(filter_error).startswith(f"{filter_name}: invalid registry")
        assert isinstance(filter_error.__cause__, RegistryError)
    else:
        assert filter_error is None, repr(filter_error)
        assert yaml.safe_dump(output) == yaml.safe_dump(FILTERS[filter_name](copy.deepcopy(candidate)))


@SETTINGS
@given(data=st.data())
def test_mutated_default_profile_validates_or_names_its_problems(default_profile, data):
    candidate = data.draw(mutated(default_profile), label="registry")
    _check(candidate, data.draw(st.sampled_from(sorted(FILTERS)), label="filter"))


@SETTINGS
@given(data=st.data())
def test_mutated_lab_profile_validates_or_names_its_problems(lab_profile, data):
    candidate = data.draw(mutated(lab_profile), label="registry")
    _check(candidate, data.draw(st.sampled_from(sorted(FILTERS)), label="filter"))


@settings(max_examples=100, deadline=None)
@given(
    ports=st.lists(st.sampled_from([4000, 6379, 8000, 8080, 9090]), min_size=5, max_size=5),
    cache=st.booleans(),
)
def test_port_clashes_are_exactly_the_repeated_ports(default_profile, ports, cache):
    registry = copy.deepcopy(default_profile)
    registry["aib_gateway"]["port"], registry["aib_redis"]["port"] = ports[:2]
    registry["aib_gateway"]["cache"]["enabled"] = cache
    registry["aib_observability"]["redis_exporter"]["enabled"] = cache  # it needs Redis
    (
        registry["aib_providers"]["llamacpp-native"]["port"],
        registry["aib_providers"]["llamacpp-python"]["port"],
        registry["aib_observability"]["prometheus"]["port"],
    ) = ports[2:]
    owners = [
        "aib_gateway.port",
        "aib_redis.port",
        "aib_providers.llamacpp-native.port",
        "aib_providers.llamacpp-python.port",
        "aib_observability.prometheus.port",
    ]
    first: dict[int, str] = {}
    expected = []
    for owner, port in zip(owners, ports, strict=True):
        if owner == "aib_redis.port" and not cache:
            continue
        if port in first:
            expected.append(
                (
                    owner,
                    f"port {port} is already taken by {first[port]}; every service on the host needs its own",
                )
            )
        first.setdefault(port, owner)
    _, error = _outcome(validate_registry, registry)
    found = [(i.path, i.message) for i in error.issues] if isinstance(error, RegistryError) else []
    assert error is None or found, repr(error)
    assert found == sorted(expected)


LAB_MODELS = ["llama2-13b-vllm", "llama3.1:8b", "qwen-coder", "smollm2", "smollm2-python"]


@settings(max_examples=200, deadline=None)
@given(
    chains=st.fixed_dictionaries(
        {},
        optional={
            m: st.lists(st.sampled_from(LAB_MODELS), min_size=1, max_size=4, unique=True) for m in LAB_MODELS
        },
    )
)
def test_fallback_cycles_are_found_and_reported_once(lab_profile, chains):
    chains = {name: [t for t in chain if t != name] for name, chain in chains.items()}
    chains = {name: chain for name, chain in chains.items() if chain}
    registry = copy.deepcopy(lab_profile)
    registry["aib_model_mappings"]["fallbacks"] = chains
    try:
        graphlib.TopologicalSorter(chains).prepare()
        acyclic = True
    except graphlib.CycleError:
        acyclic = False
    _, error = _outcome(validate_registry, registry)
    assert error is None or isinstance(error, RegistryError), repr(error)
    issues = error.issues if error else []
    assert acyclic == (not issues)
    cycles = []
    for issue in issues:
        assert issue.message.startswith("fallback cycle ")
        assert issue.message.endswith("; break it by removing one of these fallbacks")
        cycle = issue.message.removeprefix("fallback cycle ").split("; ")[0].split(" -> ")
        assert issue.path == f"aib_model_mappings.fallbacks.{cycle[0]}"
        assert cycle[0] == cycle[-1] == min(cycle)
        assert len(set(cycle[:-1])) == len(cycle) - 1  # an elementary cycle
        assert all(b in chains[a] for a, b in itertools.pairwise(cycle))
        cycles.append(tuple(cycle))
    assert len(cycles) == len(set(cycles))
