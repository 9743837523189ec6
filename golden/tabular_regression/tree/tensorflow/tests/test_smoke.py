"""Smoke test: the model builds, gives the declared output shape and takes a training step."""

import numpy as np

from model import build_model


def test_forward_shape_and_one_step() -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = build_model()
    inputs = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    outputs = model(inputs)
    assert tuple(outputs.shape) == (4, 1)
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.train_on_batch(
        inputs, np.zeros(outputs.shape, "float32")
    )  # one step towards 0
    assert any(
        not np.array_equal(a, w.numpy())
        for a, w in zip(before, model.trainable_weights, strict=True)
    )
