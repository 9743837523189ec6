"""Steps 3 to 5 with TensorFlow/Keras: compile, fit and save."""

import argparse
import json
import math
import time
from pathlib import Path

import keras
import tensorflow as tf

from data import DEFAULT_DATA, load_arrays
from model import build_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train linear_regression with TensorFlow/Keras."
    )
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--data", default=DEFAULT_DATA, help="unused: no data file")
    parser.add_argument("--out", default="runs", help="folder for metrics and model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)  # Python, numpy and TensorFlow
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Step 1: data. All 100 training samples are one batch: every epoch is one step.
    x_train, y_train, _, _ = load_arrays(args.data, args.seed)
    # fit pays a fixed cost per epoch of its own, most of the time for one-step epochs: so
    # fit counts `group` epochs as one and runs their steps in one call (steps_per_execution).
    group = math.gcd(args.epochs, max(1, args.epochs // 20))
    train_ds = tf.data.Dataset.from_tensors((x_train, y_train)).repeat()

    # Step 2: model.
    model = build_model()

    # Step 3: loss, optimizer, every setting spelled out (Keras's defaults differ).
    model.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=0.01, momentum=0.0, nesterov=False
        ),
        loss=keras.losses.MeanSquaredError(),
        steps_per_execution=group,
    )

    # Step 4: fit.
    start = time.perf_counter()
    history = model.fit(
        train_ds,
        epochs=args.epochs // group,
        steps_per_epoch=group,
        verbose=2,
    )
    wall_time = time.perf_counter() - start

    # What the model learned (the data was made as y = 2x + 1 + noise).
    kernel, bias = model.get_layer("linear").get_weights()
    print(f"learned: y = {kernel.item():.4g}x + {bias.item():.4g}")

    # Step 5: save.
    model.save(out / "model.keras")
    # One record per `group` epochs, with their mean loss.
    epochs = [
        {
            "epoch": (epoch + 1) * group,
            **{name: v[i] for name, v in history.history.items()},
        }
        for i, epoch in enumerate(history.epoch)
    ]
    metrics = {
        "framework": "tensorflow",
        "epochs": epochs,
        "wall_time_s": wall_time,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
