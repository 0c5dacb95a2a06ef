"""Peer for bench/optim.ts: PyTorch CPU optimizer steps over ResNet-50's parameters.

Requests, one JSON object per line:
  {"op": "shapes"}  -> {"shapes": [[...], ...]}: the 161 parameter shapes of
                       torchvision.models.resnet50(num_classes=10), in parameters() order
  {"op": "sgd", "foreach": bool, "reps": k}  torch.optim.SGD(momentum 0.9, weight decay 5e-4)
  {"op": "lars-paper", "reps": k}  a per-tensor loop of LARS Algorithm 1 in the form of
                       timm's Lars (float32 norms, ratio 1 when a norm is 0, torch momentum)
  {"op": "lars-study", "reps": k}  the study's per-tensor SGD_with_lars_ver2 step, as its code
                       ran (re-enacted as in packages/optim/fixtures/optim_parity.py)
Answer: {"seconds": median seconds of one step over k timed steps after warming up (serve.py)}.
argv[1]: the thread count (torch.set_num_threads), matched to ours.
Parameters and gradients are created once (seeded); every optimizer steps the same tensors.
"""
import sys

import torch
import torchvision
from lars_loops import lars_paper_step, lars_study_step
from serve import median_seconds, serve

torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)

MODEL = torchvision.models.resnet50(num_classes=10)
PARAMS = list(MODEL.parameters())
for p in PARAMS:
    p.grad = 0.01 * torch.randn_like(p)

SGD = {"lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}
LARS = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-3, "trust_coefficient": 0.1}


STEPPERS = {}


def stepper(req):
    key = (req["op"], req.get("foreach"))
    if key not in STEPPERS:
        if req["op"] == "sgd":
            STEPPERS[key] = torch.optim.SGD(PARAMS, foreach=req["foreach"], **SGD).step
        else:
            state = {}
            step = lars_paper_step if req["op"] == "lars-paper" else lars_study_step
            STEPPERS[key] = lambda: step(PARAMS, state, **LARS)
    return STEPPERS[key]


def answer(req):
    if req["op"] == "shapes":
        return {"shapes": [list(p.shape) for p in PARAMS]}
    return {"seconds": median_seconds(stepper(req), req["reps"])}


serve(answer)
