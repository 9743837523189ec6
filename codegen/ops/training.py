"""Losses, optimizers and learning-rate schedules, with PyTorch defaults spelled out on both sides.

Keras defaults differ from PyTorch's (SGD lr, Adam eps, AdamW weight decay, RMSprop rho/eps):
every hyperparameter is written explicitly in the generated Keras code (EQUIVALENCE.md §7-§9).
"""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt

from .registry import REGISTRY, LossOp, OptimizerOp, Params, ScheduleOp

# ---------------------------------------------------------------- losses


class NoLossParams(Params):
    pass


class SmoothL1Params(Params):
    beta: PositiveFloat = 1.0


def _loss(
    name,
    summary,
    torch,
    keras,
    torch_name,
    keras_name,
    task,
    expects,
    params=NoLossParams,
    helper=None,
):
    REGISTRY.add_loss(
        LossOp(
            keras_helper=helper or (lambda p: ""),
            name=name,
            summary=summary,
            params=params,
            torch=torch,
            keras=keras,
            torch_name=torch_name,
            keras_name=keras_name,
            task=task,
            expects=expects,
        )
    )


_loss(
    "cross_entropy",
    "softmax cross-entropy on logits with integer labels",
    lambda p: "nn.CrossEntropyLoss()",
    lambda p: "keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
    "nn.CrossEntropyLoss",
    "SparseCategoricalCrossentropy(from_logits=True)",
    "classification",
    "one logit per class (no softmax layer at the end)",
)
_loss(
    "nll",
    "negative log-likelihood on log-probabilities with integer labels",
    lambda p: "nn.NLLLoss()",
    # log_softmax is idempotent, so SCCE on logits applied to log-probabilities is the NLL.
    lambda p: "keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
    "nn.NLLLoss",
    "SparseCategoricalCrossentropy(from_logits=True) on log-probabilities",
    "classification",
    "log-probabilities (end the model with log_softmax)",
)
_loss(
    "mse",
    "mean squared error",
    lambda p: "nn.MSELoss()",
    lambda p: "keras.losses.MeanSquaredError()",
    "nn.MSELoss",
    "MeanSquaredError",
    "regression",
    "one value per target",
)
_loss(
    "l1",
    "mean absolute error",
    lambda p: "nn.L1Loss()",
    lambda p: "keras.losses.MeanAbsoluteError()",
    "nn.L1Loss",
    "MeanAbsoluteError",
    "regression",
    "one value per target",
)
_loss(
    "smooth_l1",
    "smooth L1 (Huber scaled by 1/beta)",
    lambda p: f"nn.SmoothL1Loss(beta={p.beta!r})",
    lambda p: "keras.losses.Huber(delta=1.0)" if p.beta == 1.0 else "smooth_l1_loss",
    "nn.SmoothL1Loss",
    "Huber(delta=beta) / beta",
    "regression",
    "one value per target",
    SmoothL1Params,
    helper=lambda p: (
        ""
        if p.beta == 1.0
        else (
            "def smooth_l1_loss(y_true, y_pred):\n"
            '    """PyTorch\'s SmoothL1Loss(beta): Huber(delta=beta) / beta."""\n'
            f"    return keras.losses.huber(y_true, y_pred, delta={p.beta!r}) / {p.beta!r}\n"
        )
    ),
)
_loss(
    "bce",
    "binary cross-entropy on probabilities",
    lambda p: "nn.BCELoss()",
    lambda p: "keras.losses.BinaryCrossentropy(from_logits=False)",
    "nn.BCELoss",
    "BinaryCrossentropy(from_logits=False)",
    "binary",
    "one probability (end the model with sigmoid)",
)
_loss(
    "bce_with_logits",
    "binary cross-entropy on a logit",
    lambda p: "nn.BCEWithLogitsLoss()",
    lambda p: "keras.losses.BinaryCrossentropy(from_logits=True)",
    "nn.BCEWithLogitsLoss",
    "BinaryCrossentropy(from_logits=True)",
    "binary",
    "one logit (no sigmoid at the end)",
)


# ---------------------------------------------------------------- optimizers


class SgdParams(Params):
    lr: PositiveFloat = 0.001
    momentum: float = Field(default=0.0, ge=0, lt=1)
    nesterov: bool = False
    weight_decay: float = Field(default=0.0, ge=0, description="coupled L2, as PyTorch")


class AdamParams(Params):
    lr: PositiveFloat = 0.001
    betas: tuple[float, float] = (0.9, 0.999)
    eps: PositiveFloat = 1e-8
    weight_decay: float = Field(default=0.0, ge=0, description="coupled L2, as PyTorch")


class AdamWParams(Params):
    lr: PositiveFloat = 0.001
    betas: tuple[float, float] = (0.9, 0.999)
    eps: PositiveFloat = 1e-8
    weight_decay: float = Field(default=0.01, ge=0, description="decoupled, as both frameworks")


class RmspropParams(Params):
    lr: PositiveFloat = 0.01
    alpha: float = Field(default=0.99, gt=0, lt=1)
    eps: PositiveFloat = 1e-8
    momentum: float = Field(default=0.0, ge=0, lt=1)
    centered: bool = False
    weight_decay: float = Field(default=0.0, ge=0, description="coupled L2, as PyTorch")


def _torch_optimizer(cls: str, arguments: str) -> str:
    """The PyTorch spelling, every hyperparameter spelled out (the defaults differ from Keras's)."""
    return f"torch.optim.{cls}(model.parameters(), {arguments})"


def _sgd_torch(p: SgdParams) -> str:
    extra = ""
    if p.momentum:
        extra += f", momentum={p.momentum!r}"
    if p.nesterov:
        extra += ", nesterov=True"
    if p.weight_decay:
        extra += f", weight_decay={p.weight_decay!r}"
    return _torch_optimizer("SGD", f"lr={p.lr!r}{extra}")


def _sgd_keras(p: SgdParams) -> str:
    # Plain SGD: Keras's decoupled weight decay equals PyTorch's coupled L2 exactly.
    decay = f", weight_decay={p.weight_decay!r}" if p.weight_decay and not p.momentum else ""
    return f"keras.optimizers.SGD(learning_rate={p.lr!r}, momentum={p.momentum!r}, nesterov={p.nesterov!r}{decay})"


REGISTRY.add_optimizer(
    OptimizerOp(
        name="sgd",
        summary="stochastic gradient descent (momentum, nesterov, weight decay)",
        params=SgdParams,
        torch=_sgd_torch,
        keras=_sgd_keras,
        torch_name="torch.optim.SGD",
        keras_name="keras.optimizers.SGD",
        keras_l2=lambda p: p.weight_decay if p.momentum else 0.0,
    )
)


def _adam_torch(cls: str):
    def torch(p: AdamParams | AdamWParams) -> str:
        return _torch_optimizer(
            cls,
            f"lr={p.lr!r}, betas={tuple(p.betas)!r}, eps={p.eps!r}, weight_decay={p.weight_decay!r}",
        )

    return torch


REGISTRY.add_optimizer(
    OptimizerOp(
        name="adam",
        summary="Adam (weight decay as coupled L2, as PyTorch)",
        params=AdamParams,
        torch=_adam_torch("Adam"),
        keras=lambda p: (
            f"keras.optimizers.Adam(learning_rate={p.lr!r}, beta_1={p.betas[0]!r}, "
            f"beta_2={p.betas[1]!r}, epsilon={p.eps!r})"
        ),
        torch_name="torch.optim.Adam",
        keras_name="keras.optimizers.Adam",
        keras_l2=lambda p: p.weight_decay,
        torch_eps_matching_keras=lambda p, t: p.eps / (1 - p.betas[1] ** t) ** 0.5,
    )
)
REGISTRY.add_optimizer(
    OptimizerOp(
        name="adamw",
        summary="Adam with decoupled weight decay",
        params=AdamWParams,
        torch=_adam_torch("AdamW"),
        keras=lambda p: (
            f"keras.optimizers.AdamW(learning_rate={p.lr!r}, weight_decay={p.weight_decay!r}, "
            f"beta_1={p.betas[0]!r}, beta_2={p.betas[1]!r}, epsilon={p.eps!r})"
        ),
        torch_name="torch.optim.AdamW",
        keras_name="keras.optimizers.AdamW",
        keras_l2=lambda p: 0.0,
        torch_eps_matching_keras=lambda p, t: p.eps / (1 - p.betas[1] ** t) ** 0.5,
    )
)
REGISTRY.add_optimizer(
    OptimizerOp(
        name="rmsprop",
        summary="RMSprop (alpha ↔ Keras rho)",
        params=RmspropParams,
        torch=lambda p: _torch_optimizer(
            "RMSprop",
            f"lr={p.lr!r}, alpha={p.alpha!r}, eps={p.eps!r}, momentum={p.momentum!r}, "
            f"centered={p.centered!r}, weight_decay={p.weight_decay!r}",
        ),
        keras=lambda p: (
            f"keras.optimizers.RMSprop(learning_rate={p.lr!r}, rho={p.alpha!r}, epsilon={p.eps!r}, "
            f"momentum={p.momentum!r}, centered={p.centered!r})"
        ),
        torch_name="torch.optim.RMSprop",
        keras_name="keras.optimizers.RMSprop",
        keras_l2=lambda p: p.weight_decay,
        negligible_eps=(1e-12, 1e-24),
    )
)


# ---------------------------------------------------------------- schedules (stepped once per epoch)


class StepParams(Params):
    step_size: PositiveInt = Field(description="epochs between decays")
    gamma: PositiveFloat = 0.1


class ExponentialParams(Params):
    gamma: PositiveFloat


class CosineParams(Params):
    t_max: PositiveInt = Field(description="epochs of one half cosine")
    eta_min: float = Field(default=0.0, ge=0)


REGISTRY.add_schedule(
    ScheduleOp(
        name="step",
        summary="multiply the lr by gamma every step_size epochs",
        params=StepParams,
        torch=lambda p: f"torch.optim.lr_scheduler.StepLR(optimizer, step_size={p.step_size!r}, gamma={p.gamma!r})",
        keras_lr=lambda p: f"lr * {p.gamma!r} ** (epoch // {p.step_size!r})",
        torch_name="StepLR",
        keras_name="LearningRateScheduler",
    )
)
REGISTRY.add_schedule(
    ScheduleOp(
        name="exponential",
        summary="multiply the lr by gamma every epoch",
        params=ExponentialParams,
        torch=lambda p: f"torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma={p.gamma!r})",
        keras_lr=lambda p: f"lr * {p.gamma!r} ** epoch",
        torch_name="ExponentialLR",
        keras_name="LearningRateScheduler",
    )
)
REGISTRY.add_schedule(
    ScheduleOp(
        name="cosine",
        summary="cosine annealing from lr to eta_min over t_max epochs",
        params=CosineParams,
        torch=lambda p: (
            f"torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max={p.t_max!r}, eta_min={p.eta_min!r})"
        ),
        keras_lr=lambda p: (
            f"{p.eta_min!r} + (lr - {p.eta_min!r}) * (1 + math.cos(math.pi * epoch / {p.t_max!r})) / 2"
        ),
        torch_name="CosineAnnealingLR",
        keras_name="LearningRateScheduler",
    )
)
