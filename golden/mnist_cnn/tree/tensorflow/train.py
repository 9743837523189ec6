"""Steps 3, 4 and 6 — compile, training control with callbacks, and the distribution strategy.

Run `python train.py --help` for the options. Writes metrics.json, a checkpoint and the
exported model (step 5, export.py) into --out.
"""

import argparse
import json
import resource
import time
from pathlib import Path

import keras
import tensorflow as tf

from data import DEFAULT_DATA, make_datasets
from export import export_model
from model import build_model

BASE_LR = 0.001


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train mnist_cnn with TensorFlow/Keras."
    )
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
    parser.add_argument(
        "--strategy",
        choices=["default", "mirrored"],
        default="default",
        help="mirrored: data-parallel over every visible device",
    )
    return parser.parse_args(argv)


def configure_devices(device: str) -> None:
    """--device cpu hides GPUs; TF32 stays off so results match full float32 math."""
    if device == "cpu":
        tf.config.set_visible_devices([], "GPU")
    elif device == "cuda" and not tf.config.list_physical_devices("GPU"):
        raise SystemExit("--device cuda: TensorFlow sees no GPU")
    tf.config.experimental.enable_tensor_float_32_execution(False)


def make_strategy(name: str) -> tf.distribute.Strategy:
    """Step 6: the distribution strategy. Build and compile the model inside its scope."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def peak_memory_mb() -> float:
    if tf.config.list_logical_devices("GPU"):
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    configure_devices(args.device)
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Step 1: the tf.data pipeline.
    train_ds, val_ds = make_datasets(args.data, args.batch_size, args.seed)
    if args.max_steps is not None:
        train_ds = train_ds.take(args.max_steps)
        val_ds = val_ds.take(args.max_steps) if val_ds is not None else None

    # Steps 2, 3 and 6: model and compile, inside the distribution strategy's scope.
    strategy = make_strategy(args.strategy)
    with strategy.scope():
        model = build_model()
        model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08
            ),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )

    # Step 4: training control with callbacks.
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=2,
            min_delta=0.0,
            mode="min",
        ),
        keras.callbacks.ModelCheckpoint(
            str(out / "checkpoint.keras"),
            monitor="val_loss",
            save_best_only=False,
        ),
    ]
    start = time.perf_counter()
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=args.epochs,
        callbacks=callbacks,
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        verbose=2,
    )
    wall_time = time.perf_counter() - start
    epochs = [
        {
            "epoch": index + 1,
            **{name: float(values[index]) for name, values in history.history.items()},
        }
        for index in range(len(history.epoch))
    ]

    # Step 5: export.
    exports = export_model(model, out)

    metrics = {
        "framework": "tensorflow",
        "epochs": epochs,
        "final": epochs[-1] if epochs else {},
        "wall_time_s": wall_time,
        "peak_memory_mb": peak_memory_mb(),
        "device": "GPU" if tf.config.list_logical_devices("GPU") else "CPU",
        "exports": exports,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


if __name__ == "__main__":
    main()
