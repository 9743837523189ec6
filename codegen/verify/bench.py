"""The seeds' comparison table, for real: run both generated projects' training for the same
work and report wall time, peak memory and the final loss and metric of each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class BenchRow:
    framework: str
    train_time_s: float
    process_time_s: float
    peak_memory_mb: float
    final_loss: float
    final_metric: str
    samples_per_s: float | None
    losses: list[float]


# Runs train.py as `python train.py ARGS` would, then prints the process's peak memory: the
# measurement lives here, not in the user's script. VmHWM on Linux (ru_maxrss can carry over
# the peak of the process that started this one), ru_maxrss elsewhere; the GPU's own peak
# where PyTorch trained on one.
PEAK_MARK = "dlgen-peak-memory-mb"
MEASURED_RUN = f"""
import resource, runpy, sys
sys.argv = ["train.py", *sys.argv[1:]]
sys.path.insert(0, "")
runpy.run_path("train.py", run_name="__main__")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
torch = sys.modules.get("torch")
if torch is not None and torch.cuda.is_available() and torch.cuda.max_memory_allocated():
    peak = torch.cuda.max_memory_allocated() / 2**20
print("{PEAK_MARK}", peak)
"""


def run_project(
    folder: Path, args: list[str], out: Path, on_epoch: Any = None
) -> tuple[dict[str, Any], float]:
    """Run a generated train.py in its folder; returns its metrics.json and the process time."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    if "--max-steps" in args and "--max-steps" not in (folder / "train.py").read_text():
        at = args.index("--max-steps")  # a full-batch project: every epoch is one step anyway
        args = args[:at] + args[at + 2 :]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", MEASURED_RUN, *args, "--out", str(out)],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines = []
    assert process.stdout is not None
    peak = None
    for line in process.stdout:
        if line.startswith(PEAK_MARK):
            peak = float(line.split()[1])
            continue
        lines.append(line)
        # PyTorch's train.py prints `epoch: N, ...` when an epoch ends, Keras's fit `Epoch N/E`
        # when one begins.
        if line.startswith(("epoch:", "Epoch ")) and on_epoch is not None:
            on_epoch()
    if process.wait() != 0:
        tail = "".join(lines[-20:])
        raise RuntimeError(f"{folder / 'train.py'} failed:\n{tail}")
    elapsed = time.perf_counter() - start
    metrics = json.loads((out / "metrics.json").read_text())
    metrics.setdefault("peak_memory_mb", peak)
    return metrics, elapsed


def summarize(
    framework: str, metrics: dict[str, Any], elapsed: float, samples: int | None
) -> BenchRow:
    final = metrics["epochs"][-1] if metrics["epochs"] else {}
    preferred = ("val_accuracy", "accuracy", "val_mae", "mae", "val_mse", "mse")
    metric = next(((k, final[k]) for k in preferred if k in final), None)
    wall = metrics["wall_time_s"]
    return BenchRow(
        framework=framework,
        train_time_s=wall,
        process_time_s=elapsed,
        peak_memory_mb=metrics["peak_memory_mb"],
        final_loss=final.get("loss", float("nan")),
        final_metric=f"{metric[0]} {metric[1]:.4f}" if metric else "-",
        samples_per_s=samples / wall if samples and wall else None,
        losses=[epoch["loss"] for epoch in metrics["epochs"]],
    )


def markdown(rows: list[BenchRow], title: str) -> str:
    lines = [
        f"### {title}",
        "",
        "| framework | train time (s) | process time (s) | peak memory (MB) | final loss | final metric | samples/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        rate = f"{row.samples_per_s:,.0f}" if row.samples_per_s else "-"
        lines.append(
            f"| {row.framework} | {row.train_time_s:.2f} | {row.process_time_s:.2f} | "
            f"{row.peak_memory_mb:,.0f} | {row.final_loss:.4f} | {row.final_metric} | {rate} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[BenchRow], path: Path, title: str) -> None:
    """Both frameworks' per-epoch training loss in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figure, axis = plt.subplots(figsize=(6, 4), dpi=100)
    for row in rows:
        axis.plot(
            range(1, len(row.losses) + 1), row.losses, marker="o", markersize=3, label=row.framework
        )
    axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axis.set_xlabel("epoch")
    axis.set_ylabel("training loss")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)


def write_reports(rows: list[BenchRow], out: Path, title: str) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out / "bench.md",
        "json": out / "bench.json",
        "plot": out / "loss_curves.png",
    }
    paths["markdown"].write_text(markdown(rows, title), encoding="utf-8")
    paths["json"].write_text(
        json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8"
    )
    plot(rows, paths["plot"], title)
    return paths
