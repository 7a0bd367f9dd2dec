#!/usr/bin/env python3
"""PyTorch training-step throughput, the reference column of benchmarks/src/training.ts.

The same workloads as the TypeScript side, with identical architectures (LeNet-300-100, Conv-4,
ResNet-20 with option-A shortcuts and batch norm), loss (mean softmax cross-entropy), optimizer
(SGD, lr 0.01, momentum 0.9) and batch. One step: forward in training mode, loss, backward,
update. For each workload and each thread count: warm-up steps, then steps until the time budget
is spent (at least one); the best thread count is reported.

Usage: python3 train_step.py '{"workloads": [{"id": "resnet20-b128", "model": "resnet20",
        "batch": 128, "inputShape": [32, 32, 3], "classes": 10}], "threads": [1, 2],
        "seconds": 10, "warmup": 3, "seed": 1}'
Set OMP_WAIT_POLICY=passive in the environment (training.ts does). JSON goes to stdout,
progress to stderr. Exit status 2 when torch cannot be imported.
"""
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:  # the caller checks first; this is the fallback
    print(json.dumps({"error": f"torch not importable: {error}"}))
    sys.exit(2)


# ---- models (inputs NCHW; shapes given channels last, as on the tfjs side) ---------------------

def lenet300(shape, classes):
    n = 1
    for d in shape:
        n *= d
    return nn.Sequential(nn.Flatten(), nn.Linear(n, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(),
                         nn.Linear(100, classes))


def conv4(shape, classes):
    h, w, c = shape
    conv = lambda cin, cout: [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
    return nn.Sequential(*conv(c, 64), *conv(64, 64), nn.MaxPool2d(2), *conv(64, 128), *conv(128, 128),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear((h // 4) * (w // 4) * 128, 256), nn.ReLU(),
                         nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, classes))


class ShortcutA(nn.Module):
    """Option A: identity subsampled by the stride, new channels zero-padded half before, half after."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride, self.before, self.after = stride, (cout - cin) // 2, cout - cin - (cout - cin) // 2

    def forward(self, x):
        return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.before, self.after))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = ShortcutA(cin, cout, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, shape, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(shape[2], 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for s, cout in enumerate([16, 32, 64]):
            for b in range(3):
                blocks.append(BasicBlock(cin, cout, 2 if s > 0 and b == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


MODELS = {"lenet300": lenet300, "conv4": conv4, "resnet20": ResNet20}


# ---- timing ------------------------------------------------------------------------------------

def run(workload, threads, seconds, warmup, seed):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    shape, batch, classes = workload["inputShape"], workload["batch"], workload.get("classes", 10)
    model = MODELS[workload["model"]](shape, classes)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, shape[-1], *shape[:-1]) if len(shape) == 3 else torch.randn(batch, *shape)
    y = torch.randint(0, classes, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)  # mean softmax cross-entropy (= against one-hot labels)
        loss.backward()
        opt.step()
        return loss.item()

    t0 = time.perf_counter()
    for _ in range(max(1, warmup)):
        first_loss = step()
    warmup_ms = (time.perf_counter() - t0) * 1000 / max(1, warmup)
    times, start = [], time.perf_counter()
    while not times or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        last_loss = step()
        times.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    return {
        "threads": threads,
        "imagesPerSec": len(times) * batch / elapsed,
        "steps": len(times),
        "seconds": elapsed,
        "bestStepMs": min(times) * 1000,
        "medianStepMs": statistics.median(times) * 1000,
        "warmupSteps": max(1, warmup),
        "warmupMs": warmup_ms,
        "loss": {"first": first_loss, "last": last_loss},
        "params": sum(p.numel() for p in model.parameters()),
    }


def main():
    spec = json.loads(sys.argv[1])
    results = []
    for w in spec["workloads"]:
        runs = []
        for threads in spec.get("threads", [1, 2]):
            print(f"  torch {w['id']} threads {threads}", file=sys.stderr, flush=True)
            runs.append(run(w, threads, spec.get("seconds", 10), spec.get("warmup", 3), spec.get("seed", 1)))
        best = max(runs, key=lambda r: r["imagesPerSec"])
        results.append({"id": w["id"], "model": w["model"], "batch": w["batch"], "params": best["params"],
                        "best": best, "runs": runs})
    print(json.dumps({
        "torch": torch.__version__,
        "defaultThreads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "results": results,
    }))


if __name__ == "__main__":
    main()
