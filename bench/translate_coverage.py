"""Benchmark: how much of PyTorch's own API `dlgen translate` has a rule for (issue #27, point 1).

    .venv/bin/python bench/translate_coverage.py [--missing]

Lists, from the installed torch at run time, every public `torch.nn` module class and every
public function of `torch.nn.functional`, and the 150 `torch.*` functions and Tensor methods
that the counted corpus calls most (bench/corpus/api_usage.json, written by
bench/api_usage.py), and says for each whether the translator has a rule
for it (`codegen/translate`: `context.FUNCTIONS`, `script.RULES`), or leaves it to the output
check, which marks it "not translated" in the output; a few are excluded, each with its reason
(`EXCLUDED`). Prints the counts and shares against the issue's goals (90% of each); --missing
adds the names without a rule. A rule is not yet a numeric test against torch: this measures
which names are handled at all, the first step towards the issue's tested table.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from api_usage import TOP  # noqa: E402

# Names that are not layers or tensor functions a model is written with, and why.
EXCLUDED = {
    "Module": "the base class of every model: translated as a whole, not as a layer",
    "Container": "deprecated base class (Sequential and ModuleList are its uses)",
    "RNNBase": "base class of LSTM, GRU and RNN",
    "RNNCellBase": "base class of the recurrent cells",
    "DataParallel": "multi-GPU wrapper: a tf.distribute strategy's job, not a layer",
    "SyncBatchNorm": "multi-process BatchNorm: a tf.distribute strategy's job",
    "NLLLoss2d": "deprecated alias of NLLLoss",
    "boolean_dispatch": "PyTorch's internal dispatch helper",
    "assert_int_or_pair": "PyTorch's internal argument check",
    "handle_torch_function": "PyTorch's __torch_function__ machinery",
    "has_torch_function": "PyTorch's __torch_function__ machinery",
    "has_torch_function_unary": "PyTorch's __torch_function__ machinery",
    "has_torch_function_variadic": "PyTorch's __torch_function__ machinery",
    "multi_head_attention_forward": "the internals of nn.MultiheadAttention",
    "grouped_mm": "GPU low-precision matmul kernel",
    "scaled_mm": "GPU low-precision matmul kernel",
    "scaled_grouped_mm": "GPU low-precision matmul kernel",
    "native_channel_shuffle": "internal variant of channel_shuffle",
    "conv_tbc": "fairseq's time-batch-channel convolution kernel",
}
LAZY = "lazy: the in_features-free spelling of a layer whose eager class is counted"
# The corpus's calls (bench/corpus/api_usage.json) that no table holds, and why.
CORPUS_EXCLUDED = {
    "torch.distributed.barrier": "multi-process training: a tf.distribute strategy's job",
    "torch.distributed.init_process_group": "multi-process training: a tf.distribute strategy's job",
    "torch.distributed.get_rank": "multi-process training: a tf.distribute strategy's job",
    "torch.distributed.get_world_size": "multi-process training: a tf.distribute strategy's job",
    "torch.cuda.set_device": "one process per GPU: a tf.distribute strategy's job",
    "torch.jit.is_scripting": "TorchScript's own state: there is no TorchScript in TensorFlow",
}
# Handled outside the tables.
CORPUS_ELSEWHERE = {
    "Tensor.backward": "the training step's rule (codegen/translate/loop.py) rewrites "
    "zero_grad / forward / backward / step together",
    "Tensor.numpy": "kept as it is: TensorFlow's eager tensors have .numpy() too",
}
GOAL = 0.90


def modules() -> list[str]:
    import torch.nn as nn

    return sorted(
        name
        for name in dir(nn)
        if not name.startswith("_")
        and isinstance(getattr(nn, name), type)
        and issubclass(getattr(nn, name), nn.Module)
    )


def functions() -> list[str]:
    import torch.nn.functional as F

    found = []
    for name in dir(F):
        value = getattr(F, name)
        if name.startswith("_") or inspect.isclass(value) or inspect.ismodule(value):
            continue
        if callable(value) and name not in ("Tensor", "Callable", "Optional"):
            found.append(name)
    return sorted(found)


def rules() -> set[str]:
    """Every PyTorch name the translator has a rule for (importing the api registers them)."""
    import codegen.translate.api  # noqa: F401
    from codegen.translate import context, script

    return set(context.FUNCTIONS) | set(script.RULES)


def method_rules() -> set[str]:
    """Every Tensor method name the translator has a rule for."""
    import codegen.translate.api  # noqa: F401
    from codegen.translate import context, script

    return set(context.METHODS) | set(script.METHODS) | set(script.MODULE_METHODS)


def corpus_table() -> dict[str, list[str]] | None:
    """The corpus's most called functions and Tensor methods (bench/api_usage.py), by what
    the translator does with each; None when the corpus was not counted."""
    from api_usage import MANIFEST, top

    if not MANIFEST.exists():
        return None
    usage = json.loads(MANIFEST.read_text())
    functions, methods = rules(), method_rules()
    rows: dict[str, list[str]] = {"rule": [], "marked": [], "excluded": []}
    for name, _ in top(usage):
        if name in CORPUS_EXCLUDED:
            rows["excluded"].append(name)
        elif name in CORPUS_ELSEWHERE:
            rows["rule"].append(name)
        elif name.startswith("Tensor."):
            rows["rule" if name[len("Tensor.") :] in methods else "marked"].append(name)
        else:
            rows["rule" if name in functions else "marked"].append(name)
    return rows


def excluded(name: str) -> str | None:
    if name in EXCLUDED:
        return EXCLUDED[name]
    if name.startswith("Lazy"):
        return LAZY
    return None


def table(prefix: str, names: list[str], known: set[str]) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {"rule": [], "marked": [], "excluded": []}
    for name in names:
        if excluded(name):
            rows["excluded"].append(name)
        elif prefix + name in known:
            rows["rule"].append(name)
        else:
            rows["marked"].append(name)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list the names without a rule")
    args = parser.parse_args(argv)
    import torch

    known = rules()
    print(f"torch {torch.__version__}: what `dlgen translate` has a rule for\n")
    print("| API | rule | no rule (marked in the output) | excluded | share with a rule | goal |")
    print("|---|---:|---:|---:|---:|---:|")
    results = {}
    for label, prefix, names in (
        ("`torch.nn` module classes", "torch.nn.", modules()),
        ("`torch.nn.functional` functions", "torch.nn.functional.", functions()),
    ):
        rows = table(prefix, names, known)
        results[label] = rows
    corpus = corpus_table()
    if corpus is not None:
        results[f"the corpus's {TOP} most called `torch.*` functions and Tensor methods"] = corpus
    for label, rows in results.items():
        counted = len(rows["rule"]) + len(rows["marked"])
        share = len(rows["rule"]) / counted if counted else 0.0
        print(
            f"| {label} | {len(rows['rule'])} | {len(rows['marked'])} | "
            f"{len(rows['excluded'])} | {share:.1%} | {GOAL:.0%} |"
        )
    if args.missing:
        for label, rows in results.items():
            print(f"\n{label} without a rule ({len(rows['marked'])}):")
            print(", ".join(rows["marked"]))
        print("\nexcluded:")
        for rows in results.values():
            for name in rows["excluded"]:
                print(f"  {name}: {excluded(name) or CORPUS_EXCLUDED[name]}")
        print("\nhandled outside the tables:")
        for name, how in CORPUS_ELSEWHERE.items():
            print(f"  {name}: {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
