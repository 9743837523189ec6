"""Step 2 — model: a Keras Sequential stack (shapes in comments are channels-last)."""

import keras
import tensorflow as tf
from keras import layers


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


@keras.saving.register_keras_serializable(package="tabular_regression")
class DenseGradientAdam(keras.optimizers.Adam):
    """Keras's Adam on dense gradients. An embedding's gradient is sparse, one row per token
    of the batch, and Keras would square those rows one by one: a token seen twice in a batch
    would then update unlike PyTorch, which squares the summed row. It is defined beside the
    model because model.keras saves the optimizer: importing model.py registers it for loading.
    """

    def apply(self, grads: list, trainable_variables: list | None = None) -> None:
        super().apply([tf.convert_to_tensor(g) for g in grads], trainable_variables)


def build_model() -> keras.Model:
    """tabular_regression: 189 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(8,), dtype="float32"),
            CategoricalEmbedding(7, sizes=[5], dims=[2], name="categorical_embedding"),
            layers.Dense(16, name="hidden"),  # (N, 16)
            layers.ReLU(name="relu1"),  # (N, 16)
            layers.Dense(1, name="output"),  # (N, 1)
        ],
        name="tabular_regression",
    )
