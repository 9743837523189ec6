"""Steps 3 and 4 — loss and optimizer, then the training loop.

Run `python train.py --help` for the options. Writes metrics.json, a checkpoint and the
exported model (step 5, export.py) into --out.
"""

import argparse
import json
import os
import random
import resource
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from data import DEFAULT_DATA, make_loaders
from export import export_model
from model import Net


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train mnist_cnn with PyTorch.")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
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
    parser.add_argument("--seed", type=int, default=42)
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
    return torch.device(name)


def batch_metrics(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """Sums over the batch of each metric in the spec (divided by the count later)."""
    sums: dict[str, float] = {}
    sums["accuracy"] = (outputs.argmax(dim=1) == targets).sum().item()
    return sums


def run_epoch(
    model: nn.Module,
    loader: torch.utils.data.DataLoader,
    criterion: nn.Module,
    device: torch.device,
    optimizer: torch.optim.Optimizer | None = None,
    max_steps: int | None = None,
) -> dict[str, float]:
    """One pass over `loader`: trains when an optimizer is given, else evaluates."""
    training = optimizer is not None
    model.train(training)
    totals: dict[str, float] = {"loss": 0.0}
    count = 0
    with torch.set_grad_enabled(training):
        for step, (inputs, targets) in enumerate(loader):
            if max_steps is not None and step >= max_steps:
                break
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            totals["loss"] += loss.item() * len(inputs)
            for name, value in batch_metrics(outputs.detach(), targets).items():
                totals[name] = totals.get(name, 0.0) + value
            count += len(inputs)
    return {name: value / max(count, 1) for name, value in totals.items()}


def save_checkpoint(path: Path, **state: object) -> None:
    """Write atomically: a crash mid-write never leaves a broken checkpoint."""
    partial = path.with_suffix(".tmp")
    torch.save(state, partial)
    os.replace(partial, path)


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    seed_everything(args.seed)
    device = pick_device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Step 1: data.
    train_loader, val_loader = make_loaders(args.data, args.batch_size, args.seed)

    # Step 2: model.
    model = Net().to(device)

    # Step 3: loss and optimizer.
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(
        model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0
    )

    # Step 4: the training loop.
    history = []
    best, waited = None, 0
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        record = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"]}
        record.update(
            run_epoch(model, train_loader, criterion, device, optimizer, args.max_steps)
        )
        if val_loader is not None:
            val = run_epoch(
                model, val_loader, criterion, device, max_steps=args.max_steps
            )
            record.update({f"val_{name}": value for name, value in val.items()})
        history.append(record)
        print(
            " - ".join(
                f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                for k, v in record.items()
            )
        )
        save_checkpoint(
            out / "checkpoint.pt",
            epoch=epoch,
            model=model.state_dict(),
            optimizer=optimizer.state_dict(),
        )
        current = record["val_loss"]
        if best is None or current < best - 0.0:
            best, waited = current, 0
        else:
            waited += 1
            if waited >= 2:
                print(f"early stopping: no improvement in val_loss for {waited} epochs")
                break
    wall_time = time.perf_counter() - start

    # Step 5: save and deploy.
    example = next(iter(train_loader))[0][:1].to(device)
    exports = export_model(model, example, out)

    metrics = {
        "framework": "pytorch",
        "epochs": history,
        "final": history[-1] if history else {},
        "wall_time_s": wall_time,
        "peak_memory_mb": peak_memory_mb(device),
        "device": str(device),
        "exports": exports,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


if __name__ == "__main__":
    main()
