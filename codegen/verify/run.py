"""`dlgen verify`: build both generated projects' models and compare them."""

from __future__ import annotations

from pathlib import Path

from ..check import CheckedModel
from .compare import (
    DEFAULT_STEPS,
    Check,
    Result,
    build_pair,
    compare_forward,
    compare_training,
    data_batches,
    keras_input,
    synthetic_batches,
)

FILE_KINDS = ("mnist", "npz", "csv", "text")


def verify_projects(
    checked: CheckedModel,
    torch_dir: Path,
    tf_dir: Path,
    data_path: str | None = None,
    steps: int = DEFAULT_STEPS,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    wtol: float = 1e-4,
    device: str = "cpu",
) -> Result:
    """Forward comparison, then `steps` training steps on identical batches."""
    seed = checked.loaded.spec.train.seed
    pair = build_pair(checked, torch_dir, tf_dir, seed, device)
    checks: list[Check] = []
    kind = checked.loaded.spec.data.kind
    if kind in FILE_KINDS and data_path is None:
        batch = checked.loaded.spec.data.batch_size
        torch_batches = synthetic_batches(checked, steps, batch, seed)
        tf_batches = [(keras_input(checked, x), y) for x, y in torch_batches]
        per_epoch = steps
        note = f"random inputs and labels: pass --data to compare on the {kind} data through both pipelines"
    else:
        torch_batches, tf_batches, per_epoch, batches_check = data_batches(
            pair, data_path or "unused", steps, seed
        )
        checks.append(batches_check)
        note = None
    sample = torch_batches[0][0][:4]
    forward, forward_numbers = compare_forward(pair, sample, atol)
    if note:
        forward.notes.append(note)
    checks.append(forward)
    training, torch_losses, tf_losses = compare_training(
        pair, torch_batches, tf_batches, per_epoch, rtol, wtol
    )
    checks.extend(training)
    numbers = {
        "forward": forward_numbers,
        "losses": {"pytorch": torch_losses, "tensorflow": tf_losses},
    }
    return Result(checks, numbers)
