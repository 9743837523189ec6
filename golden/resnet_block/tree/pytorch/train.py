"""Steps 3 to 5 with PyTorch: loss and optimizer, the training loop, saving the model."""

import argparse
import json
import time
from itertools import islice
from pathlib import Path

import torch
from torch import nn

from data import DEFAULT_DATA, make_loaders
from model import ResNetBlock


def train(
    model: nn.Module,
    loader: torch.utils.data.DataLoader,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
    args: argparse.Namespace,
) -> dict[str, float]:
    """One epoch (at most args.max_steps batches), a line every args.log_interval batches;
    returns the mean loss and accuracy per sample, and samples/s."""
    model.train()
    totals, count, start = {"loss": 0.0, "accuracy": 0.0}, 0, time.perf_counter()
    for step, (inputs, targets) in enumerate(islice(loader, args.max_steps), 1):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        totals["loss"] += loss.item() * len(inputs)
        totals["accuracy"] += (outputs.argmax(dim=1) == targets).sum().item()
        count += len(inputs)
        if step % args.log_interval == 0:
            print(f"  batch {step}/{len(loader)}: loss {totals['loss'] / count:.4f}")
    means = {name: total / count for name, total in totals.items()}
    return {**means, "samples_per_s": count / (time.perf_counter() - start)}


def evaluate(
    model: nn.Module,
    loader: torch.utils.data.DataLoader,
    criterion: nn.Module,
    device: torch.device,
    max_steps: int | None = None,
) -> dict[str, float]:
    """The mean loss and accuracy per sample over `loader`'s batches."""
    model.eval()
    totals, count = {"loss": 0.0, "accuracy": 0.0}, 0
    with torch.no_grad():
        for inputs, targets in islice(loader, max_steps):
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            totals["loss"] += loss.item() * len(inputs)
            totals["accuracy"] += (outputs.argmax(dim=1) == targets).sum().item()
            count += len(inputs)
    return {name: total / count for name, total in totals.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train resnet_block with PyTorch.")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, help="stop each epoch after N batches")
    parser.add_argument(
        "--log-interval", type=int, default=100, help="batches per line"
    )
    parser.add_argument(
        "--device", default="cuda" if torch.cuda.is_available() else "cpu"
    )
    parser.add_argument("--data", default=DEFAULT_DATA, help="unused: no data file")
    parser.add_argument("--out", default="runs", help="folder for metrics and model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Step 1: data.
    train_loader, val_loader = make_loaders(args.data, args.batch_size, args.seed)

    # Step 2: model.
    model = ResNetBlock().to(device)

    # Step 3: loss and optimizer.
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(
        model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=10, eta_min=0.0
    )  # stepped once per epoch

    # Step 4: the training loop.
    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        record = {"epoch": epoch}
        record.update(train(model, train_loader, criterion, optimizer, device, args))
        if val_loader is not None:
            val = evaluate(model, val_loader, criterion, device, args.max_steps)
            record.update({f"val_{name}": value for name, value in val.items()})
        record["learning_rate"] = scheduler.get_last_lr()[
            0
        ]  # this epoch's, as Keras logs it
        scheduler.step()
        history.append(record)
        print(", ".join(f"{name}: {value:.4g}" for name, value in record.items()))
    wall_time = time.perf_counter() - start

    # Step 5: save.
    torch.save(model.state_dict(), out / "model.pt")
    metrics = {
        "framework": "pytorch",
        "epochs": history,
        "wall_time_s": wall_time,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
