"""Steps 3, 4 and 6 — compile, training control with callbacks, and the distribution strategy.

The training loop is a `tf.function` step driven by Keras callbacks (the pattern of Keras's
"training loop from scratch" guide): it runs the same batches as the PyTorch project, costs no
per-epoch `fit` overhead, and runs unchanged under a distribution strategy.
Run `python train.py --help` for the options. Writes metrics.json, a checkpoint and the
exported model (step 5, export.py) into --out.
"""

import argparse
import json
import math
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import tensorflow as tf

from data import DEFAULT_DATA, make_datasets
from export import export_model
from model import build_model

BASE_LR = 0.001


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train resnet_block with TensorFlow/Keras."
    )
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="skip step 5 (quick runs and comparisons)",
    )
    parser.add_argument(
        "--log-every",
        type=int,
        default=None,
        help="print every N epochs (default: ~20 lines)",
    )
    parser.add_argument(
        "--strategy",
        choices=["default", "mirrored", "multiworker"],
        default="default",
        help=(
            "mirrored: data-parallel over this machine's devices; multiworker: over the machines "
            "in TF_CONFIG (--batch-size is the global batch either way)"
        ),
    )
    parser.add_argument(
        "--cpu-replicas",
        type=int,
        default=1,
        help="split the CPU into N logical devices (to run --strategy mirrored without GPUs)",
    )
    return parser.parse_args(argv)


def configure_devices(device: str, cpu_replicas: int = 1) -> None:
    """--device cpu hides GPUs; TF32 stays off so results match full float32 math."""
    if device == "cpu":
        tf.config.set_visible_devices([], "GPU")
    elif device == "cuda" and not tf.config.list_physical_devices("GPU"):
        raise SystemExit("--device cuda: TensorFlow sees no GPU")
    if cpu_replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        logical = [tf.config.LogicalDeviceConfiguration() for _ in range(cpu_replicas)]
        tf.config.set_logical_device_configuration(cpu, logical)
    tf.config.experimental.enable_tensor_float_32_execution(False)


def make_strategy(name: str) -> tf.distribute.Strategy:
    """Step 6: the distribution strategy. Build and compile the model inside its scope.

    multiworker reads the cluster from TF_CONFIG, e.g. for the first of two machines
    {"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}
    """
    if name == "mirrored":
        devices = tf.config.list_logical_devices(
            "GPU"
        ) or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def distribute(strategy: tf.distribute.Strategy, dataset: tf.data.Dataset):
    """Split every global batch across the replicas (sharded by batch: the data is in memory)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """The one worker that prints and writes files (worker 0, or the `chief` task)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
    )


def build_training(
    model: keras.Model,
) -> tuple[Callable, keras.optimizers.Optimizer, list]:
    """Step 3: compile. Returns the per-example loss, the optimizer and the metrics.

    Every hyperparameter is spelled out: Keras's defaults differ from PyTorch's.
    """
    optimizer = keras.optimizers.Adam(
        learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08
    )
    metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=metrics,
    )
    return (
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None),
        optimizer,
        metrics,
    )


def learning_rate(epoch: int, lr: float) -> float:
    """The per-epoch schedule, in closed form (PyTorch steps its scheduler once per epoch)."""
    lr = BASE_LR
    return 0.0 + (lr - 0.0) * (1 + math.cos(math.pi * epoch / 10)) / 2


def make_loops(
    model: keras.Model,
    loss_fn: Callable,
    optimizer: keras.optimizers.Optimizer,
    metrics: list,
    strategy: tf.distribute.Strategy,
    jit_compile: bool = False,
) -> tuple[Callable, Callable]:
    """Step 4: compiled loops that run `steps` training (or evaluation) batches from an iterator.

    The loop itself runs inside `tf.function`, so the per-batch cost is the graph's, not
    Python's. Each returns (sum of per-example losses, sample count, metric results).
    """

    def train_replica(
        inputs: tf.Tensor, targets: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            outputs = model(inputs, training=True)
            per_example = loss_fn(targets, outputs)
            global_batch = tf.shape(inputs)[0] * strategy.num_replicas_in_sync
            loss = tf.nn.compute_average_loss(
                per_example, global_batch_size=global_batch
            )
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(
            zip(gradients, model.trainable_variables, strict=True)
        )
        for metric in metrics:
            metric.update_state(targets, outputs)
        return tf.reduce_sum(per_example), tf.shape(inputs)[0]

    def eval_replica(
        inputs: tf.Tensor, targets: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        outputs = model(inputs, training=False)
        for metric in metrics:
            metric.update_state(targets, outputs)
        return tf.reduce_sum(loss_fn(targets, outputs)), tf.shape(inputs)[0]

    if (
        jit_compile
    ):  # XLA fuses each step's ops (the loop around them stays a tf.function)
        train_replica = tf.function(train_replica, jit_compile=True)
        eval_replica = tf.function(eval_replica, jit_compile=True)

    def compile_loop(replica_fn: Callable) -> Callable:
        @tf.function
        def loop(iterator: Iterator, steps: tf.Tensor) -> tuple:
            for metric in metrics:
                metric.reset_state()
            total, count = tf.constant(0.0), tf.constant(0)
            for _ in tf.range(steps):
                inputs, targets = next(iterator)
                batch_total, batch_count = strategy.run(
                    replica_fn, args=(inputs, targets)
                )
                total += strategy.reduce(
                    tf.distribute.ReduceOp.SUM, batch_total, axis=None
                )
                count += strategy.reduce(
                    tf.distribute.ReduceOp.SUM, batch_count, axis=None
                )
            return total, count, [metric.result() for metric in metrics]

        return loop

    return compile_loop(train_replica), compile_loop(eval_replica)


def run_epoch(
    loop: Callable, iterator: Iterator, steps: int, metrics: list
) -> dict[str, float]:
    """Mean loss per sample and the metrics of `steps` batches."""
    total, count, results = loop(iterator, tf.constant(steps))
    record = {"loss": float(total) / max(int(count), 1)}
    record.update(
        {
            metric.name: float(value)
            for metric, value in zip(metrics, results, strict=True)
        }
    )
    return record


def process_peak_mb() -> float:
    """Peak resident memory of this process: VmHWM on Linux (ru_maxrss can carry over the
    peak of the process that started this one), ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory_mb() -> float:
    if tf.config.list_logical_devices("GPU"):
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return process_peak_mb()


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    configure_devices(args.device, args.cpu_replicas)
    # Step 6 comes first: MultiWorkerMirroredStrategy must exist before any other TF work.
    strategy = make_strategy(args.strategy)
    chief = is_chief(strategy)
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Saving is a collective step: the other workers save too, to a scratch folder.
    write_to = out if chief else Path(tempfile.mkdtemp(prefix="worker-"))

    first_epoch = 0

    # Step 1: the tf.data pipeline.
    train_ds, steps_per_epoch, val_ds, val_steps = make_datasets(
        args.data, args.batch_size, args.seed, args.epochs, args.max_steps, first_epoch
    )

    # Steps 2, 3 and 6: model and compile, inside the distribution strategy's scope.
    with strategy.scope():
        model = build_model()
        loss_fn, optimizer, metrics = build_training(model)
    train_loop, eval_loop = make_loops(model, loss_fn, optimizer, metrics, strategy)

    # Step 4: training control with callbacks.
    callbacks = keras.callbacks.CallbackList(
        [
            keras.callbacks.LearningRateScheduler(learning_rate),
        ],
        model=model,
    )
    history = []
    log_every = args.log_every or max(1, args.epochs // 20)
    model.stop_training = False
    callbacks.on_train_begin()
    start = time.perf_counter()
    batches = iter(distribute(strategy, train_ds))
    for epoch in range(first_epoch, args.epochs):
        callbacks.on_epoch_begin(epoch)
        record = {
            "epoch": epoch + 1,
            "lr": float(keras.ops.convert_to_numpy(optimizer.learning_rate)),
        }
        record.update(run_epoch(train_loop, batches, steps_per_epoch, metrics))
        if val_ds is not None:
            val_batches = iter(distribute(strategy, val_ds))
            val = run_epoch(eval_loop, val_batches, val_steps, metrics)
            record.update({f"val_{name}": value for name, value in val.items()})
        history.append(record)
        if chief and (
            record["epoch"] % log_every == 0 or record["epoch"] in (1, args.epochs)
        ):
            print(
                " - ".join(
                    f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                    for k, v in record.items()
                )
            )
        callbacks.on_epoch_end(
            epoch, logs={k: v for k, v in record.items() if k != "epoch"}
        )
        if model.stop_training:
            break
    callbacks.on_train_end()
    wall_time = time.perf_counter() - start

    # Step 5: export (every worker; the chief's copy is the one in --out).
    exports = {} if args.no_export else export_model(model, write_to)

    metrics_file = {
        "framework": "tensorflow",
        "epochs": history,
        "final": history[-1] if history else {},
        "wall_time_s": wall_time,
        "peak_memory_mb": peak_memory_mb(),
        "device": "GPU" if tf.config.list_logical_devices("GPU") else "CPU",
        "exports": exports,
        "replicas": strategy.num_replicas_in_sync,
    }
    if chief:
        (out / "metrics.json").write_text(json.dumps(metrics_file, indent=2) + "\n")
    return metrics_file


if __name__ == "__main__":
    main()
