"""Steps 3 to 5 with TensorFlow/Keras: compile, fit with callbacks, evaluate and save."""

import argparse
import json
import time
from pathlib import Path

import h5py
import keras

from data import DEFAULT_DATA, make_datasets, make_test_dataset
from model import build_model


class StopAtLoss(keras.callbacks.Callback):
    """The seeds' custom callback: stop once an epoch's training loss is below `threshold`."""

    def __init__(self, threshold: float) -> None:
        super().__init__()
        self.threshold = threshold

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs and logs["loss"] < self.threshold:
            print(
                f"stopping: training loss {logs['loss']:.4g} is below {self.threshold}"
            )
            self.model.stop_training = True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train mlp with TensorFlow/Keras.")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-steps", type=int, help="stop each epoch after N batches")
    parser.add_argument("--data", default=DEFAULT_DATA, help="MNIST folder")
    parser.add_argument("--out", default="runs", help="folder for metrics and model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)  # Python, numpy and TensorFlow
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "metrics.json").exists():  # written last: the run in --out is finished
        print(f"{out} holds a finished run (metrics.json): another --out trains anew")
        return

    # Step 1: the tf.data pipeline.
    train_ds, val_ds = make_datasets(args.data, args.batch_size, args.seed)
    test_ds = make_test_dataset(args.data, args.batch_size)
    if args.max_steps:
        train_ds = train_ds.take(args.max_steps)
        val_ds = val_ds.take(args.max_steps)
        test_ds = test_ds.take(args.max_steps)

    # Step 2: model.
    model = build_model()

    # Step 3: loss, optimizer and metrics, every setting spelled out (Keras's defaults differ).
    model.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=0.05,
            momentum=0.9,
            nesterov=False,
            global_clipnorm=1.0,
            gradient_accumulation_steps=2,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        # Batches per call of the compiled step (less Python), at most an epoch's.
        steps_per_execution=min(50, len(train_ds)),
    )

    # Step 4: fit, with callbacks.
    backup = out / "backup"
    if backup.exists():
        try:  # a damaged backup: empty, cut short, or not Keras's files
            h5py.File(backup / "latest.weights.h5", "r").close()
            epoch = json.loads((backup / "training_metadata.json").read_text())["epoch"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            why = type(error).__name__
            raise SystemExit(
                f"{backup}: cannot resume ({why}); delete it to start over"
            )
        print(f"resumed from {backup} after epoch {epoch}")
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
        StopAtLoss(0.05),
        # Saved every epoch and kept: a run started again goes on from its last epoch.
        keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False),
        keras.callbacks.TensorBoard(log_dir=str(out / "tensorboard")),
        samples_per_s,
    ]
    start = time.perf_counter()
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks
    )
    wall_time = time.perf_counter() - start

    # Step 5: evaluate on the test split, save.
    test = model.evaluate(test_ds, verbose=0, return_dict=True)
    print("test:", ", ".join(f"{name}: {value:.4g}" for name, value in test.items()))
    model.save(out / "model.keras")
    epochs = [
        {"epoch": epoch + 1, **{name: v[i] for name, v in history.history.items()}}
        for i, epoch in enumerate(history.epoch)
    ]
    metrics = {
        "framework": "tensorflow",
        "epochs": epochs,
        "test": test,
        "wall_time_s": wall_time,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
