"""Peer for bench/gpu: ResNet-50 training steps and optimizer steps in PyTorch on the GPU
(cuDNN convolutions, torch.backends.cudnn.benchmark on), each timed call followed by
torch.cuda.synchronize(), and each request that runs steps ends with
torch.cuda.empty_cache() (see bench/gpu/device.ts); or on the CPU for the runner's --smoke
mode, which exercises the pipeline without a GPU.

argv[1]: the CPU thread count (torch.set_num_threads); argv[2]: the device, 'cuda' or 'cpu'.
Requests, one JSON object per line (see bench/lib/peer.ts):
  {"op": "info"} -> {"torch", "cuda", "cudnn", "available", "device"}: the versions, and
      whether torch.cuda.is_available() (device: the GPU's name)
  {"op": "inputs", "batch": n, "size": s} -> {"peakBytes": null} or {"outOfMemory": why}: replaces the batch
      with n random [3, s, s] images and labels (the first call also builds the network)
  {"op": "release"} -> {}: drops the batch and returns cached device memory
  {"op": "shapes"} -> {"shapes": [...]}: ResNet-50's parameter shapes in parameters() order
  {"op": "warmup", "case": c, "steps": k} -> {"peakBytes": b (null on the CPU)} or
      {"outOfMemory": why}: k untimed calls; b = torch.cuda.max_memory_allocated() over them
  {"op": "time", "case": c, "reps": k} -> {"seconds": median of k timed calls after one untimed}
Cases: "train-sgd", "train-lars-study" (a whole training step on the batch: forward,
F.cross_entropy, backward, torch.optim.SGD's step or the study's per-tensor LARS loop,
zero_grad(set_to_none=True)); "optim-sgd", "optim-sgd-foreach", "optim-lars-paper",
"optim-lars-study" (one optimizer step over ResNet-50's parameters with random gradients,
as bench/peers/optim.py).
"""
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from lars_loops import lars_paper_step, lars_study_step  # noqa: E402
from serve import serve  # noqa: E402

torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
DEVICE = torch.device(sys.argv[2])
ON_GPU = DEVICE.type == "cuda"
# cuDNN times its algorithms for each new shape and keeps the fastest: the warm-up steps pay for it.
torch.backends.cudnn.benchmark = True

# As bench/gpu/resnet-steps.ts (bench/resnet.ts): small rates, so that hundreds of steps on one batch stay finite.
TRAIN_SGD = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}
TRAIN_LARS = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-3, "trust_coefficient": 0.1}
# As bench/gpu/optim-steps.ts (bench/optim.ts).
OPTIM_SGD = {"lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}
OPTIM_LARS = TRAIN_LARS

state = {}  # built on first use: the network and its optimizers, the batch, the optimizer-bench parameters


def sync():
    if ON_GPU:
        torch.cuda.synchronize()


def network():
    if "net" not in state:
        net = torchvision.models.resnet50(num_classes=10).to(DEVICE)
        params = list(net.parameters())
        sgd = torch.optim.SGD(params, **TRAIN_SGD)  # PyTorch's default implementation for the device
        lars_buffers = {}
        state["net"] = net
        state["train-sgd"] = sgd.step
        state["train-lars-study"] = lambda: lars_study_step(params, lars_buffers, **TRAIN_LARS)
    return state["net"]


def train_step(step):
    net = network()
    x, y = state["batch"]
    net.train()
    F.cross_entropy(net(x), y).backward()
    with torch.no_grad():
        step()
    net.zero_grad(set_to_none=True)


def optim_params():
    if "optim-params" not in state:
        params = [p.detach().to(DEVICE).requires_grad_() for p in torchvision.models.resnet50(num_classes=10).parameters()]
        for p in params:
            p.grad = 0.01 * torch.randn_like(p)
        buffers = {"optim-lars-paper": {}, "optim-lars-study": {}}
        state["optim-params"] = params
        state["optim-sgd"] = torch.optim.SGD(params, foreach=False, **OPTIM_SGD).step
        state["optim-sgd-foreach"] = torch.optim.SGD(params, foreach=True, **OPTIM_SGD).step
        state["optim-lars-paper"] = lambda: lars_paper_step(params, buffers["optim-lars-paper"], **OPTIM_LARS)
        state["optim-lars-study"] = lambda: lars_study_step(params, buffers["optim-lars-study"], **OPTIM_LARS)
    return state["optim-params"]


def case(name):
    if name.startswith("train-"):
        network()
        return lambda: train_step(state[name])
    optim_params()
    step = state[name]

    def optim_step():
        with torch.no_grad():
            step()

    return optim_step


def out_of_memory(exc):
    """A failed allocation: torch.cuda.OutOfMemoryError, or the CPU allocator's error."""
    return isinstance(exc, RuntimeError) and ("out of memory" in str(exc) or "can't allocate memory" in str(exc))


def recover():
    """Drops what a failed step left (its gradients) and returns cached device memory."""
    if "net" in state:
        state["net"].zero_grad(set_to_none=True)
    empty_cache()


def release():
    state.pop("batch", None)
    recover()


def fits(fn):
    """fn()'s answer, or {"outOfMemory": the first line of the error} after recover()."""
    try:
        return fn()
    except RuntimeError as exc:
        if not out_of_memory(exc):
            raise
        why = str(exc).splitlines()[0]
    # Outside the except block, so that the traceback's frames (and their tensors) are gone.
    recover()
    return {"outOfMemory": why}


def inputs(batch, size):
    release()
    network()
    x = torch.randn(batch, 3, size, size, device=DEVICE)
    state["batch"] = (x, torch.randint(0, 10, (batch,), device=DEVICE))
    return {"peakBytes": None}  # it fits; peaks are measured over the warm-up steps


def empty_cache():
    """Ends a turn: what the caching allocator keeps goes back to the GPU, for our side's turn
    (bench/gpu/device.ts does the same for ours)."""
    if ON_GPU:
        torch.cuda.empty_cache()


def warmup(fn, steps):
    sync()
    if ON_GPU:
        torch.cuda.reset_peak_memory_stats()
    for _ in range(steps):
        fn()
    sync()
    peak = torch.cuda.max_memory_allocated() if ON_GPU else None
    empty_cache()
    return {"peakBytes": peak}


def median_seconds(fn, reps):
    fn()
    sync()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
    empty_cache()
    return statistics.median(samples)


def answer(req):
    op = req["op"]
    if op == "info":
        available = torch.cuda.is_available()
        return {
            "torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
            "available": available, "device": torch.cuda.get_device_name(0) if available else None,
        }
    if op == "inputs":
        return fits(lambda: inputs(req["batch"], req["size"]))
    if op == "release":
        release()
        return {}
    if op == "shapes":
        return {"shapes": [list(p.shape) for p in optim_params()]}
    if op == "warmup":
        return fits(lambda: warmup(case(req["case"]), req["steps"]))
    if op == "time":
        return {"seconds": median_seconds(case(req["case"]), req["reps"])}
    raise ValueError(f"unknown op {op!r}")


serve(answer)
