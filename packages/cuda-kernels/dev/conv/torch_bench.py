"""PyTorch's figures for dev/conv's shapes (shapes.h): forward, backward data, backward weight
at batch 128, float32, quickest process CPU ms of reps, as conv_bench.cc prints ours. argv: [net] [shape] [reps].
Threads from LARGEBATCH_NUM_THREADS (default 1)."""
import os
import re
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("LARGEBATCH_NUM_THREADS", "1")))
net, pick = (sys.argv[1:3] + ["", ""])[:2]
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rows = re.findall(r'\{"(\w+)", (\d+), (\d+), (\d+), (\d+), (\d+), (\d+), (\d+)\}',
                  open(os.path.join(os.path.dirname(__file__), "shapes.h")).read())


def best_ms(fn):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        t.append((time.process_time() - t0) * 1e3)
    return min(t)  # the quickest: contention only ever adds time


total = [0.0, 0.0, 0.0]
for name, *v in rows:
    c, h, k, r, stride, pad, count = map(int, v)
    label = f"{name} {c}->{k} {r}x{r}/{stride} @{h}"
    if net not in label or pick not in label:
        continue
    x, w = torch.randn(128, c, h, h), torch.randn(k, c, r, r)
    y = F.conv2d(x, w, stride=stride, padding=pad)
    g = torch.randn_like(y)
    gflop = 2 * 128 * k * c * r * r * y.shape[2] * y.shape[3] / 1e9

    def back(mask):
        return lambda: torch.ops.aten.convolution_backward(g, x, w, None, [stride] * 2, [pad] * 2, [1, 1], False,
                                                           [0, 0], 1, mask)

    t = [best_ms(lambda: F.conv2d(x, w, stride=stride, padding=pad)), best_ms(back([True, False, False])),
         best_ms(back([False, True, False]))]
    print(f"{label:34s}" + "".join(f"  {ms:7.2f} ms {gflop / ms * 1e3:5.0f} GF/s" for ms in t))
    total = [a + b * count for a, b in zip(total, t)]
print(f"weighted totals (ms): forward {total[0]:.1f}, backward data {total[1]:.1f}, "
      f"backward weight {total[2]:.1f}, all {sum(total):.1f}")
