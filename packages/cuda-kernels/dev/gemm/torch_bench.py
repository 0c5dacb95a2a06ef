"""PyTorch's float32 matmul at the shapes of gemm_bench.cc, for comparison in one session:
    /usr/bin/python3 torch_bench.py --threads N [--shape MxNxK ...] [--seconds S]
Debian's torch 1.13 sends torch.mm to the system BLAS (here OpenBLAS 0.3.21, pthreads),
which does not follow torch.set_num_threads, so the thread count is set in the
environment before torch loads. Prints best and median GFLOP/s over repeated runs."""
import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--shape", action="append")
parser.add_argument("--seconds", type=float, default=0.3)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402  (after the thread-count variables)

torch.set_num_threads(args.threads)
shapes = [tuple(int(x) for x in s.split("x")) for s in (args.shape or ["256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048"])]
for m, n, k in shapes:
    a, b = torch.rand(m, k) * 2 - 1, torch.rand(k, n) * 2 - 1
    c = torch.empty(m, n)
    torch.mm(a, b, out=c)
    times, spent = [], 0.0
    while spent < args.seconds or len(times) < 5:
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        times.append(time.perf_counter() - t0)
        spent += times[-1]
    times.sort()
    flops = 2.0 * m * n * k
    print(f"{f'{m}x{n}x{k}':22} {args.threads:3} {'torch':9} {flops / times[0] * 1e-9:9.1f} {flops / times[len(times) // 2] * 1e-9:9.1f}")
