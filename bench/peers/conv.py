"""Peer for bench/conv.ts: PyTorch CPU (oneDNN convolutions) answering one JSON request per line.

Request: {"op": op, "shape": {...}, "reps": k} with op one of
  conv_forward, conv_backward_data, conv_backward_weight  shape {n, c, h, w, k, r, stride, pad}
  bn_forward, bn_backward                                 shape {n, c, h, w} (training mode)
  maxpool_forward, maxpool_backward                       shape {n, c, h, w} (3x3, stride 2, pad 1)
Answer:  {"seconds": median seconds of one run over k timed runs after warming up (serve.py)}
The backward passes call ATen's backward ops directly (convolution_backward with an output
mask, native_batch_norm_backward, max_pool2d_with_indices_backward), as the autograd engine
does, so each times the one kernel. argv[1]: the thread count (torch.set_num_threads).
"""
import json
import sys

import torch
import torch.nn.functional as F
from serve import median_seconds, serve

torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
cache = {}


def conv_fn(op, s):
    x = torch.randn(s["n"], s["c"], s["h"], s["w"])
    w = torch.randn(s["k"], s["c"], s["r"], s["r"])
    stride, pad = [s["stride"]] * 2, [s["pad"]] * 2
    y = F.conv2d(x, w, stride=stride, padding=pad)
    g = torch.randn_like(y)
    if op == "conv_forward":
        return lambda: F.conv2d(x, w, stride=stride, padding=pad)
    mask = [True, False, False] if op == "conv_backward_data" else [False, True, False]
    return lambda: torch.ops.aten.convolution_backward(g, x, w, None, stride, pad, [1, 1], False, [0, 0], 1, mask)


def bn_fn(op, s):
    x = torch.randn(s["n"], s["c"], s["h"], s["w"])
    w, b = torch.randn(s["c"]), torch.randn(s["c"])
    rm, rv = torch.zeros(s["c"]), torch.ones(s["c"])
    if op == "bn_forward":
        return lambda: F.batch_norm(x, rm, rv, w, b, training=True)
    _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5)
    g = torch.randn_like(x)
    return lambda: torch.ops.aten.native_batch_norm_backward(g, x, w, rm, rv, save_mean, save_invstd, True, 1e-5,
                                                             [True, True, True])


def maxpool_fn(op, s):
    x = torch.randn(s["n"], s["c"], s["h"], s["w"])
    if op == "maxpool_forward":
        return lambda: F.max_pool2d(x, 3, stride=2, padding=1)
    y, idx = F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    g = torch.randn_like(y)
    return lambda: torch.ops.aten.max_pool2d_with_indices_backward(g, x, [3, 3], [2, 2], [1, 1], [1, 1], False, idx)


def function(req):
    key = json.dumps([req["op"], req["shape"]], sort_keys=True)
    if key not in cache:
        cache.clear()
        op = req["op"]
        make = conv_fn if op.startswith("conv") else bn_fn if op.startswith("bn") else maxpool_fn
        cache[key] = make(op, req["shape"])
    return cache[key]


serve(lambda req: {"seconds": median_seconds(function(req), req["reps"])})
