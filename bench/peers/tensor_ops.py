"""Peer for bench/tensor-ops.ts: PyTorch CPU answering one JSON request per line.

Request: {"op": "add"|"mul"|"exp"|"sum"|"matmul", "n": size, "reps": k}
Answer:  {"seconds": median seconds of one run over k timed runs after one warm-up}
argv[1]: the thread count (torch.set_num_threads), matched to ours.
"""
import json
import statistics
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
cache = {}


def inputs(op, n):
    key = (op, n)
    if key not in cache:
        cache.clear()
        if op == "matmul":
            cache[key] = (torch.randn(n, n), torch.randn(n, n))
        else:
            cache[key] = (torch.randn(n), torch.randn(n))
    return cache[key]


OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "exp": lambda a, b: torch.exp(a),
    "sum": lambda a, b: a.sum(),
    "matmul": lambda a, b: a @ b,
}


def measure(req):
    a, b = inputs(req["op"], req["n"])
    fn = OPS[req["op"]]
    with torch.no_grad():
        fn(a, b)
        samples = []
        for _ in range(req["reps"]):
            t0 = time.perf_counter()
            fn(a, b)
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


for line in sys.stdin:
    try:
        print(json.dumps({"seconds": measure(json.loads(line))}), flush=True)
    except Exception as exc:  # report to the harness instead of dying silently
        print(json.dumps({"error": repr(exc)}), flush=True)
