"""PyTorch's attention modules: nn.MultiheadAttention (time-major and batch-first, the
weights it returns), nn.TransformerEncoderLayer (post- and pre-norm, relu and gelu) and
nn.TransformerEncoder with a final norm."""

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


def swapaxes(x, dim0, dim1):
    """Tensor.transpose(dim0, dim1): swap two axes."""
    perm = list(range(len(x.shape)))
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return tf.transpose(x, perm)


def masked_scores(scores, mask):
    """nn.MultiheadAttention's masks on (N, heads, L, S) scores: True (or -inf) where a
    query may not look."""
    if mask.dtype == tf.bool:
        return tf.where(mask, float("-inf"), scores)
    return scores + tf.cast(mask, scores.dtype)


class MultiheadAttention(keras.layers.Layer):
    """nn.MultiheadAttention with PyTorch's packed in_proj_weight (3 E, E) and in_proj_bias,
    and out_proj: (L, N, E) inputs unless batch_first; returns the output and the attention
    weights (averaged over the heads unless told not to), or None for them."""

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if add_bias_kv or add_zero_attn or {kdim, vdim} - {None, embed_dim}:
            raise ValueError(
                "MultiheadAttention: only kdim = vdim = embed_dim is translated"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = self.add_weight(
            shape=(3 * embed_dim, embed_dim),
            initializer="glorot_uniform",
            name="in_proj_weight",
        )
        self.in_proj_bias = None
        if bias:
            self.in_proj_bias = self.add_weight(
                shape=(3 * embed_dim,), initializer="zeros", name="in_proj_bias"
            )
        self.out_proj = keras.layers.Dense(
            embed_dim, use_bias=bias, **torch_init(embed_dim)
        )

    def call(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
        training=None,
    ):
        unbatched = len(query.shape) == 2
        if unbatched:
            query, key, value = query[None], key[None], value[None]
        elif not self.batch_first:
            query, key, value = (
                tf.transpose(t, (1, 0, 2)) for t in (query, key, value)
            )
        heads, size = self.num_heads, self.embed_dim // self.num_heads
        biases = [None] * 3
        if self.in_proj_bias is not None:
            biases = tf.split(self.in_proj_bias, 3)
        projected = []
        for x, weight, bias in zip(
            (query, key, value), tf.split(self.in_proj_weight, 3), biases, strict=True
        ):
            x = tf.matmul(x, weight, transpose_b=True)
            x = x + bias if bias is not None else x
            shape = (tf.shape(x)[0], tf.shape(x)[1], heads, size)
            projected.append(tf.transpose(tf.reshape(x, shape), (0, 2, 1, 3)))
        q, k, v = projected
        scores = tf.matmul(q, k, transpose_b=True) * size**-0.5
        if is_causal and attn_mask is None:
            ones = tf.ones((tf.shape(q)[2], tf.shape(k)[2]), tf.bool)
            attn_mask = tf.logical_not(tf.linalg.band_part(ones, -1, 0))
        if attn_mask is not None:
            if len(attn_mask.shape) == 3:  # (N * heads, L, S)
                attn_mask = tf.reshape(attn_mask, (-1, heads, *attn_mask.shape[1:]))
            scores = masked_scores(scores, attn_mask)
        if key_padding_mask is not None:
            padding = key_padding_mask[None] if unbatched else key_padding_mask
            scores = masked_scores(scores, padding[:, None, None, :])
        weights = tf.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = tf.nn.dropout(weights, rate=self.dropout)
        out = tf.transpose(tf.matmul(weights, v), (0, 2, 1, 3))
        out = self.out_proj(tf.reshape(out, (tf.shape(out)[0], -1, self.embed_dim)))
        if unbatched:
            out, weights = out[0], weights[0]
        elif not self.batch_first:
            out = tf.transpose(out, (1, 0, 2))
        if not need_weights:
            return out, None
        axis = 0 if unbatched else 1
        return out, tf.reduce_mean(weights, axis) if average_attn_weights else weights


class TransformerEncoderLayer(keras.layers.Layer):
    """nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with
    dropout, a residual connection and a LayerNorm (after, or before with norm_first).
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.options = dict(
            d_model=d_model,
            nhead=nhead,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
        )
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first
        )
        self.linear1 = keras.layers.Dense(
            dim_feedforward, use_bias=bias, **torch_init(d_model)
        )
        self.linear2 = keras.layers.Dense(
            d_model, use_bias=bias, **torch_init(dim_feedforward)
        )
        self.norm1 = keras.layers.LayerNormalization(
            epsilon=layer_norm_eps, center=bias
        )
        self.norm2 = keras.layers.LayerNormalization(
            epsilon=layer_norm_eps, center=bias
        )
        self.dropout_rate, self.norm_first = dropout, norm_first
        if activation == "relu":
            activation = tf.nn.relu
        elif activation == "gelu":
            activation = tf.nn.gelu
        self.activation = activation

    def dropout(self, x, training):
        if training and self.dropout_rate > 0:
            return tf.nn.dropout(x, rate=self.dropout_rate)
        return x

    def call(
        self,
        src,
        src_mask=None,
        src_key_padding_mask=None,
        is_causal=False,
        training=None,
    ):
        def attention(x):
            out, _ = self.self_attn(
                x,
                x,
                x,
                key_padding_mask=src_key_padding_mask,
                need_weights=False,
                attn_mask=src_mask,
                is_causal=is_causal,
                training=training,
            )
            return self.dropout(out, training)

        def feed_forward(x):
            x = self.dropout(self.activation(self.linear1(x)), training)
            return self.dropout(self.linear2(x), training)

        x = src
        if self.norm_first:
            x = x + attention(self.norm1(x))
            return x + feed_forward(self.norm2(x))
        x = self.norm1(x + attention(x))
        return self.norm2(x + feed_forward(x))


class TransformerEncoder(keras.layers.Layer):
    """nn.TransformerEncoder: num_layers layers made like encoder_layer (each initialized
    afresh: PyTorch copies the first one's weights), then an optional norm."""

    def __init__(
        self,
        encoder_layer,
        num_layers,
        norm=None,
        enable_nested_tensor=True,
        mask_check=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        kind, options = type(encoder_layer), encoder_layer.options
        self.layers_ = [kind(**options) for _ in range(num_layers)]
        self.norm = norm

    def call(
        self, src, mask=None, src_key_padding_mask=None, is_causal=None, training=None
    ):
        x = src
        for layer in self.layers_:
            x = layer(
                x,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
                training=training,
            )
        return self.norm(x) if self.norm is not None else x


class Encoder(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = TransformerEncoderLayer(
            8, 4, 32, batch_first=True, norm_first=True, activation="gelu"
        )
        self.batch_attn = MultiheadAttention(8, 4, dropout=0.1, batch_first=True)
        layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1)
        self.encoder = TransformerEncoder(
            layer, 2, norm=keras.layers.LayerNormalization(epsilon=1e-05)
        )
        self.attn = MultiheadAttention(8, 2)

    def call(self, x, training=False):
        y = self.first(x, training=training)
        z, weights = self.batch_attn(y, y, y, training=training)
        t = self.encoder(swapaxes(z, 0, 1), training=training)
        out, _ = self.attn(t, t, t, need_weights=False, training=training)
        return swapaxes(out, 0, 1), weights
