"""Training-script rules: module methods, optimizers, schedulers, losses, data loading.

The training loop itself (zero_grad / forward / loss / backward / step) is a statement-level
rewrite in `loop.py`; the rules here are calls.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

import libcst as cst

from .context import Args, Ctx, Rule, Untranslatable, code, grouped, register, string_literal

RULES: dict[str, Rule] = {}  # canonical PyTorch name → rule (optimizers, losses, data)
METHODS: dict[str, Rule] = {}  # method name → rule, on any receiver (optimizer.step, ...)
MODULE_METHODS: dict[str, Rule] = {}  # nn.Module methods (model.modules(), model.apply(fn))


def _receiver(call: cst.Call) -> str:
    assert isinstance(call.func, cst.Attribute)
    return code(call.func.value)


@register(MODULE_METHODS, "modules")
def modules(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, (), "Module.modules")
    return ctx.expr(f"{ctx.use('all_layers')}({_receiver(call)})")


@register(MODULE_METHODS, "apply")
def apply(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
    if isinstance(receiver, cst.Name) and receiver.value[:1].isupper():
        # `Module.apply` is called on a model; `Clamp.apply(x)` on a class is a custom
        # torch.autograd.Function, whose backward has no Keras counterpart written here.
        raise Untranslatable(
            f"{receiver.value}.apply: a custom torch.autograd.Function (tf.custom_gradient "
            "is its TensorFlow counterpart)"
        )
    a = Args(call, ("fn",), "Module.apply")
    return ctx.expr(f"{ctx.use('apply_to_layers')}({_receiver(call)}, {a.code('fn')})")


@register(MODULE_METHODS, "register_buffer")
def register_buffer(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """A buffer is a non-trainable Keras variable under the same attribute name."""
    a = Args(call, ("name", "tensor", "persistent"), "Module.register_buffer")
    name = a.code("name")
    return ctx.expr(
        f"setattr({_receiver(call)}, {name}, keras.Variable({a.code('tensor')}, trainable=False))"
    )


def _as_attribute(value: str, api: str) -> Rule:
    """`m.<api>(name, value)` → `setattr(m, name, value)`: a parameter or submodule under a
    name is an attribute of that name, and Keras tracks what is assigned to a layer's
    attributes, weights included."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("name", value), api)
        return ctx.expr(f"setattr({_receiver(call)}, {a.code('name')}, {a.code(value)})")

    return rule


register(MODULE_METHODS, "register_parameter")(_as_attribute("param", "Module.register_parameter"))
register(MODULE_METHODS, "add_module", "register_module")(
    _as_attribute("module", "Module.add_module")
)


@register(MODULE_METHODS, "__getattr__")
def get_attribute(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """`m.__getattr__(name)` reaches nn.Module's lookup of submodules and parameters; a Keras
    layer keeps them as plain attributes (and has no `__getattr__` to call)."""
    a = Args(call, ("name",), "Module.__getattr__")
    name = a.values["name"]
    attr = name.evaluated_value if isinstance(name, cst.SimpleString) else None
    if isinstance(attr, str) and attr.isidentifier() and not keyword.iskeyword(attr):
        return ctx.expr(f"{_receiver(call)}.{attr}")
    return ctx.expr(f"getattr({_receiver(call)}, {a.code('name')})")


def _no_keras_form(name: str):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        raise Untranslatable(f"nn.Module.{name}() has no Keras counterpart here")

    return rule


for _name in (
    "named_parameters",
    "named_modules",
    "children",
    "named_children",
    "buffers",
    "named_buffers",
    "register_forward_hook",
    "register_forward_pre_hook",
    "register_full_backward_hook",
):
    register(MODULE_METHODS, _name)(_no_keras_form(_name))


@register(MODULE_METHODS, "parameters")
def parameters(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, ("recurse",), "Module.parameters")
    return ctx.expr(f"{_receiver(call)}.trainable_variables")


@register(MODULE_METHODS, "state_dict")
def state_dict(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """In a checkpoint dict (`torch.save({"net": net.state_dict(), ...}, path)`): the
    variables' values by path (`torch.save(net.state_dict(), path)` is save_weights)."""
    Args(call, ("destination", "prefix", "keep_vars"), "Module.state_dict")
    return ctx.expr(f"{ctx.use('state_dict')}({_receiver(call)})")


@register(MODULE_METHODS, "load_state_dict")
def load_state_dict(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("state_dict", "strict", "assign"), "Module.load_state_dict")
    source = a.values["state_dict"]
    if isinstance(source, cst.Call) and code(source.func) in ("torch.load", "load"):
        path = code(source.args[0].value) if source.args else ""
        return ctx.expr(f"{_receiver(call)}.load_weights({ctx.use('weights_path')}({path}))")
    a.refuse("strict", unless=True)
    a.refuse("assign", unless=False)
    # a checkpoint's entry (`checkpoint["net"]`): what the prelude's state_dict() gave
    return ctx.expr(f"{ctx.use('load_state_dict')}({_receiver(call)}, {code(source)})")


# ---------------------------------------------------------------- optimizers

OPTIM = "torch.optim."


def _always(a: Args) -> bool:
    return True


def _optimizer(keras_name: str, params: tuple[str, ...], spell, coupled=_always):
    """`coupled(args)`: whether PyTorch's weight_decay is, for these arguments, an L2 term
    added to each gradient (the prelude's coupled_weight_decay) rather than one `spell` gives
    Keras's optimizer (decoupled, the same update)."""

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("params", *params), f"optim.{keras_name}")
        made = f"keras.optimizers.{keras_name}({', '.join(spell(a, ctx))})"
        decay = a.code("weight_decay", "0")
        if decay not in ("0", "0.0") and coupled(a):
            return ctx.expr(f"{ctx.use('coupled_weight_decay')}({made}, {decay})")
        return ctx.expr(made)

    return rule


def _adam_like(default_wd: str, decoupled: bool):
    def spell(a: Args, ctx: Ctx) -> list[str]:
        out = [f"learning_rate={a.code('lr', '0.001')}"]
        if a.has("betas"):
            if a.is_literal("betas"):
                beta_1, beta_2 = a.literal("betas")  # type: ignore[misc]
                out += [f"beta_1={beta_1!r}", f"beta_2={beta_2!r}"]
            else:
                betas = a.code("betas")
                out += [f"beta_1={betas}[0]", f"beta_2={betas}[1]"]
        out.append(f"epsilon={a.code('eps', '1e-08')}")
        if decoupled:
            out.append(f"weight_decay={a.code('weight_decay', default_wd)}")
        if a.has("amsgrad"):
            out.append(f"amsgrad={a.code('amsgrad')}")
        return out

    return spell


ADAM_PARAMS = (
    "lr",
    "betas",
    "eps",
    "weight_decay",
    "amsgrad",
    "foreach",
    "maximize",
    "capturable",
    "differentiable",
    "fused",
)
register(RULES, OPTIM + "Adam")(_optimizer("Adam", ADAM_PARAMS, _adam_like("0", False)))


@register(RULES, OPTIM + "LBFGS")
def lbfgs(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The prelude's port of PyTorch's LBFGS, given the model (its variables are read when
    the closure has built it); `optimizer.step(closure)` as written (transformer: the
    closure's zero_grad and backward are the LBFGS's tape)."""
    params = ("params", "lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change")
    a = Args(call, (*params, "history_size", "line_search_fn"), "optim.LBFGS")
    a.refuse("line_search_fn", unless=None)
    model = a.code("params")
    for ending in (".trainable_variables", ".parameters()"):
        model = model.removesuffix(ending)
    if model == a.code("params"):
        raise Untranslatable("optim.LBFGS over other parameters than one model's")
    rest = [f"{name}={a.code(name)}" for name in (*params[1:], "history_size") if a.has(name)]
    ctx.note("PyTorch's algorithm, ported (no line search)")
    return ctx.expr(f"{ctx.use('LBFGS')}({', '.join([model, *rest])})")


register(RULES, OPTIM + "AdamW")(
    _optimizer("AdamW", ADAM_PARAMS, _adam_like("0.01", True), coupled=lambda a: False)
)


def _sgd_momentum(a: Args) -> bool:
    return a.code("momentum", "0") not in ("0", "0.0")


def _sgd(a: Args, ctx: Ctx) -> list[str]:
    a.refuse("dampening", unless=0)
    out = [f"learning_rate={a.code('lr', '0.001')}"]
    momentum = a.code("momentum", "0")
    if momentum not in ("0", "0.0"):
        out.append(f"momentum={momentum}")
    if a.has("nesterov"):
        out.append(f"nesterov={a.code('nesterov')}")
    wd = a.code("weight_decay", "0")
    if wd not in ("0", "0.0") and not _sgd_momentum(a):
        out.append(f"weight_decay={wd}")  # plain SGD: decoupled equals coupled
    return out


register(RULES, OPTIM + "SGD")(
    _optimizer(
        "SGD",
        (
            "lr",
            "momentum",
            "dampening",
            "weight_decay",
            "nesterov",
            "maximize",
            "foreach",
            "differentiable",
            "fused",
        ),
        _sgd,
        coupled=_sgd_momentum,
    )
)


def _adadelta(a: Args, ctx: Ctx) -> list[str]:
    return [
        f"learning_rate={a.code('lr', '1.0')}",
        f"rho={a.code('rho', '0.9')}",
        f"epsilon={a.code('eps', '1e-06')}",
    ]


register(RULES, OPTIM + "Adadelta")(
    _optimizer(
        "Adadelta",
        ("lr", "rho", "eps", "weight_decay", "foreach", "capturable", "maximize", "differentiable"),
        _adadelta,
    )
)


def _rmsprop(a: Args, ctx: Ctx) -> list[str]:
    out = [
        f"learning_rate={a.code('lr', '0.01')}",
        f"rho={a.code('alpha', '0.99')}",
        f"epsilon={a.code('eps', '1e-08')}",
    ]
    if a.has("momentum"):
        out.append(f"momentum={a.code('momentum')}")
    if a.has("centered"):
        out.append(f"centered={a.code('centered')}")
    return out


register(RULES, OPTIM + "RMSprop")(
    _optimizer(
        "RMSprop",
        (
            "lr",
            "alpha",
            "eps",
            "weight_decay",
            "momentum",
            "centered",
            "capturable",
            "foreach",
            "maximize",
            "differentiable",
        ),
        _rmsprop,
    )
)


# ---------------------------------------------------------------- schedulers


def _scheduler(name: str, params: tuple[str, ...]):
    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, ("optimizer", *params, "last_epoch", "verbose"), f"lr_scheduler.{name}")
        a.refuse("last_epoch", unless=-1)
        kept = [
            arg
            for arg in call.args
            if not (arg.keyword and arg.keyword.value in ("last_epoch", "verbose"))
        ]
        return call.with_changes(func=cst.Name(ctx.use(name)), args=kept)

    return rule


for _name, _params in (
    ("StepLR", ("step_size", "gamma")),
    ("CosineAnnealingLR", ("T_max", "eta_min")),
    ("ExponentialLR", ("gamma",)),
):
    register(RULES, f"{OPTIM}lr_scheduler.{_name}")(_scheduler(_name, _params))


# ------------------------------------------- losses, distances, other functions without weights

F = "torch.nn.functional."
NN = "torch.nn."
_LEGACY = ("size_average", "reduce")  # deprecated by PyTorch: translated only when None


@dataclass(frozen=True)
class Weightless:
    """A PyTorch function without weights and its module class (nn.MSELoss for F.mse_loss):
    PyTorch's inputs and options in order, the module's options when they differ from the
    function's, and the options the prelude has no counterpart for (refused unless at the
    default given)."""

    module: str | None
    inputs: tuple[str, ...]
    options: tuple[str, ...]
    module_options: tuple[str, ...] | None = None
    refused: tuple[tuple[str, object], ...] = ()


_REDUCTION = ("size_average", "reduce", "reduction")
_NO_WEIGHT = (("weight", None),)
WEIGHTLESS: dict[str, Weightless] = {
    "cross_entropy": Weightless(
        "CrossEntropyLoss",
        ("input", "target"),
        ("weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing"),
    ),
    "nll_loss": Weightless(
        "NLLLoss",
        ("input", "target"),
        ("weight", "size_average", "ignore_index", "reduce", "reduction"),
    ),
    "mse_loss": Weightless(
        "MSELoss", ("input", "target"), (*_REDUCTION, "weight"), _REDUCTION, _NO_WEIGHT
    ),
    "l1_loss": Weightless(
        "L1Loss", ("input", "target"), (*_REDUCTION, "weight"), _REDUCTION, _NO_WEIGHT
    ),
    "smooth_l1_loss": Weightless("SmoothL1Loss", ("input", "target"), (*_REDUCTION, "beta")),
    "huber_loss": Weightless(
        "HuberLoss",
        ("input", "target"),
        ("reduction", "delta", "weight"),
        ("reduction", "delta"),
        _NO_WEIGHT,
    ),
    "binary_cross_entropy": Weightless(
        "BCELoss", ("input", "target"), ("weight", *_REDUCTION), refused=_NO_WEIGHT
    ),
    "binary_cross_entropy_with_logits": Weightless(
        "BCEWithLogitsLoss",
        ("input", "target"),
        ("weight", *_REDUCTION, "pos_weight"),
        refused=(("weight", None), ("pos_weight", None)),
    ),
    "kl_div": Weightless("KLDivLoss", ("input", "target"), (*_REDUCTION, "log_target")),
    "soft_margin_loss": Weightless("SoftMarginLoss", ("input", "target"), _REDUCTION),
    "margin_ranking_loss": Weightless(
        "MarginRankingLoss", ("input1", "input2", "target"), ("margin", *_REDUCTION)
    ),
    "hinge_embedding_loss": Weightless(
        "HingeEmbeddingLoss", ("input", "target"), ("margin", *_REDUCTION)
    ),
    "cosine_embedding_loss": Weightless(
        "CosineEmbeddingLoss", ("input1", "input2", "target"), ("margin", *_REDUCTION)
    ),
    "poisson_nll_loss": Weightless(
        "PoissonNLLLoss",
        ("input", "target"),
        ("log_input", "full", "size_average", "eps", "reduce", "reduction"),
    ),
    "gaussian_nll_loss": Weightless(
        "GaussianNLLLoss", ("input", "target", "var"), ("full", "eps", "reduction")
    ),
    "multilabel_soft_margin_loss": Weightless(
        "MultiLabelSoftMarginLoss", ("input", "target"), ("weight", *_REDUCTION)
    ),
    "multi_margin_loss": Weightless(
        "MultiMarginLoss", ("input", "target"), ("p", "margin", "weight", *_REDUCTION)
    ),
    "multilabel_margin_loss": Weightless("MultiLabelMarginLoss", ("input", "target"), _REDUCTION),
    "triplet_margin_loss": Weightless(
        "TripletMarginLoss",
        ("anchor", "positive", "negative"),
        ("margin", "p", "eps", "swap", *_REDUCTION),
    ),
    "triplet_margin_with_distance_loss": Weightless(
        "TripletMarginWithDistanceLoss",
        ("anchor", "positive", "negative"),
        ("distance_function", "margin", "swap", "reduction"),
    ),
    "pairwise_distance": Weightless("PairwiseDistance", ("x1", "x2"), ("p", "eps", "keepdim")),
    "cosine_similarity": Weightless("CosineSimilarity", ("x1", "x2"), ("dim", "eps")),
    "pdist": Weightless(None, ("input",), ("p",)),
    "local_response_norm": Weightless(
        "LocalResponseNorm", ("input",), ("size", "alpha", "beta", "k")
    ),
    "channel_shuffle": Weightless("ChannelShuffle", ("input",), ("groups",)),
    **{
        f"max_unpool{dims}d": Weightless(
            f"MaxUnpool{dims}d",
            ("input", "indices"),
            ("kernel_size", "stride", "padding", "output_size"),
            ("kernel_size", "stride", "padding"),
        )
        for dims in (1, 2, 3)
    },
    "ctc_loss": Weightless(
        "CTCLoss",
        ("log_probs", "targets", "input_lengths", "target_lengths"),
        ("blank", "reduction", "zero_infinity"),
    ),
    "unfold": Weightless("Unfold", ("input",), ("kernel_size", "dilation", "padding", "stride")),
    "fold": Weightless(
        "Fold", ("input",), ("output_size", "kernel_size", "dilation", "padding", "stride")
    ),
    **{
        f"lp_pool{dims}d": Weightless(
            f"LPPool{dims}d", ("input",), ("norm_type", "kernel_size", "stride", "ceil_mode")
        )
        for dims in (1, 2, 3)
    },
}


def _weightless_rule(name: str, entry: Weightless, module: bool):
    """F.<name>(inputs..., options...) → the prelude's function, or nn.<Module>(options...) →
    the prelude's class; inputs stay positional, options become keywords."""
    options = (entry.module_options or entry.options) if module else entry.options
    what = f"nn.{entry.module}" if module else f"F.{name}"

    def rule(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
        a = Args(call, options if module else (*entry.inputs, *options), what)
        a.refuse(*_LEGACY, unless=None)
        for option, default in entry.refused:
            a.refuse(option, unless=default)
        parts = [] if module else [a.code(given) for given in entry.inputs]
        parts += [
            f"{option}={a.code(option)}"
            for option in options
            if a.has(option) and option not in _LEGACY
        ]
        target = ctx.use(entry.module if module else name)
        return ctx.expr(f"{target}({', '.join(parts)})")

    return rule


for _name, _entry in WEIGHTLESS.items():
    register(RULES, F + _name)(_weightless_rule(_name, _entry, module=False))
    if _entry.module:
        register(RULES, NN + _entry.module)(_weightless_rule(_name, _entry, module=True))


# ---------------------------------------------------------------- data, saving, randomness

DATA = "torch.utils.data."


@register(RULES, DATA + "TensorDataset")
def tensor_dataset(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    if any(arg.keyword or arg.star for arg in call.args):
        raise Untranslatable("TensorDataset takes tensors only")
    tensors = ", ".join(code(arg.value) for arg in call.args)
    if len(call.args) == 1:
        return ctx.expr(f"tf.data.Dataset.from_tensor_slices({tensors})")
    return ctx.expr(f"tf.data.Dataset.from_tensor_slices(({tensors}))")


@register(RULES, DATA + "DataLoader")
def data_loader(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The prelude's DataLoader, PyTorch's arguments as written (a tf.data pipeline, or a
    map-style data set read sample by sample). Workers, pinned memory and timeouts only
    change where and how fast batches are made; a sampler chooses which, and is refused
    (here when the call shows one, by the prelude when a `**kwargs` dict holds one)."""
    if not any(arg.star for arg in call.args):
        a = Args(call, LOADER_PARAMS, "DataLoader")
        a.refuse("sampler", "batch_sampler", unless=None)
    ctx.note("shuffled each epoch, batched (a tf.data pipeline over tf.data samples)")
    return call.with_changes(func=cst.Name(ctx.use("DataLoader")))


LOADER_PARAMS = (
    "dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers",
    "collate_fn", "pin_memory", "drop_last", "timeout", "worker_init_fn",
    "multiprocessing_context", "generator", "prefetch_factor", "persistent_workers",
    "pin_memory_device", "in_order",
)  # fmt: skip


@register(RULES, DATA + "random_split")
def random_split(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, ("dataset", "lengths", "generator"), "random_split")
    ctx.note("a permutation drawn here, not PyTorch's for the same seed")
    return call.with_changes(func=cst.Name(ctx.use("random_split")))


@register(RULES, DATA + "Subset")
def subset(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, ("dataset", "indices"), "Subset")
    return call.with_changes(func=cst.Name(ctx.use("Subset")))


@register(RULES, "torch.save")
def save(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("obj", "f", "pickle_module", "pickle_protocol"), "torch.save")
    obj = a.values["obj"]
    if not (
        isinstance(obj, cst.Call)
        and isinstance(obj.func, cst.Attribute)
        and obj.func.attr.value == "state_dict"
    ):  # a checkpoint dict: pickled, as torch.save pickles it
        a.refuse("pickle_module", "pickle_protocol")
        return ctx.expr(f"{ctx.use('torch_save')}({code(obj)}, {a.code('f')})")
    model = code(obj.func.value)
    path = a.code("f")
    literal = a.literal("f") if a.is_literal("f") else None
    if isinstance(literal, str):
        stem = literal.rsplit(".", 1)[0] if "." in literal.rsplit("/", 1)[-1] else literal
        return ctx.expr(f"{model}.save_weights({string_literal(stem + '.weights.h5')})")
    return ctx.expr(f"{model}.save_weights({ctx.use('weights_path')}({path}))")


@register(RULES, "torch.nn.DataParallel", "torch.nn.parallel.DataParallel")
def data_parallel_module(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The model itself, on one device: the same computation (tf.distribute's
    MirroredStrategy is TensorFlow's way to split batches over several GPUs)."""
    a = Args(call, ("module", "device_ids", "output_device", "dim"), "nn.DataParallel")
    a.refuse("dim", unless=0)
    ctx.note("one device: the same computation (MirroredStrategy spreads it over several)")
    return grouped(a.values["module"])


@register(RULES, "torch.nn.parallel.data_parallel")
def data_parallel(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """The module called on the inputs, on one device (as DataParallel)."""
    a = Args(
        call,
        ("module", "inputs", "device_ids", "output_device", "dim", "module_kwargs"),
        "nn.parallel.data_parallel",
    )
    a.refuse("dim", unless=0)
    a.refuse("module_kwargs", unless=None)
    ctx.note("one device: the same computation (MirroredStrategy spreads it over several)")
    return ctx.expr(f"{a.code('module')}({a.code('inputs')})")


@register(RULES, "torch.load")
def load(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """A checkpoint torch_save wrote (`torch.load(path)` inside load_state_dict is
    load_weights). map_location: TensorFlow places values itself."""
    a = Args(call, ("f", "map_location", "pickle_module", "weights_only", "mmap"), "torch.load")
    a.refuse("pickle_module")
    return ctx.expr(f"{ctx.use('torch_load')}({a.code('f')})")


@register(RULES, "torch.Generator")
def generator(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    Args(call, ("device",), "torch.Generator")
    return ctx.expr("tf.random.Generator.from_non_deterministic_state()")


@register(METHODS, "manual_seed")
def generator_seed(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    a = Args(call, ("seed",), "Generator.manual_seed")
    receiver = _receiver(call)
    if receiver == "tf.random.Generator.from_non_deterministic_state()":
        return ctx.expr(f"tf.random.Generator.from_seed({a.code('seed')})")
    return ctx.expr(f"{receiver}.reset_from_seed({a.code('seed')})")


@register(RULES, "torch.nn.utils.clip_grad_norm_")
def clip_grad_norm(call: cst.Call, ctx: Ctx) -> cst.BaseExpression:
    """Kept as a marker call; the training-step rewrite turns it into tf.clip_by_global_norm."""
    a = Args(
        call,
        ("parameters", "max_norm", "norm_type", "error_if_nonfinite", "foreach"),
        "clip_grad_norm_",
    )
    a.refuse("norm_type", unless=2.0)
    return ctx.expr(f"clip_grad_norm_({a.code('parameters')}, {a.code('max_norm')})")
