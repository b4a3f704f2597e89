"""GC candidate for `tests/perf/run.sh --candidate` (via PYTHONPATH): the threshold of
sitecustomize-threshold.py plus gc.freeze() once uvicorn has started (imports moved out of GC)."""

import gc
import sys
import threading
import time

gc.set_threshold(20000, 20, 20)


def _patch() -> None:
    while "uvicorn.server" not in sys.modules:
        time.sleep(0.01)
    time.sleep(0.2)
    srv = sys.modules["uvicorn.server"].Server
    orig = srv.startup

    async def startup(self, sockets=None):
        r = await orig(self, sockets=sockets)
        gc.collect()
        gc.freeze()
        sys.stderr.write(f"AIB: gc frozen {gc.get_freeze_count()}\n")
        return r

    srv.startup = startup


threading.Thread(target=_patch, daemon=True).start()
