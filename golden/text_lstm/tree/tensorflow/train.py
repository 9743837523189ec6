"""Steps 3 to 5 with TensorFlow/Keras: compile, fit, evaluate and save."""

import argparse
import json
import time
from pathlib import Path

import keras

from data import (
    DEFAULT_DATA,
    DEFAULT_TEST,
    fit_vocabulary,
    make_datasets,
    make_test_dataset,
)
from export import export_model
from model import DenseGradientAdam, build_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train text_lstm with TensorFlow/Keras."
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, help="stop each epoch after N batches")
    parser.add_argument("--data", default=DEFAULT_DATA, help="CSV file")
    parser.add_argument("--test", default=DEFAULT_TEST, help="test split: CSV file")
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

    # Step 3: loss, optimizer and metrics, every setting spelled out (Keras's defaults differ).
    model.compile(
        optimizer=DenseGradientAdam(
            learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08
        ),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
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
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=[samples_per_s]
    )
    wall_time = time.perf_counter() - start

    # Step 5: evaluate on the test split, save and export.
    test = model.evaluate(test_ds, verbose=0, return_dict=True)
    print("test:", ", ".join(f"{name}: {value:.4g}" for name, value in test.items()))
    exports = {} if args.no_export else export_model(model, out)
    vocabulary = fit_vocabulary(
        args.data, args.seed
    )  # predict.py encodes new texts with it
    (out / "vocabulary.json").write_text(json.dumps(vocabulary))
    epochs = [
        {"epoch": epoch + 1, **{name: v[i] for name, v in history.history.items()}}
        for i, epoch in enumerate(history.epoch)
    ]
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
