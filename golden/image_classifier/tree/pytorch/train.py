"""Steps 3 and 4 — loss and optimizer, then the training loop.

Run `python train.py --help` for the options. Writes metrics.json, a checkpoint and the
exported model (step 5, export.py) into --out.
"""

import argparse
import itertools
import json
import os
import random
import resource
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from data import DEFAULT_DATA, make_loaders
from export import export_model
from model import ImageClassifier

# Mixed precision: autocast runs the forward pass in bfloat16 where that is safe; weights
# and optimizer stay float32. None turns it off (dlgen verify compares in float32).
AUTOCAST_DTYPE: torch.dtype | None = torch.bfloat16


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train image_classifier with PyTorch.")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="stop each epoch after this many batches",
    )
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--data", default=DEFAULT_DATA, help="data file or folder")
    parser.add_argument(
        "--out", default="runs", help="folder for metrics, checkpoints, exports"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="skip step 5 (quick runs and comparisons)",
    )
    parser.add_argument(
        "--log-every",
        type=int,
        default=None,
        help="print every N epochs (default: ~20 lines)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="DataLoader worker processes (0: batch in memory)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="autograd anomaly detection: a NaN in backward names the forward op (slow)",
    )
    return parser.parse_args(argv)


def seed_everything(seed: int) -> None:
    """Same seed, same run: Python, numpy and torch generators, deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and "LOCAL_RANK" in os.environ:  # torchrun: one GPU per process
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return torch.device(name)


def setup_distributed(device: torch.device) -> tuple[int, int]:
    """Step 4 on several processes: under `torchrun` (it sets WORLD_SIZE) join the process
    group — gloo on CPUs, NCCL on GPUs. Returns this process's rank and the process count.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) == 1:
        return 0, 1
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size()


def batch_metrics(
    outputs: torch.Tensor, targets: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Sums over the batch of each metric in the spec (divided by the count later)."""
    sums: dict[str, torch.Tensor] = {}
    sums["accuracy"] = (outputs.argmax(dim=1) == targets).sum()
    return sums


def build_loss() -> nn.Module:
    """Step 3: the loss."""
    return nn.CrossEntropyLoss()


def build_optimizer(
    model: nn.Module, foreach: bool | None = None
) -> torch.optim.Optimizer:
    """Step 3: the optimizer, with PyTorch's hyperparameters spelled out.

    `foreach` (multi-tensor kernels) pays off on GPUs; None lets PyTorch choose at every step.
    """
    return torch.optim.SGD(
        model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005, foreach=foreach
    )


def build_scheduler(
    optimizer: torch.optim.Optimizer,
) -> torch.optim.lr_scheduler.LRScheduler:
    """Step 3: the learning-rate schedule, stepped once per epoch."""
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)


def train_step(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    update: bool = True,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Step 4: forward and backward, and with `update` an optimizer step; returns the batch
    loss (detached) and the batch's metric sums."""
    model.zero_grad()  # the optimizer's gradients, without optimizer.zero_grad's profiler hook
    with torch.autocast(
        inputs.device.type, AUTOCAST_DTYPE, enabled=AUTOCAST_DTYPE is not None
    ):
        outputs = model(inputs)
        loss = criterion(outputs.float(), targets)
    loss.backward()
    if update:
        optimizer.step()
    return loss.detach(), batch_metrics(outputs.detach().float(), targets)


def run_epoch(
    model: nn.Module,
    batches: Iterable,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    steps: int | None = None,
    done: int = 0,
) -> dict[str, float]:
    """Train on (with an optimizer) or evaluate `steps` batches; returns means per sample.
    `done` counts the batches trained before (they set the gradient-accumulation rhythm).

    Batch results stay tensors until the epoch ends: reading a number from a GPU tensor waits
    for the GPU, so it is done once per epoch, not once per step.
    """
    training = optimizer is not None
    if model.training != training:
        model.train(training)
    results: list[tuple[int, torch.Tensor, dict[str, torch.Tensor]]] = []
    for index, (inputs, targets) in enumerate(itertools.islice(batches, steps), done):
        if optimizer is not None:
            loss, sums = train_step(model, inputs, targets, criterion, optimizer)
        else:
            with torch.no_grad():
                outputs = model(inputs)
                loss, sums = criterion(outputs, targets), batch_metrics(
                    outputs, targets
                )
        results.append((inputs.shape[0], loss, sums))
    count, totals = 0, {"loss": 0.0}
    for size, loss, sums in results:
        count += size
        totals["loss"] += float(loss) * size
        for name, value in sums.items():
            totals[name] = totals.get(name, 0.0) + float(value)
    if (
        training and dist.is_initialized()
    ):  # each rank trained on its share: add them up
        device = next(model.parameters()).device
        summed = torch.tensor(
            [count, *totals.values()], dtype=torch.float64, device=device
        )
        dist.all_reduce(summed)
        summed = summed.cpu()
        count, totals = int(summed[0]), dict(
            zip(totals, summed[1:].tolist(), strict=True)
        )
    return {name: value / max(count, 1) for name, value in totals.items()}


def save_checkpoint(path: Path, **state: object) -> None:
    """Write atomically: a crash mid-write never leaves a broken checkpoint."""
    partial = path.with_suffix(".tmp")
    torch.save(state, partial)
    os.replace(partial, path)


def process_peak_mb() -> float:
    """Peak resident memory of this process: VmHWM on Linux (ru_maxrss can carry over the
    peak of the process that started this one), ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return process_peak_mb()


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.debug:
        # Record each forward op's stack trace; raise where backward makes a NaN or inf.
        torch.autograd.set_detect_anomaly(True)
    seed_everything(args.seed)
    device = pick_device(args.device)
    rank, world = setup_distributed(device)
    chief = rank == 0  # the one process that prints and writes files
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    first_epoch = 0

    # Step 1: data.
    train_loader, steps_per_epoch, val_loader = make_loaders(
        args.data,
        args.batch_size,
        args.seed,
        args.epochs,
        args.max_steps,
        device,
        args.workers,
        first_epoch,
        rank,
        world,
    )

    # Step 2: model.
    model = ImageClassifier().to(device)

    # Step 3: loss and optimizer.
    criterion = build_loss()
    optimizer = build_optimizer(model, foreach=device.type == "cuda")
    scheduler = build_scheduler(optimizer)

    # Step 4: the training loop.
    history: list[dict] = []
    # Under torchrun, DDP averages the gradients of all processes in backward().
    trained = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    trained = torch.compile(
        trained
    )  # compiled on the first batch: the first epoch is slower
    log_every = args.log_every or max(1, args.epochs // 20)
    start = time.perf_counter()
    batches = iter(train_loader)
    for epoch in range(first_epoch + 1, args.epochs + 1):
        record = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"]}
        done = (epoch - 1) * steps_per_epoch
        record.update(
            run_epoch(trained, batches, criterion, optimizer, steps_per_epoch, done)
        )
        if val_loader is not None:
            val = run_epoch(model, val_loader, criterion, steps=args.max_steps)
            record.update({f"val_{name}": value for name, value in val.items()})
        scheduler.step()
        history.append(record)
        if chief and (
            record["epoch"] % log_every == 0 or record["epoch"] in (1, args.epochs)
        ):
            print(
                " - ".join(
                    f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                    for k, v in record.items()
                )
            )
    wall_time = time.perf_counter() - start
    if world > 1:
        dist.destroy_process_group()

    # Step 5: save and deploy (one process writes).
    example = next(iter(train_loader))[0][:2]
    exports = export_model(model, example, out) if chief and not args.no_export else {}

    metrics = {
        "framework": "pytorch",
        "epochs": history,
        "final": history[-1] if history else {},
        "wall_time_s": wall_time,
        "peak_memory_mb": peak_memory_mb(device),
        "device": str(device),
        "exports": exports,
        "processes": world,
    }
    if chief:
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


if __name__ == "__main__":
    main()
