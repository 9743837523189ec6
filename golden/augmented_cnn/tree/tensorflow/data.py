"""Step 1 — the tf.data pipeline: shuffle, batch, preprocess, augment, prefetch.
Images move to Keras's channels-last layout (N, H, W, C) once, here: the layout Keras's
layers default to and TensorFlow's CPU kernels are written for."""

import zipfile

import keras
import numpy as np
import tensorflow as tf
from keras import layers

DEFAULT_DATA = "../data/shapes.npz"
DEFAULT_TEST = "../data/shapes_test.npz"
VALIDATION_SPLIT = 0.1


def read_arrays(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays 'x' and 'y' from a .npz file."""
    try:
        with np.load(path) as arrays:
            x = arrays["x"].astype(np.float32)
            y = arrays["y"]
        x = x.reshape(len(x), 3, 16, 16)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        # missing or damaged file, no such array, or the wrong number of values
        raise SystemExit(f"{path}: cannot read the arrays ({error})")
    if len(x) != len(y):
        raise SystemExit(f"{path}: {len(x)} inputs but {len(y)} labels")
    return x, y.astype(np.int64).reshape(-1)


def load_arrays(path: str, seed: int) -> tuple[np.ndarray, ...]:
    """The .npz file's arrays, split into x_train, y_train, x_val, y_val."""
    return split(*read_arrays(path), seed)


SCALE = 0.00392156862745098  # inputs are multiplied by this first
FEATURE_AXIS = 1  # one mean and std per entry of this axis (batch axis 0)
MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]


def preprocessing_statistics(x_train: np.ndarray) -> dict:
    """The transform's numbers: `scale`, and the spec's fixed `mean` and `std` per channel."""
    return {"scale": SCALE, "mean": MEAN, "std": STD}


def split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_val, y_val: a seeded split, 0.1 held out."""
    order = np.random.default_rng(seed + 1).permutation(len(x))
    held_out = int(len(x) * VALIDATION_SPLIT)
    train_idx, val_idx = np.sort(order[held_out:]), np.sort(order[:held_out])
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


INPUT_SHAPE = (16, 16, 3)  # one example, channels last


def preprocessing_layers(statistics: dict) -> keras.Sequential:
    """The input transform as Keras preprocessing layers: Rescaling, then Normalization per
    channel (the last axis). The tf.data pipeline applies them; export.py puts them in
    front of the exported model, so that it takes raw inputs."""
    preprocess = keras.Sequential(
        [
            layers.Rescaling(statistics["scale"]),
            layers.Normalization(
                axis=-1,
                mean=statistics["mean"],
                variance=np.square(statistics["std"]).tolist(),
            ),
        ],
        name="preprocessing",
    )
    preprocess(
        np.zeros((1, *INPUT_SHAPE), np.float32)
    )  # built now: not inside tf.data's graph
    return preprocess


def fit_preprocessing(path: str, seed: int) -> dict:
    """The transform's numbers for the data at `path` (see preprocessing_statistics)."""
    return preprocessing_statistics(load_arrays(path, seed)[0])


def augmentation_layers(seed: int) -> keras.Sequential:
    """Random flip, rotation, shift (a crop of the zero-padded image) per image, with
    Keras's augmentation layers, for training batches only."""
    height, width = INPUT_SHAPE[0], INPUT_SHAPE[1]
    augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(10.0 / 360, fill_mode="constant", seed=seed + 1),
            layers.RandomTranslation(
                2 / height,
                2 / width,
                fill_mode="constant",
                interpolation="nearest",
                seed=seed + 2,
            ),
        ],
        name="augmentation",
    )
    augmentation(np.zeros((1, *INPUT_SHAPE), np.float32), training=True)  # built now
    return augmentation


def make_datasets(
    path: str, batch_size: int, seed: int
) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """Training batches, reshuffled every epoch and augmented; validation batches or None. Inputs go through the preprocessing layers with the training
    split's numbers."""
    x_train, y_train, x_val, y_val = load_arrays(path, seed)
    preprocess = preprocessing_layers(preprocessing_statistics(x_train))
    # channels last
    x_train, x_val = np.moveaxis(x_train, 1, -1), np.moveaxis(x_val, 1, -1)
    train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train = train.shuffle(len(x_train), seed=seed)
    train = train.batch(batch_size)
    train = train.map(
        lambda x, y: (preprocess(x), y), num_parallel_calls=tf.data.AUTOTUNE
    )
    augmentation = augmentation_layers(seed)
    train = train.map(
        lambda x, y: (augmentation(x, training=True), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    train = train.prefetch(tf.data.AUTOTUNE)
    if len(x_val) == 0:
        return train, None
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch_size)
    val = val.map(lambda x, y: (preprocess(x), y))
    return train, val.prefetch(tf.data.AUTOTUNE)


def make_test_dataset(
    test: str, batch_size: int, path: str, seed: int
) -> tf.data.Dataset:
    """Batches of the test split, the file `test`, through the preprocessing layers with the training split's numbers."""
    x_test, y_test = read_arrays(test)
    x_test = np.moveaxis(x_test, 1, -1)  # channels last
    preprocess = preprocessing_layers(fit_preprocessing(path, seed))
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(batch_size)
    return test.map(lambda x, y: (preprocess(x), y))
