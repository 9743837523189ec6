"""Predict with an exported model: the deployment end of step 5.

    python predict.py (INPUTS | --text TEXT) [--format onnx] [--runs runs] [--batch-size 256] [--save OUT.npy]

INPUTS, as you have them:
- a CSV file like the training file (columns `text` and `label`: the accuracy is printed);
- any other file: one text per line; or a single text with `--text`.
Texts are encoded with the vocabulary train.py saved in --runs (vocabulary.json).
They are read and transformed by the same functions as the training data (data.py), then
run through the export in batches of --batch-size (bounded memory). Prints the first rows
(the class with its probability) and, with labels, the accuracy.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from data import encode, read_texts
from export import FILES, load_predictor

ROWS = 10  # rows of the printed table
MAX_LENGTH = 40  # tokens per text, as in training


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    # --help prints the whole docstring: the inputs it takes and how they are transformed
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "inputs", nargs="?", help="CSV file, or a file of texts, one per line"
    )
    parser.add_argument("--text", help="one text to classify")
    parser.add_argument("--format", choices=sorted(FILES), default="onnx")
    parser.add_argument("--runs", default="runs", help="the --out folder of train.py")
    parser.add_argument("--batch-size", type=int, default=256, help="inputs per batch")
    parser.add_argument(
        "--save", default=None, help="write the outputs to this .npy file"
    )
    args = parser.parse_args(argv)
    if (args.inputs is None) == (args.text is None):
        parser.error("give INPUTS or --text")
    return args


def read_inputs(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None]:
    """Token ids of the texts (training's vocabulary), and their labels where known."""
    if args.text is not None:
        texts, labels = [args.text], None
    elif args.inputs.endswith(".csv"):
        texts, labels = read_texts(args.inputs)
    else:
        with open(args.inputs, encoding="utf-8") as handle:
            texts, labels = handle.read().splitlines(), None
    with open(f"{args.runs}/vocabulary.json", encoding="utf-8") as handle:
        vocabulary = json.load(handle)
    return encode(texts, vocabulary, MAX_LENGTH), labels


def predict_in_batches(inputs: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    """The export's outputs, --batch-size inputs at a time."""
    predict = load_predictor(args.format, args.runs)
    batches = range(0, len(inputs), args.batch_size)
    return np.concatenate([predict(inputs[i : i + args.batch_size]) for i in batches])


def report(outputs: np.ndarray, labels: np.ndarray | None) -> None:
    """The class (0 or 1) of the first ROWS inputs with its probability; the accuracy."""
    positive = 1 / (1 + np.exp(-outputs[:, 0]))  # sigmoid of the logits
    predicted = (positive > 0.5).astype(np.int64)
    if labels is not None:
        labels = labels.reshape(-1).astype(np.int64)
    print("input  class (probability)" + ("  label" if labels is not None else ""))
    for row in range(min(ROWS, len(outputs))):
        chance = positive[row] if predicted[row] else 1 - positive[row]
        line = f"{row:>5}  {predicted[row]} ({chance:.3f})"
        print(line + (f"  {labels[row]}" if labels is not None else ""))
    if len(outputs) > ROWS:
        print(f"  ... {len(outputs) - ROWS} more")
    if labels is not None:
        correct = int((predicted == labels).sum())
        print(f"accuracy: {correct / len(labels):.4f} ({correct} of {len(labels)})")


def main(argv: list[str] | None = None) -> np.ndarray:
    args = parse_args(argv)
    export = Path(args.runs) / FILES[args.format]
    if not export.exists():
        raise SystemExit(
            f"{export}: no such export (train.py writes it into its --out)"
        )
    try:
        inputs, labels = read_inputs(args)
    except (OSError, ValueError, KeyError) as error:  # missing or unreadable
        raise SystemExit(f"{getattr(error, 'filename', None) or args.inputs}: {error}")
    outputs = predict_in_batches(inputs.astype("int64"), args)
    if args.save:
        np.save(args.save, outputs)
    report(outputs, labels)
    return outputs


if __name__ == "__main__":
    main()
