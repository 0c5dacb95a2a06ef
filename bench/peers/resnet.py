"""Peer for bench/resnet.ts: whole-network ResNet steps in PyTorch CPU (oneDNN convolutions).

Request: {"op": "forward" | "train" | "step-sgd" | "step-lars", "net": "resnet20" | "resnet50", "batch": n, "reps": k}
  forward    eval mode under torch.no_grad(): logits of a [n, 3, 32, 32] batch
  train      training mode: forward, F.cross_entropy, backward, then zero_grad(set_to_none)
  step-sgd   a whole training step: train, with torch.optim.SGD's step before zero_grad
  step-lars  the same with the study's per-tensor LARS loop (lars_loops.lars_study_step)
Answer:  {"seconds": median seconds of one run over k timed runs after warming up (serve.py)}
The nets are the PyTorch definitions the parity fixtures of @largebatch/nn use
(packages/nn/test/fixtures/make_fixtures.py: torchvision's resnet50; He et al.'s ResNet-20
with 1x1 projection shortcuts), 10 classes, default initialisation.
argv[1]: the thread count (torch.set_num_threads), matched to ours.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "nn", "test", "fixtures"))
from make_fixtures import reference_model  # noqa: E402
from lars_loops import lars_study_step  # noqa: E402
from serve import median_seconds, serve  # noqa: E402

torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
cache = {}
# As bench/resnet.ts's optimizers: small rates, so that hundreds of steps on one batch stay finite.
SGD = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}
LARS = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-3, "trust_coefficient": 0.1}


def runner(req):
    key = (req["op"], req["net"], req["batch"])
    if key not in cache:
        net = cache.setdefault(req["net"], reference_model(req["net"], 10))
        x = torch.randn(req["batch"], 3, 32, 32)
        y = torch.randint(0, 10, (req["batch"],))

        def forward():
            net.eval()
            with torch.no_grad():
                net(x)

        def train(step=lambda: None):
            net.train()
            F.cross_entropy(net(x), y).backward()
            with torch.no_grad():
                step()
            net.zero_grad(set_to_none=True)

        params = list(net.parameters())
        sgd = torch.optim.SGD(params, **SGD)
        lars_state = {}
        cache[key] = {
            "forward": forward,
            "train": train,
            "step-sgd": lambda: train(sgd.step),
            "step-lars": lambda: train(lambda: lars_study_step(params, lars_state, **LARS)),
        }[req["op"]]
    return cache[key]


serve(lambda req: {"seconds": median_seconds(runner(req), req["reps"], no_grad=False)})
