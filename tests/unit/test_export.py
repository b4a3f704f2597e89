"""schemas/registry.schema.json is the committed export of the current schemas."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.export import DEFAULT_PATH, json_schema


def test_committed_json_schema_is_current() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == json_schema(), "run: python -m schemas.export"


def test_json_schema_describes_every_section() -> None:
    schema = json.loads(json_schema())
    assert set(schema["properties"]) == {
        "aib_providers",
        "aib_model_files",
        "aib_model_mappings",
        "aib_gateway",
        "aib_redis",
        "aib_gpu",
    }
    assert schema["additionalProperties"] is False


def test_json_schema_keeps_the_patterns_for_editors() -> None:
    text = Path(DEFAULT_PATH).read_text(encoding="utf-8")
    assert '"pattern": "[0-9a-f]{64}"' in text
