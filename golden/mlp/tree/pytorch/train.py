"""Steps 3 to 5 with PyTorch: loss and optimizer, the training loop and the test evaluation, saving the model."""

import argparse
import json
import os
import pickle
import time
from itertools import islice
from pathlib import Path

import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from data import DEFAULT_DATA, make_loaders, make_test_loader
from model import SimpleModel

ACCUMULATE = 2  # one optimizer step every N batches, on their mean gradient


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
    optimizer.zero_grad()
    for step, (inputs, targets) in enumerate(islice(loader, args.max_steps), 1):
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        (loss / ACCUMULATE).backward()
        if step % ACCUMULATE == 0:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            optimizer.zero_grad()
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
    parser = argparse.ArgumentParser(description="Train mlp with PyTorch.")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-steps", type=int, help="stop each epoch after N batches")
    parser.add_argument(
        "--log-interval", type=int, default=100, help="batches per line"
    )
    parser.add_argument(
        "--device", default="cuda" if torch.cuda.is_available() else "cpu"
    )
    parser.add_argument("--data", default=DEFAULT_DATA, help="MNIST folder")
    parser.add_argument("--out", default="runs", help="folder for metrics and model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--resume", action="store_true", help="go on from --out/checkpoint.pt"
    )
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Step 1: data.
    train_loader, val_loader = make_loaders(args.data, args.batch_size, args.seed)
    test_loader = make_test_loader(args.data, args.batch_size)

    # Step 2: model.
    model = SimpleModel().to(device)

    # Step 3: loss and optimizer.
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    # Step 4: the training loop.
    history = []
    checkpoint = out / "checkpoint.pt"
    first_epoch = 1
    if args.resume and checkpoint.exists():
        try:  # a damaged file: empty, cut short, or not a checkpoint at all
            state = torch.load(checkpoint, weights_only=True)
        except (EOFError, RuntimeError, pickle.UnpicklingError) as error:
            why = type(error).__name__
            raise SystemExit(
                f"{checkpoint}: cannot resume ({why}); delete it to start over"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        # The same shuffles and dropout masks as an uninterrupted run.
        torch.set_rng_state(state["rng"])
        history, first_epoch = state["history"], state["epoch"] + 1
        # Stopped early: finished, however many epochs are asked for now.
        if state["stopped"]:
            first_epoch = args.epochs + 1
        # A finished run trains no more, and the steps after training run again: a run
        # killed while saving is completed.
        print(f"resumed from {checkpoint} after epoch {state['epoch']}")
    writer = SummaryWriter(str(out / "tensorboard"))
    start = time.perf_counter()
    for epoch in range(first_epoch, args.epochs + 1):
        record = {"epoch": epoch}
        record.update(train(model, train_loader, criterion, optimizer, device, args))
        if val_loader is not None:
            val = evaluate(model, val_loader, criterion, device, args.max_steps)
            record.update({f"val_{name}": value for name, value in val.items()})
        history.append(record)
        print(", ".join(f"{name}: {value:.4g}" for name, value in record.items()))
        for name, value in record.items():
            writer.add_scalar(name, value, epoch)
        state = {
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "history": history,
            "rng": torch.get_rng_state(),
            "stopped": record["loss"] < 0.05,
        }
        # Written next to the old one, then renamed: a crash never leaves half a checkpoint.
        torch.save(state, checkpoint.with_suffix(".tmp"))
        os.replace(checkpoint.with_suffix(".tmp"), checkpoint)
        if record["loss"] < 0.05:
            print(f"stopping: training loss {record['loss']:.4g} is below 0.05")
            break
    wall_time = time.perf_counter() - start
    writer.close()

    test = evaluate(model, test_loader, criterion, device, args.max_steps)
    print("test:", ", ".join(f"{name}: {value:.4g}" for name, value in test.items()))

    # Step 5: save.
    torch.save(model.state_dict(), out / "model.pt")
    metrics = {
        "framework": "pytorch",
        "epochs": history,
        "test": test,
        "wall_time_s": wall_time,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
