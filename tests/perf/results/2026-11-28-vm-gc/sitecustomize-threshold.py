"""GC candidate for `tests/perf/run.sh --candidate` (via PYTHONPATH): fewer young-gen collections."""

import gc

gc.set_threshold(20000, 20, 20)
