"""Steps 3 to 5 with TensorFlow/Keras: compile, fit with callbacks and save."""

import argparse
import json
import math
import time
from pathlib import Path

import keras

from data import DEFAULT_DATA, make_datasets
from model import build_model

BASE_LR = 0.001


def learning_rate(epoch: int, lr: float) -> float:
    """The learning rate of epoch `epoch` (from 0), as PyTorch's scheduler sets it."""
    lr = BASE_LR
    return 0.0 + (lr - 0.0) * (1 + math.cos(math.pi * epoch / 10)) / 2


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train resnet_block with TensorFlow/Keras."
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, help="stop each epoch after N batches")
    parser.add_argument("--data", default=DEFAULT_DATA, help="unused: no data file")
    parser.add_argument("--out", default="runs", help="folder for metrics and model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)  # Python, numpy and TensorFlow
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Step 1: the tf.data pipeline.
    train_ds, val_ds = make_datasets(args.data, args.batch_size, args.seed)
    if args.max_steps:
        train_ds = train_ds.take(args.max_steps)
        val_ds = val_ds.take(args.max_steps)

    # Step 2: model.
    model = build_model()

    # Step 3: loss, optimizer and metrics, every setting spelled out (Keras's defaults differ).
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        # Batches per call of the compiled step (less Python), at most an epoch's.
        steps_per_execution=min(50, len(train_ds)),
    )

    # Step 4: fit, with callbacks.
    # Each epoch's training samples/s (validation left out), on its line and in history.
    samples = sum(len(labels) for _, labels in train_ds)  # one pass, to count them
    clock = {}
    samples_per_s = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: clock.update(start=time.perf_counter()),
        on_test_begin=lambda logs: clock.update(end=time.perf_counter()),  # validation
        on_epoch_end=lambda epoch, logs: logs.update(
            samples_per_s=samples / (clock["end"] - clock["start"])
        ),
    )
    callbacks = [
        keras.callbacks.LearningRateScheduler(learning_rate),
        samples_per_s,
    ]
    start = time.perf_counter()
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks
    )
    wall_time = time.perf_counter() - start

    # Step 5: save.
    model.save(out / "model.keras")
    epochs = [
        {"epoch": epoch + 1, **{name: v[i] for name, v in history.history.items()}}
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
