"""Peer for bench/tensor-ops.ts: PyTorch CPU answering one JSON request per line.

Request: {"op": "add"|"mul"|"exp"|"sum"|"matmul", "n": size, "reps": k}, or
         {"op": "cross_entropy"|"cross_entropy_backward", "rows": r, "classes": c, "reps": k}
Answer:  {"seconds": median seconds of one run over k timed runs after warming up (serve.py)}
argv[1]: the thread count (torch.set_num_threads), matched to ours.
"""
import sys

import torch
from serve import median_seconds, serve

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


def cross_entropy(rows, classes, backward):
    """F.cross_entropy with label smoothing 0.1, reduction 'none'; with backward, sum().backward()."""
    logits = (torch.randn(rows, classes) * 3).requires_grad_(backward)
    labels = torch.tensor([(i * 7919) % classes for i in range(rows)])

    def run():
        losses = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.1, reduction="none")
        if backward:
            losses.sum().backward()
            logits.grad = None

    return run


def measure(req):
    if req["op"].startswith("cross_entropy"):
        fn = cross_entropy(req["rows"], req["classes"], req["op"] == "cross_entropy_backward")
        return median_seconds(fn, req["reps"], no_grad=False)
    a, b = inputs(req["op"], req["n"])
    fn = OPS[req["op"]]
    return median_seconds(lambda: fn(a, b), req["reps"])


serve(lambda req: {"seconds": measure(req)})
