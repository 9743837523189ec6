"""Step 2 — model: a Keras Sequential stack.

Each Keras layer is spelled so that, with the PyTorch weights moved across, it computes what
the PyTorch layer computes: PyTorch's epsilon and momentum on normalization, PyTorch's
padding made explicit, PyTorch's activation slopes. Shapes in comments are channels-last.
"""

import math

import keras
from keras import layers


def torch_init(fan_in: int) -> dict:
    """PyTorch's default Linear/Conv initialization, U(±1/√fan_in) for weights and biases,
    so this model starts (and trains) like the PyTorch one rather than from Glorot."""
    bound = 1 / math.sqrt(fan_in)
    return {
        "kernel_initializer": keras.initializers.VarianceScaling(
            1 / 3, "fan_in", "uniform"
        ),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


@keras.saving.register_keras_serializable(package="tabular_regression")
class CategoricalEmbedding(layers.Layer):
    """Learned vectors for categorical columns.

    The input's last `len(sizes)` columns hold category codes (0 for a value the spec does not
    list, i + 1 for its i-th category; any other number counts as 0); the `passthrough`
    columns before them are passed on. Output: those columns, then one `dims[j]`-wide vector
    per coded column. The tables start from N(0, 1) as PyTorch's nn.Embedding does.
    """

    def __init__(
        self,
        passthrough: int,
        sizes: list[int],
        dims: list[int],
        embeddings_regularizer=None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.passthrough, self.sizes, self.dims = passthrough, list(sizes), list(dims)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings = [
            layers.Embedding(
                size + 1,
                dim,
                embeddings_initializer=keras.initializers.RandomNormal(0.0, 1.0),
                embeddings_regularizer=self.embeddings_regularizer,
                name=f"column{j}",
            )
            for j, (size, dim) in enumerate(zip(self.sizes, self.dims, strict=True))
        ]

    def build(self, input_shape: tuple) -> None:
        for embedding in self.embeddings:
            embedding.build((None,))

    def call(self, x):
        # round: preprocessing (as TFLite fuses it) may leave 2.9999998 where the code is 3
        codes = keras.ops.cast(keras.ops.round(x[:, self.passthrough :]), "int32")
        vectors = []
        for j, (size, embedding) in enumerate(
            zip(self.sizes, self.embeddings, strict=True)
        ):
            code = codes[:, j]
            known = keras.ops.logical_and(code >= 1, code <= size)
            vectors.append(embedding(keras.ops.where(known, code, 0)))
        return keras.ops.concatenate([x[:, : self.passthrough], *vectors], axis=1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.passthrough + sum(self.dims))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "passthrough": self.passthrough,
            "sizes": self.sizes,
            "dims": self.dims,
            "embeddings_regularizer": keras.regularizers.serialize(
                self.embeddings_regularizer
            ),
        }


def build_model() -> keras.Model:
    """tabular_regression: 189 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(8,), dtype="float32"),
            CategoricalEmbedding(7, sizes=[5], dims=[2], name="categorical_embedding"),
            layers.Dense(16, **torch_init(9), name="hidden"),  # (N, 16)
            layers.ReLU(name="relu1"),  # (N, 16)
            layers.Dense(1, **torch_init(16), name="output"),  # (N, 1)
        ],
        name="tabular_regression",
    )
