"""Write the registry's JSON Schema for editors: `python -m schemas.export [path]`.

Point your editor's YAML language server at schemas/registry.schema.json for completion and
inline errors while editing group_vars (cross-reference rules are checked by the playbook).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .registry import Registry

DEFAULT_PATH = Path(__file__).with_name("registry.schema.json")


def json_schema() -> str:
    schema = Registry.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "AI Unified Backend provider registry (the aib_* variables of group_vars)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    path.write_text(json_schema(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
