"""Reference for bench/real_data.py: the MNIST CNN written as keras-io's mnist_convnet.py is
(Sequential, compile, fit on the arrays, evaluate), with the generated project's network,
optimizer and batch size. Writes --out/metrics.json."""

import argparse
import json
import sys
import time
from pathlib import Path

import keras
from keras import layers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from idx import load  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--data", required=True)
parser.add_argument("--out", default="runs")
args = parser.parse_args()
keras.utils.set_random_seed(args.seed)

(x_train, y_train), (x_test, y_test) = load(args.data, "train"), load(args.data, "t10k")
x_train, x_test = x_train[..., None], x_test[..., None]  # (N, 28, 28, 1)

model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10),
    ]
)
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    metrics=["accuracy"],
)
start = time.perf_counter()
model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
wall_time = time.perf_counter() - start
score = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print("Test loss:", score["loss"], "Test accuracy:", score["accuracy"])

out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
metrics = {"framework": "tensorflow", "test": score, "wall_time_s": wall_time}
(out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
