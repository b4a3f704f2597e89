"""testinfra tests of this scenario: the shared host helpers (tests/hostlib) go on sys.path."""

import sys
from pathlib import Path

_HOSTLIB = Path(__file__).resolve().parents[3] / "tests" / "hostlib"
if str(_HOSTLIB) not in sys.path:
    sys.path.insert(0, str(_HOSTLIB))
