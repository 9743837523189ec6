"""The seed article's six-step TensorFlow MNIST recipe, timed.

Changes from the article: the model has the same layers as the PyTorch recipe and
examples/mnist_cnn.yaml (conv32-relu-pool-dense128-relu-dense10) so both benchmarks do the same
work; the images come from arrays (argv[1], an .npz with x (N,1,28,28) float32 and y int64).
"""

import resource
import sys
import time

import numpy as np
import tensorflow as tf

arrays = np.load(sys.argv[1])
epochs = int(sys.argv[2])
x = np.moveaxis(arrays["x"], 1, -1)
train_ds = (
    tf.data.Dataset.from_tensor_slices((x, arrays["y"]))
    .shuffle(10000)
    .batch(64)
    .prefetch(tf.data.AUTOTUNE)
)

inputs = tf.keras.Input(shape=(28, 28, 1))
h = tf.keras.layers.Conv2D(32, 3, activation="relu")(inputs)
h = tf.keras.layers.MaxPooling2D(2)(h)
h = tf.keras.layers.Flatten()(h)
h = tf.keras.layers.Dense(128, activation="relu")(h)
outputs = tf.keras.layers.Dense(10)(h)
model = tf.keras.Model(inputs=inputs, outputs=outputs)
model.compile(
    optimizer=tf.keras.optimizers.Adam(0.001),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
start = time.perf_counter()
model.fit(train_ds, epochs=epochs, verbose=2)
print(f"wall_time_s {time.perf_counter() - start:.4f}")
print(f"samples {len(x) * epochs}")
print(f"peak_memory_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
