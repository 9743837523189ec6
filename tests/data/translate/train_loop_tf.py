"""A plain training loop: optimizer, scheduler, loss module, clipping, eval, save."""

import keras
import numpy as np
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


def compiled(step):
    """tf.function, traced once for this step and the objects it reads: a step defined in a
    function called every epoch (pytorch/examples' train()) reuses the graph the first epoch
    traced instead of tracing anew. Reused only for the same model, optimizer and layers (by
    identity) and the same plain values (by value); a step reading anything else (a list, a
    dict) is traced anew, as a new tf.function would be."""
    cache = compiled.__dict__.setdefault("cache", {})
    key = [step.__code__]
    for cell in step.__closure__ or ():
        value = cell.cell_contents
        if callable(value) or isinstance(value, keras.Optimizer | tf.Module):
            key.append(("object", id(value)))  # a layer or model is callable
            continue
        try:
            key.append((type(value), hash(value), value))
        except TypeError:
            return tf.function(step)
    key = tuple(key)
    if key not in cache:
        cache[key] = (tf.function(step), step.__closure__)  # keeps what it reads alive
    return cache[key][0]


def collate(samples):
    """PyTorch's default_collate: samples (tuples, dicts, tensors, arrays, numbers) stacked
    field by field into one batch."""
    first = samples[0]
    if isinstance(first, tuple | list):
        return type(first)(collate(list(field)) for field in zip(*samples, strict=True))
    if isinstance(first, dict):
        return {key: collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, str | bytes):
        return list(samples)
    if isinstance(first, float):
        return tf.constant(samples, tf.float64)
    if isinstance(first, int):
        return tf.constant(samples, tf.int64)
    return tf.stack([tf.convert_to_tensor(sample) for sample in samples])


class DataLoader:
    """torch.utils.data.DataLoader: batches, reshuffled every epoch. Over a tf.data.Dataset,
    a tf.data pipeline (shuffle, batch, prefetch); over a map-style data set (a Dataset
    subclass: `__len__`, `__getitem__`), or with a `collate_fn`, the samples read in a
    (shuffled) order and stacked by `collate_fn` (PyTorch's default: collate above)."""

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        **unused,  # timeout, worker_init_fn...: where and how fast, not which batches
    ):
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError(
                "DataLoader's sampler and batch_sampler: not translated"
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.collate_fn = collate_fn
        self.batches = None
        if isinstance(dataset, tf.data.Dataset) and collate_fn is None:
            batches = dataset
            if shuffle:
                batches = batches.shuffle(len(dataset), reshuffle_each_iteration=True)
            batches = batches.batch(batch_size, drop_remainder=drop_last)
            self.batches = batches.prefetch(tf.data.AUTOTUNE)

    def __iter__(self):
        if self.batches is not None:
            return iter(self.batches)
        return self._read()

    def _read(self):
        total = len(self.dataset)
        order = np.random.permutation(total) if self.shuffle else np.arange(total)
        if isinstance(
            self.dataset, tf.data.Dataset
        ):  # a collate_fn over tf.data samples
            samples = list(self.dataset)
            read = samples.__getitem__
        else:
            read = self.dataset.__getitem__
        for start in range(0, total, self.batch_size):
            chosen = order[start : start + self.batch_size]
            if self.drop_last and len(chosen) < self.batch_size:
                break
            batch = [read(int(i)) for i in chosen]
            yield (self.collate_fn or collate)(batch)

    def __len__(self):
        if self.batches is not None:
            return len(self.batches)
        whole, rest = divmod(len(self.dataset), self.batch_size)
        return whole + (1 if rest and not self.drop_last else 0)


def class_nll(
    log_probs,
    target,
    weight=None,
    ignore_index=-100,
    reduction="mean",
    smoothing=0.0,
):
    """PyTorch's NLL on (N, C) log-probabilities: class weights (the mean divides by the
    targets' summed weight), targets equal to `ignore_index` left out, and label smoothing
    (ε/C of the weighted sum over classes)."""
    target = tf.cast(target, tf.int32)
    keep = tf.not_equal(target, ignore_index)
    safe = tf.where(keep, target, tf.zeros_like(target))
    mask = tf.cast(keep, log_probs.dtype)
    if weight is None:
        weight = tf.ones(tf.shape(log_probs)[1:2], log_probs.dtype)
    weight = tf.cast(weight, log_probs.dtype)
    picked_weight = tf.gather(weight, safe) * mask
    loss = -tf.gather(log_probs, safe, axis=1, batch_dims=1) * picked_weight
    smooth = -tf.reduce_sum(log_probs * weight, axis=1) * mask
    if reduction == "mean":
        total = tf.reduce_sum(picked_weight)
        loss, smooth = tf.reduce_sum(loss) / total, tf.reduce_sum(smooth) / total
    elif reduction == "sum":
        loss, smooth = tf.reduce_sum(loss), tf.reduce_sum(smooth)
    if not smoothing:
        return loss
    classes = tf.cast(tf.shape(log_probs)[1], log_probs.dtype)
    return (1 - smoothing) * loss + smoothing / classes * smooth


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """F.cross_entropy on logits and integer class labels."""
    logp = tf.nn.log_softmax(input, axis=1)
    return class_nll(logp, target, weight, ignore_index, reduction, label_smoothing)


class FunctionModule:
    """A PyTorch module that holds options and no weights (a loss, a distance): calling it
    calls its class's `function` with them. Losses keep PyTorch's (input, target) order,
    not Keras's (target, prediction), so call sites need no change."""

    def __init__(self, **options):
        self.options = options

    def __call__(self, *inputs, **arguments):
        return type(self).function(*inputs, **self.options, **arguments)


class CrossEntropyLoss(FunctionModule):
    """nn.CrossEntropyLoss: loss(logits, labels), PyTorch's argument order."""

    function = staticmethod(cross_entropy)


class LRScheduler:
    """Per-epoch learning-rate schedule: step() once per epoch, as in PyTorch."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = float(optimizer.learning_rate.numpy())
        self.last_epoch = 0

    def lr_at(self, epoch):
        return self.base_lr

    def step(self):
        self.last_epoch += 1
        self.optimizer.learning_rate = self.lr_at(self.last_epoch)

    def get_last_lr(self):
        return [float(self.optimizer.learning_rate.numpy())]


class CosineAnnealingLR(LRScheduler):
    """eta_min + (lr - eta_min) · (1 + cos(pi · epoch / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        self.t_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch):
        cosine = (1 + tf.cos(tf.constant(3.141592653589793) * epoch / self.t_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * float(cosine)


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = keras.Sequential(
            [
                keras.layers.Dense(16, **torch_init(3)),
                keras.layers.Activation("tanh"),
                keras.layers.Dense(4, **torch_init(16)),
            ]
        )

    def call(self, x, training=False):
        return self.net(x, training=training)


def main(epochs=3):
    keras.utils.set_random_seed(0)
    x = tf.random.normal((64, 3))
    y = tf.cast((tf.reduce_sum(x, axis=1) > 0), tf.int64)
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    loader = DataLoader(dataset, batch_size=16, shuffle=True)
    model = Regressor()
    criterion = CrossEntropyLoss()
    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs)
    losses = []

    # the PyTorch step, compiled: forward under a tape, then apply
    @compiled
    def train_step(inputs, labels):
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = criterion(logits, labels)
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        gradients, _ = tf.clip_by_global_norm(gradients, 1.0)
        optimizer.apply_gradients(zip(gradients, variables, strict=True))

    for epoch in range(epochs):
        for inputs, labels in loader:
            train_step(inputs, labels)
        scheduler.step()
        losses.append((epoch, criterion(model(x), y).numpy().item()))
    model.save_weights("regressor.weights.h5")
    return losses
