"""nn.EmbeddingBag over the rows of a token batch (mean and max), then a linear head."""

import keras
import tensorflow as tf

# ---- dlgen prelude: PyTorch-layout (NCHW) building blocks used below; see the README's
# ---- `dlgen translate` section. Convolutions and pools run channels-last inside.


def torch_init(fan_in):
    """PyTorch's default Linear/Conv initialization: weights and biases U(±1/√fan_in)."""
    bound = 1 / float(fan_in) ** 0.5  # a size read off a tensor may be a scalar tensor
    return {
        "kernel_initializer": keras.initializers.RandomUniform(-bound, bound),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """F.embedding_bag: the sum, mean or max of each bag's embeddings. Bags are the rows of
    a 2-d input, or cut from a 1-d input at `offsets`; padding_idx entries are left out;
    an empty bag gives zeros."""
    input = tf.cast(input, tf.int32)
    if len(input.shape) == 2:
        bags = tf.shape(input)[0]
        ids = tf.repeat(tf.range(bags), tf.shape(input)[1])
        input = tf.reshape(input, (-1,))
        if per_sample_weights is not None:
            per_sample_weights = tf.reshape(per_sample_weights, (-1,))
    else:
        offsets = tf.cast(offsets, tf.int32)
        bags = tf.shape(offsets)[0] - (1 if include_last_offset else 0)
        positions = tf.range(tf.shape(input)[0])
        ids = tf.searchsorted(offsets, positions, side="right") - 1
    vectors = tf.gather(weight, input)
    if per_sample_weights is not None:
        vectors *= tf.cast(per_sample_weights, vectors.dtype)[:, None]
    keep = ids < bags  # past the last offset (include_last_offset): in no bag
    if padding_idx is not None:
        keep &= tf.not_equal(input, padding_idx % weight.shape[0])
    vectors, ids = tf.boolean_mask(vectors, keep), tf.boolean_mask(ids, keep)
    if mode == "max":
        out = tf.math.unsorted_segment_max(vectors, ids, bags)
        filled = tf.math.unsorted_segment_sum(tf.ones_like(ids), ids, bags) > 0
        return tf.where(filled[:, None], out, tf.zeros_like(out))
    out = tf.math.unsorted_segment_sum(vectors, ids, bags)
    if mode == "mean":
        counts = tf.math.unsorted_segment_sum(tf.ones_like(ids), ids, bags)
        out /= tf.cast(tf.maximum(counts, 1), out.dtype)[:, None]
    return out


class EmbeddingBag(keras.layers.Layer):
    """nn.EmbeddingBag: PyTorch's weight (num_embeddings, embedding_dim), drawn from N(0, 1)
    with the padding_idx row zeroed, applied by embedding_bag."""

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        mode="mean",
        sparse=False,
        _weight=None,
        include_last_offset=False,
        padding_idx=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mode, self.include_last_offset = mode, include_last_offset
        self.padding_idx = padding_idx
        self.weight = self.add_weight(
            shape=(num_embeddings, embedding_dim),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            name="weight",
        )
        if padding_idx is not None:
            self.weight[padding_idx].assign(tf.zeros((embedding_dim,)))

    def call(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(
            input,
            self.weight,
            offsets,
            mode=self.mode,
            per_sample_weights=per_sample_weights,
            include_last_offset=self.include_last_offset,
            padding_idx=self.padding_idx,
        )


class BagClassifier(keras.Model):
    def __init__(self, vocab=10, dim=6, **kwargs):
        super().__init__(**kwargs)
        self.mean_bag = EmbeddingBag(vocab, dim, padding_idx=0)
        self.max_bag = EmbeddingBag(vocab, dim, mode="max")
        self.head = keras.layers.Dense(3, **torch_init(2 * dim))

    def call(self, ids, training=False):
        return self.head(tf.concat([self.mean_bag(ids), self.max_bag(ids)], axis=1))
