"""Steps 3 to 5 with PyTorch: loss and optimizer, the training loop, saving the model."""

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from data import DEFAULT_DATA, load_arrays
from model import LinearRegression


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train linear_regression with PyTorch."
    )
    parser.add_argument("--epochs", type=int, default=1000)
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

    # Step 1: data. All 100 training samples are one batch: the tensors themselves.
    x_train, y_train, _, _ = load_arrays(args.data, args.seed)
    inputs = torch.from_numpy(x_train).to(device)
    targets = torch.from_numpy(y_train).to(device)

    # Step 2: model.
    model = LinearRegression().to(device)

    # Step 3: loss and optimizer.
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    # Step 4: the training loop.
    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        record = {"epoch": epoch, "loss": loss.item()}
        history.append(record)
        if epoch % 50 == 0 or epoch == args.epochs:
            print(", ".join(f"{name}: {value:.4g}" for name, value in record.items()))
    wall_time = time.perf_counter() - start

    # What the model learned (the data was made as y = 2x + 1 + noise).
    weight, bias = model.linear.weight.item(), model.linear.bias.item()
    print(f"learned: y = {weight:.4g}x + {bias:.4g}")

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
