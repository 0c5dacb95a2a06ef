"""Peer for bench/data-cifar/loader-throughput.ts: torchvision's CIFAR10 dataset and train
transforms through torch's DataLoader (num_workers=0), one JSON request per line.

Requests:
  {"op": "prepare", "bin": DIR, "root": DIR}
      Writes a copy of DIR/cifar-10-batches-bin (the official binary files, written by
      writeCifarFiles) in the python pickle layout that torchvision reads:
      ROOT/cifar-10-batches-py/data_batch_1..5, test_batch, batches.meta. Answers the MD5s.
  {"op": "epoch", "root": DIR, "images": N, "batchSize": B, "seed": S}
      Times the first N images (whole batches) of a shuffled epoch of
      RandomCrop(32, padding=4) + RandomHorizontalFlip + ToTensor + Normalize(study figures).
      Answers {"seconds": ..., "images": ...}.
argv[1]: the thread count (torch.set_num_threads).
"""
import hashlib
import json
import os
import pickle
import sys
import time

import numpy as np
import torch
import torchvision
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import CIFAR10

torch.set_num_threads(int(sys.argv[1]))

TRAIN = [f"data_batch_{k}" for k in range(1, 6)]
TEST = ["test_batch"]
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2023, 0.1994, 0.2010)
md5s = {}


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def prepare(req):
    src = os.path.join(req["bin"], "cifar-10-batches-bin")
    dst = os.path.join(req["root"], "cifar-10-batches-py")
    os.makedirs(dst, exist_ok=True)
    for name in TRAIN + TEST:
        records = np.fromfile(os.path.join(src, f"{name}.bin"), dtype=np.uint8).reshape(-1, 3073)
        entry = {"batch_label": name, "labels": records[:, 0].tolist(), "data": np.ascontiguousarray(records[:, 1:]),
                 "filenames": [f"{name}_{i}.png" for i in range(len(records))]}
        with open(os.path.join(dst, name), "wb") as f:
            pickle.dump(entry, f)
    with open(os.path.join(src, "batches.meta.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    with open(os.path.join(dst, "batches.meta"), "wb") as f:
        pickle.dump({"label_names": names, "num_cases_per_batch": 10000, "num_vis": 3072}, f)
    md5s.update({name: md5(os.path.join(dst, name)) for name in TRAIN + TEST + ["batches.meta"]})
    return {"md5": md5s, "torchvision": torchvision.__version__}


def local_cifar10():
    # torchvision checks each file against the official MD5s; these are the copy's own.
    return type("LocalCIFAR10", (CIFAR10,), {
        "train_list": [[n, md5s[n]] for n in TRAIN],
        "test_list": [[n, md5s[n]] for n in TEST],
        "meta": {"filename": "batches.meta", "key": "label_names", "md5": md5s["batches.meta"]},
    })


def epoch(req):
    transform = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    dataset = local_cifar10()(req["root"], train=True, transform=transform, download=False)
    generator = torch.Generator()
    generator.manual_seed(req["seed"])
    loader = DataLoader(dataset, batch_size=req["batchSize"], shuffle=True, num_workers=0, generator=generator)
    seen = 0
    start = time.perf_counter()
    for images, labels in loader:
        seen += images.shape[0]
        if seen >= req["images"]:
            break
    return {"seconds": time.perf_counter() - start, "images": seen}


OPS = {"prepare": prepare, "epoch": epoch}
for line in sys.stdin:
    req = json.loads(line)
    try:
        answer = OPS[req["op"]](req)
    except Exception as err:  # report to the harness instead of dying silently
        answer = {"error": repr(err)}
    print(json.dumps(answer), flush=True)
