"""Predict with an exported model: the deployment end of step 5.

    python predict.py INPUTS [--format torchscript] [--runs runs] [--batch-size 256] [--save OUT.npy]

INPUTS, as you have them:
- a CSV file with the columns the spec reads (rooms, area, age, district, heating), and with `price`
the mean absolute error is printed;
- a .npy file of inputs as load_arrays in data.py returns them: (N, 8).
They are read and transformed by the same functions as the training data (data.py), then
run through the export in batches of --batch-size (bounded memory). Prints the first rows
(the predicted values) and, with labels, the mean absolute error.
"""

import argparse
from pathlib import Path

import numpy as np

from data import COLUMNS, TARGET, read_features, read_rows, read_target
from export import FILES, load_predictor

ROWS = 10  # rows of the printed table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    # --help prints the whole docstring: the inputs it takes and how they are transformed
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("inputs", help="CSV file, or .npy of inputs")
    parser.add_argument("--format", choices=sorted(FILES), default="torchscript")
    parser.add_argument("--runs", default="runs", help="the --out folder of train.py")
    parser.add_argument("--batch-size", type=int, default=256, help="inputs per batch")
    parser.add_argument(
        "--save", default=None, help="write the outputs to this .npy file"
    )
    args = parser.parse_args(argv)
    return args


def read_inputs(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's inputs from CSV rows (as in training), and their targets where given."""
    if path.endswith(".npy"):
        return np.load(path), None
    rows = read_rows(path, COLUMNS)  # read once: the target too, where the file has it
    targets = read_target(path, rows) if TARGET in rows[0] else None
    return read_features(path, rows), targets


def predict_in_batches(inputs: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    """The export's outputs, --batch-size inputs at a time."""
    predict = load_predictor(args.format, args.runs)
    batches = range(0, len(inputs), args.batch_size)
    return np.concatenate([predict(inputs[i : i + args.batch_size]) for i in batches])


def report(outputs: np.ndarray, labels: np.ndarray | None) -> None:
    """The predicted values of the first ROWS inputs; the mean absolute error."""
    print("input  predicted" + ("  target" if labels is not None else ""))
    for row in range(min(ROWS, len(outputs))):
        line = f"{row:>5}  " + np.array2string(outputs[row], precision=4)
        print(
            line
            + (
                "  " + np.array2string(labels[row], precision=4)
                if labels is not None
                else ""
            )
        )
    if len(outputs) > ROWS:
        print(f"  ... {len(outputs) - ROWS} more")
    if labels is not None:
        error = np.abs(outputs - labels.reshape(outputs.shape)).mean()
        print(f"mean absolute error: {error:.4g} ({len(labels)} inputs)")


def main(argv: list[str] | None = None) -> np.ndarray:
    args = parse_args(argv)
    export = Path(args.runs) / FILES[args.format]
    if not export.exists():
        raise SystemExit(
            f"{export}: no such export (train.py writes it into its --out)"
        )
    try:
        inputs, labels = read_inputs(args.inputs)
    except (OSError, ValueError, KeyError) as error:  # missing or unreadable
        raise SystemExit(f"{getattr(error, 'filename', None) or args.inputs}: {error}")
    outputs = predict_in_batches(inputs.astype("float32"), args)
    if args.save:
        np.save(args.save, outputs)
    report(outputs, labels)
    return outputs


if __name__ == "__main__":
    main()
