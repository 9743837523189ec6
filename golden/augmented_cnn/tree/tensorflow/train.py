"""Steps 3 to 5 with TensorFlow/Keras: compile, fit, evaluate and save."""

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np

from data import (
    DEFAULT_DATA,
    DEFAULT_TEST,
    fit_preprocessing,
    load_arrays,
    make_datasets,
    make_test_dataset,
    preprocessing_layers,
)
from export import export_model
from inspection import inspect_run
from model import Checkpointed, build_model


def inspect_training(
    model: keras.Model,
    history: list[dict],
    out: Path,
    data: str,
    seed: int,
    statistics: dict,
) -> dict[str, str]:
    """After training: weight histograms, loss curves    under out/inspection (see inspection.py). The model is asked about raw inputs (channels
    last), through the same preprocessing layers as in training."""
    preprocess = preprocessing_layers(statistics)

    def predict(inputs: np.ndarray) -> np.ndarray:
        return np.asarray(model(preprocess(inputs), training=False), dtype=np.float32)

    x_train, y_train, x_val, y_val = load_arrays(data, seed)
    x_train, x_val = np.moveaxis(x_train, 1, -1), np.moveaxis(x_val, 1, -1)
    weights = {v.path: np.asarray(v, dtype=np.float32) for v in model.trainable_weights}
    return inspect_run(
        out,
        history,
        weights,
        predict,
        (x_train, y_train, x_val, y_val),
        None,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train augmented_cnn with TensorFlow/Keras."
    )
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, help="stop each epoch after N batches")
    parser.add_argument("--data", default=DEFAULT_DATA, help=".npz file")
    parser.add_argument("--test", default=DEFAULT_TEST, help="test split: .npz file")
    parser.add_argument("--out", default="runs", help="folder for metrics and model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-export", action="store_true", help="skip step 5's exports"
    )
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)  # Python, numpy and TensorFlow
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Step 1: the tf.data pipeline.
    train_ds, val_ds = make_datasets(args.data, args.batch_size, args.seed)
    test_ds = make_test_dataset(args.test, args.batch_size, args.data, args.seed)
    if args.max_steps:
        train_ds = train_ds.take(args.max_steps)
        val_ds = val_ds.take(args.max_steps)
        test_ds = test_ds.take(args.max_steps)

    # Step 2: model.
    model = build_model()
    trained = Checkpointed(model)  # recomputes activations in backward: less memory

    # Step 3: loss, optimizer and metrics, every setting spelled out (Keras's defaults differ).
    trained.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=0.05, momentum=0.9, nesterov=False
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
    start = time.perf_counter()
    history = trained.fit(
        train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=[samples_per_s]
    )
    wall_time = time.perf_counter() - start

    # Step 5: evaluate on the test split, save and export.
    test = trained.evaluate(test_ds, verbose=0, return_dict=True)
    print("test:", ", ".join(f"{name}: {value:.4g}" for name, value in test.items()))
    statistics = fit_preprocessing(args.data, args.seed)  # the training split's numbers
    exports = {} if args.no_export else export_model(model, out, statistics)
    epochs = [
        {"epoch": epoch + 1, **{name: v[i] for name, v in history.history.items()}}
        for i, epoch in enumerate(history.epoch)
    ]
    inspect_training(model, epochs, out, args.data, args.seed, statistics)
    metrics = {
        "framework": "tensorflow",
        "epochs": epochs,
        "test": test,
        "wall_time_s": wall_time,
        "exports": exports,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
