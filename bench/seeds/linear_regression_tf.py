"""The seed article's TensorFlow linear regression, as published (Keras `fit`, 1000 epochs)."""

import time

import numpy as np
from tensorflow.keras import layers, models

x = np.random.randn(100, 1).astype(np.float32)
y = 2 * x + 1 + 0.1 * np.random.randn(100, 1).astype(np.float32)
model = models.Sequential([layers.Dense(units=1, input_shape=[1])])
model.compile(optimizer="sgd", loss="mse")
start = time.perf_counter()
model.fit(x, y, epochs=1000, verbose=0)
print(f"wall_time_s {time.perf_counter() - start:.4f}")
