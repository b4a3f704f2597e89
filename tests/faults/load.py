#!/usr/bin/env python3
"""Steady load on the gateway, for the fault tests (standard library only; runs on the test host).

Sends chat completions to one model from N workers (1 = sequential) until the duration is over
and prints one JSON summary: total, ok, failed, statuses, the first errors, and the times of the
first and last failure relative to the start. The fault tests start it in the background, break
something, and read the summary.

  load.py --model smollm2 [--url http://127.0.0.1:4000] [--workers 4] [--seconds 30]
          [--key K] [--out F] [--use-cache]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter


def one_request(url: str, model: str, key: str, n: int, use_cache: bool) -> tuple[int, str]:
    payload = {
        "model": model,
        "messages": [{"role": "user", "content": f"Load request {n}: say ok."}],
        "max_tokens": 4,
        "temperature": 0,
    }
    if not use_cache:  # the response cache must not answer for a dead engine
        payload["cache"] = {"no-cache": True}
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(  # noqa: S310 - http(s) only, checked in main()
        f"{url}/v1/chat/completions", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310
            data = json.loads(resp.read())
            if not data.get("choices"):
                return resp.status, "no choices"
            return resp.status, ""
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")[:300]
    except (OSError, ValueError) as err:
        return 0, repr(err)[:300]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:4000")
    ap.add_argument("--model", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--key", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--use-cache", action="store_true", help="let the gateway's response cache take part")
    args = ap.parse_args()
    if not args.url.startswith(("http://", "https://")):
        ap.error("--url must be http:// or https://")

    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    fail_times: list[float] = []
    counter = iter(range(10**9))
    t0 = time.monotonic()
    deadline = t0 + args.seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                n = next(counter)
            status, err = one_request(args.url, args.model, args.key, n, args.use_cache)
            with lock:
                statuses[status] += 1
                if status != 200 or err:
                    fail_times.append(round(time.monotonic() - t0, 2))
                    if len(errors) < 5:
                        errors.append(f"{status}: {err}")

    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(statuses.values())
    summary = {
        "model": args.model,
        "workers": args.workers,
        "seconds": round(time.monotonic() - t0, 1),
        "total": total,
        "ok": total - len(fail_times),
        "failed": len(fail_times),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "first_errors": errors,
        "failure_window_s": [fail_times[0], fail_times[-1]] if fail_times else None,
    }
    text = json.dumps(summary)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
