"""The peer side of bench/lib/peer.ts, shared by every peer script: answer one JSON request
per stdin line with one JSON line, and time a function as the median of k runs after
warming up as our side does (bench/lib/harness.ts: WARM_UP_S).
"""
import contextlib
import json
import statistics
import sys
import time

import torch


# Untimed calls for at least this long (at least one) before the timed ones, as our side does.
WARM_UP_S = 0.01


def median_seconds(fn, reps, no_grad=True):
    """Median seconds of one call of fn over `reps` timed calls, after warming up."""
    with torch.no_grad() if no_grad else contextlib.nullcontext():
        w0 = time.perf_counter()
        fn()
        while time.perf_counter() - w0 < WARM_UP_S:
            fn()
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def serve(answer):
    """Calls answer(request) for each request line; an exception is reported, not fatal."""
    for line in sys.stdin:
        try:
            print(json.dumps(answer(json.loads(line))), flush=True)
        except Exception as exc:  # report to the harness instead of dying silently
            print(json.dumps({"error": repr(exc)}), flush=True)
