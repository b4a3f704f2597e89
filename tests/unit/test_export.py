"""schemas/registry.schema.json is the committed export of the current schemas."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.export import DEFAULT_PATH, json_schema
from tests.profiles import SECTIONS

NO_LIMITS = {"memory_max": None, "cpu_quota": None, "tasks_max": None}


def test_committed_json_schema_is_current() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == json_schema(), "run: python -m schemas.export"


def test_json_schema_describes_every_section() -> None:
    schema = json.loads(json_schema())
    assert set(schema["properties"]) == set(SECTIONS)
    assert schema["additionalProperties"] is False


def test_json_schema_keeps_the_patterns_for_editors() -> None:
    text = Path(DEFAULT_PATH).read_text(encoding="utf-8")
    assert '"pattern": "[0-9a-f]{64}"' in text
    assert '"pattern": "^[0-9]+[KMGT]?$|^infinity$"' in text  # limits.memory_max


def test_json_schema_describes_limits_and_observability() -> None:
    defs = json.loads(json_schema())["$defs"]
    assert set(defs["Limits"]["properties"]) == {"memory_max", "cpu_quota", "tasks_max"}
    assert defs["Limits"]["additionalProperties"] is False
    assert set(defs["Observability"]["properties"]) == {
        "prometheus",
        "alertmanager",
        "node_exporter",
        "redis_exporter",
        "gpu_exporter",
        "grafana",
        "loki",
        "alloy",
    }
    for model in ("LlamaCppProvider", "LlamaCppPythonProvider", "OllamaProvider", "VllmProvider"):
        limits = defs[model]["properties"]["limits"]
        assert limits == {"$ref": "#/$defs/Limits", "default": NO_LIMITS}, model
