"""The malformed-registry corpus (issue #8): every malformed registry is refused with a message naming
its registry path, never with a traceback.

Hand-written cases live in tests/unit/malformed/*.yml (one or more per schema rule; format in
malformed/corpus.py); hypothesis adds registries with a corrupted leaf, an unknown key or a deleted
key. Both go through the Ansible filter `aib_validate_registry`, as playbooks/preflight.yml runs it.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from aib_registry import FilterModule
from ansible.errors import AnsibleFilterError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from malformed.corpus import CASES, PROFILES, Case

from schemas import RegistryError, validate_registry
from tests.profiles import SECTIONS, get, locations

VALIDATE = FilterModule().filters()["aib_validate_registry"]

# The registry's top-level keys.
TOP_LEVEL = SECTIONS


def _refusal(registry: Any) -> tuple[AnsibleFilterError, RegistryError]:
    """The filter's error for `registry` and the RegistryError it was raised from."""
    with pytest.raises(AnsibleFilterError) as info:
        VALIDATE(registry)
    error = info.value
    assert str(error).startswith("aib_validate_registry: invalid registry"), str(error)
    cause = error.__cause__
    assert isinstance(cause, RegistryError), repr(cause)
    return error, cause


# -- hand-written cases ------------------------------------------------------------------------------


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(reason=f"schema gap: {case.xfail}", strict=True)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_corpus_has_at_least_50_hand_written_cases() -> None:
    refused = [c for c in CASES if not c.xfail]
    assert len(refused) >= 50, len(refused)
    assert len(CASES) >= 60, len(CASES)


def test_every_case_is_distinct_and_names_its_problems() -> None:
    assert all(case.expect for case in CASES)
    registries = Counter(repr(case.registry()) for case in CASES)
    assert max(registries.values()) == 1, [r for r, n in registries.items() if n > 1]


def test_the_corpus_covers_every_section_and_both_profiles() -> None:
    sections = {e.path.split(".")[0].split("[")[0] for case in CASES for e in case.expect}
    assert set(TOP_LEVEL) - {"aib_observability"} <= sections, sections
    assert {case.base for case in CASES} == {"default", "lab"}


def test_the_profiles_the_cases_start_from_are_valid() -> None:
    for name, profile in PROFILES.items():
        assert VALIDATE(copy.deepcopy(profile)), name


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_malformed_registry_is_refused_naming_its_path(case: Case) -> None:
    error, cause = _refusal(case.registry())
    message = str(cause)
    found = [(issue.path, issue.message) for issue in cause.issues]
    for expected in case.expect:
        assert f"  - {expected.path}: " in message, message
        assert any(p == expected.path and expected.message in m for p, m in found), (expected, found)
    # exactly the problems the case is about: a mutation that trips unrelated rules is a bad case
    assert {p for p, _ in found} == {e.path for e in case.expect}, found
    for text in (str(error), message):
        assert "Traceback" not in text
        assert "errors.pydantic.dev" not in text  # Pydantic's own dump never reaches the user


# -- hypothesis: corrupted registries ----------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# One value of each YAML type; a leaf is replaced by one of a type other than its own.
TYPED_VALUES: dict[type, st.SearchStrategy] = {
    type(None): st.none(),
    bool: st.booleans(),
    int: st.integers(-(2**40), 2**40),
    float: st.floats(allow_nan=True, allow_infinity=True),
    str: st.text(max_size=20) | st.sampled_from(["0.0.0.0", "none", "required", "*", "yes", "8080"]),  # noqa: S104
    list: st.lists(st.integers(0, 3) | st.text(max_size=5), max_size=3),
    dict: st.dictionaries(st.text(max_size=6), st.integers(0, 3) | st.text(max_size=5), max_size=3),
}
EXTREME_NUMBERS = [
    0, -1, 1, 63, 64, 255, 256, 999, 1000, 65535, 65536, 2**31, 2**63, -(2**63), 10**30,
    0.0, -0.0, 0.5, 0.98, 0.99, 1.0, 4096.5, 1e308, -1e308, float("inf"), float("-inf"), float("nan"),
]  # fmt: skip
EDGE_STRINGS = [
    "", " ", "\t", "\n", "-", "*", "/", "..", "a" * 300, "ß", "名前", "\x00", "{{ x }}", "UPPER",
    "127.0.0.1", "::1", "256.0.0.1", "http://", "https://x", "0" * 64, "g" * 64,
]  # fmt: skip


def _mappings(node: Any, prefix: tuple = ()) -> list[tuple]:
    """The path of every mapping below the registry root (not the root: no new sections)."""
    return [p for p in locations(node, prefix) if isinstance(get(node, p), dict)]


def wrong_type(registry: dict) -> st.SearchStrategy[dict]:
    """A value anywhere (leaf or section) replaced by a value of another type."""

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        reg = copy.deepcopy(registry)
        path = draw(st.sampled_from(locations(reg)))
        current = type(get(reg, path))
        kind = draw(st.sampled_from([t for t in TYPED_VALUES if t is not current]))
        get(reg, path[:-1])[path[-1]] = draw(TYPED_VALUES[kind])
        event(f"wrong_type {kind.__name__}")
        return reg

    return build()


def out_of_range(registry: dict) -> st.SearchStrategy[dict]:
    """A number replaced by an extreme one, or a string by an edge-case string."""

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        reg = copy.deepcopy(registry)
        scalars = [p for p in locations(reg) if isinstance(get(reg, p), int | float | str)]
        path = draw(st.sampled_from(scalars))
        current = get(reg, path)
        if isinstance(current, str):
            value = draw(st.sampled_from(EDGE_STRINGS) | st.text(min_size=1, max_size=60))
        else:
            value = draw(st.sampled_from(EXTREME_NUMBERS) | st.integers(-(2**70), 2**70))
        get(reg, path[:-1])[path[-1]] = value
        return reg

    return build()


def unknown_key(registry: dict) -> st.SearchStrategy[dict]:
    """An extra key (a typo, an int, a key from elsewhere) in some mapping below the root."""

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        reg = copy.deepcopy(registry)
        path = draw(st.sampled_from(_mappings(reg)))
        names = sorted({str(p[-1]) for p in locations(reg)})
        key = draw(st.text(min_size=1, max_size=12) | st.sampled_from(names) | st.integers(-2, 2))
        value = draw(st.one_of(*TYPED_VALUES.values()))
        get(reg, path)[key] = value
        return reg

    return build()


def deleted_key(registry: dict) -> st.SearchStrategy[dict]:
    """A key removed from a mapping at any depth (sections included: required ones are then missing)."""

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        reg = copy.deepcopy(registry)
        keys = [p for p in locations(reg) if isinstance(get(reg, p[:-1]), dict)]
        path = draw(st.sampled_from(keys))
        del get(reg, path[:-1])[path[-1]]
        return reg

    return build()


STRATEGIES = {"wrong_type": wrong_type, "out_of_range": out_of_range, "unknown_key": unknown_key,
              "deleted_key": deleted_key}  # fmt: skip


@st.composite
def corrupted(draw: st.DrawFn, registry: dict) -> dict:
    """1 to 3 corruptions in a row, each drawn from one of STRATEGIES."""
    reg = registry
    for _ in range(draw(st.integers(1, 3))):
        if not _mappings(reg) or not locations(reg):
            break
        name = draw(st.sampled_from(sorted(STRATEGIES)))
        event(name)
        reg = draw(STRATEGIES[name](reg))
    return reg


def _starts_at_the_top(path: str) -> bool:
    return any(path == key or path.startswith((f"{key}.", f"{key}[")) for key in TOP_LEVEL)


def _assert_valid_or_refused_cleanly(candidate: dict) -> None:
    try:
        validate_registry(copy.deepcopy(candidate))
    except RegistryError as exc:
        error: RegistryError | None = exc
    # anything else (TypeError, KeyError, ValidationError, ...) propagates and fails the test
    else:
        error = None
    event("refused" if error else "still valid")
    if error is None:
        VALIDATE(copy.deepcopy(candidate))  # the filter accepts it too
        return
    assert error.issues
    misplaced = [str(i) for i in error.issues if not _starts_at_the_top(i.path)]
    assert not misplaced, misplaced
    assert all(i.message for i in error.issues)
    _, cause = _refusal(copy.deepcopy(candidate))
    assert cause.issues == error.issues


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
@pytest.mark.parametrize("profile", sorted(PROFILES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_corruption_is_valid_or_refused_with_registry_paths(profile, strategy, data) -> None:
    candidate = data.draw(STRATEGIES[strategy](PROFILES[profile]), label="registry")
    _assert_valid_or_refused_cleanly(candidate)


@pytest.mark.parametrize("profile", sorted(PROFILES))
@SETTINGS
@given(data=st.data())
def test_combined_corruptions_are_valid_or_refused_with_registry_paths(profile, data) -> None:
    candidate = data.draw(corrupted(PROFILES[profile]), label="registry")
    _assert_valid_or_refused_cleanly(candidate)
