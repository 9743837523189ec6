"""A word language model (after pytorch/examples/word_language_model), smaller."""

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


class RNNBase(keras.layers.Layer):
    """nn.LSTM / nn.GRU / nn.RNN with PyTorch's arguments, input layout (time-major unless
    batch_first) and results: `output, (h_n, c_n)` for LSTM, `output, h_n` otherwise, where
    h_n is (num_layers · directions, batch, hidden)."""

    kind = "LSTM"

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        nonlinearity="tanh",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not bias:
            raise ValueError(f"{self.kind} without bias has no Keras equivalent")
        self.hidden_size = hidden_size
        self.batch_first = batch_first
        self.directions = 2 if bidirectional else 1
        bound = 1 / hidden_size**0.5
        options = {
            "return_sequences": True,
            "return_state": True,
            "kernel_initializer": keras.initializers.RandomUniform(-bound, bound),
            "recurrent_initializer": keras.initializers.RandomUniform(-bound, bound),
            "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
        }
        self.rnns = []
        for _ in range(num_layers):
            if self.kind == "LSTM":
                rnn = keras.layers.LSTM(hidden_size, unit_forget_bias=False, **options)
            elif self.kind == "GRU":
                rnn = keras.layers.GRU(hidden_size, reset_after=True, **options)
            else:
                options["activation"] = nonlinearity
                rnn = keras.layers.SimpleRNN(hidden_size, **options)
            self.rnns.append(keras.layers.Bidirectional(rnn) if bidirectional else rnn)
        self.between = None
        if dropout and num_layers > 1:
            self.between = keras.layers.Dropout(dropout)

    def call(self, x, hx=None, training=False):
        if not self.batch_first:
            x = tf.transpose(x, (1, 0, 2))
        per_state = 2 if self.kind == "LSTM" else 1
        if hx is not None and self.kind != "LSTM":
            hx = (hx,)
        finals = []
        for index, rnn in enumerate(self.rnns):
            if index and self.between is not None:
                x = self.between(x, training=training)
            initial = None
            if hx is not None:
                rows = range(index * self.directions, (index + 1) * self.directions)
                initial = [state[row] for row in rows for state in hx]
            x, *states = rnn(x, initial_state=initial, training=training)
            finals.append(states)
        output = x if self.batch_first else tf.transpose(x, (1, 0, 2))
        # h_n rows: layer 0 forward, layer 0 backward, layer 1 forward, ...
        directions = range(self.directions)
        stacked = []
        for s in range(per_state):
            rows = [states[d * per_state + s] for states in finals for d in directions]
            stacked.append(tf.stack(rows))
        return output, tuple(stacked) if self.kind == "LSTM" else stacked[0]


class LSTM(RNNBase):
    """nn.LSTM: returns output, (h_n, c_n)."""

    kind = "LSTM"


class RNNModel(keras.Model):
    def __init__(self, ntoken=50, ninp=16, nhid=24, nlayers=2, dropout=0.2, **kwargs):
        super().__init__(**kwargs)
        self.ntoken = ntoken
        self.drop = keras.layers.Dropout(dropout)
        self.encoder = keras.layers.Embedding(
            ntoken,
            ninp,
            embeddings_initializer=keras.initializers.RandomNormal(0.0, 1.0),
        )
        self.rnn = LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = keras.Sequential(
            [keras.layers.Dense(ntoken, **torch_init(nhid)), keras.layers.Identity()]
        )
        self.scale = keras.Variable(tf.ones((1,)), trainable=False)
        self.nlayers = nlayers
        self.nhid = nhid

    def init_hidden(self, bsz):
        zeros = tf.zeros((self.nlayers, bsz, self.nhid))
        return (zeros, zeros)

    def call(self, input, hidden=None, training=False):
        if hidden is None:
            hidden = self.init_hidden(input.shape[1])
        emb = self.drop(self.encoder(input), training=training)
        output, hidden = self.rnn(emb, hidden, training=training)
        output = self.drop(output, training=training)
        decoded = self.decoder(output, training=training) * self.scale
        decoded = tf.reshape(decoded, (-1, self.ntoken))
        return tf.nn.log_softmax(decoded, axis=1), hidden
