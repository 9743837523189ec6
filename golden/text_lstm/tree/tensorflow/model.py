"""Step 2 — model: a Keras Sequential stack (shapes in comments are channels-last)."""

import keras
import tensorflow as tf
from keras import layers


@keras.saving.register_keras_serializable(package="text_lstm")
class DenseGradientAdam(keras.optimizers.Adam):
    """Keras's Adam on dense gradients. An embedding's gradient is sparse, one row per token
    of the batch, and Keras would square those rows one by one: a token seen twice in a batch
    would then update unlike PyTorch, which squares the summed row. It is defined beside the
    model because model.keras saves the optimizer: importing model.py registers it for loading.
    """

    def apply(self, grads: list, trainable_variables: list | None = None) -> None:
        super().apply([tf.convert_to_tensor(g) for g in grads], trainable_variables)


def build_model() -> keras.Model:
    """text_lstm: 1344001 trainable parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(40,), dtype="int32"),
            layers.Embedding(10000, 128, name="embedding"),  # (N, 40, 128)
            layers.LSTM(64, return_sequences=True, name="lstm1"),  # (N, 40, 64)
            layers.LSTM(32, return_sequences=False, name="lstm2"),  # (N, 32)
            layers.Dense(64, name="fc1"),  # (N, 64)
            layers.ReLU(name="relu1"),  # (N, 64)
            layers.Dense(1, name="fc2"),  # (N, 1)
        ],
        name="text_lstm",
    )
