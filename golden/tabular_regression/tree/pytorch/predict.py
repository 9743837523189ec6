"""Predict with an exported model: the deployment end of step 5.

    python predict.py INPUTS [--format torchscript] [--runs runs] [--batch-size 256] [--save OUT.npy]

INPUTS, as you have them:
- a .npy file of inputs as load_arrays in data.py returns them: (N, 8).
They are
run through the export in batches of --batch-size (bounded memory). Prints the first rows
(the predicted values) and, with labels, the accuracy.
"""

import argparse

import numpy as np

from export import FILES, load_predictor

ROWS = 10  # rows of the printed table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", help=".npy file of inputs")
    parser.add_argument("--format", choices=sorted(FILES), default="torchscript")
    parser.add_argument("--runs", default="runs", help="the --out folder of train.py")
    parser.add_argument("--batch-size", type=int, default=256, help="inputs per batch")
    parser.add_argument(
        "--save", default=None, help="write the outputs to this .npy file"
    )
    args = parser.parse_args(argv)
    return args


def read_inputs(path: str) -> tuple[np.ndarray, None]:
    """The inputs of a .npy file (no labels)."""
    return np.load(path), None


def predict_in_batches(inputs: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    """The export's outputs, --batch-size inputs at a time."""
    predict = load_predictor(args.format, args.runs)
    batches = range(0, len(inputs), args.batch_size)
    return np.concatenate([predict(inputs[i : i + args.batch_size]) for i in batches])


def report(outputs: np.ndarray, labels: None) -> None:
    """The predicted values of the first ROWS inputs."""
    for row in range(min(ROWS, len(outputs))):
        print(f"{row:>5}  " + np.array2string(outputs[row], precision=4))
    if len(outputs) > ROWS:
        print(f"  ... {len(outputs) - ROWS} more")


def main(argv: list[str] | None = None) -> np.ndarray:
    args = parse_args(argv)
    try:
        inputs, labels = read_inputs(args.inputs)
    except (OSError, ValueError, KeyError) as error:  # missing or unreadable
        raise SystemExit(f"{args.inputs}: {error}")
    outputs = predict_in_batches(inputs.astype("float32"), args)
    if args.save:
        np.save(args.save, outputs)
    report(outputs, labels)
    return outputs


if __name__ == "__main__":
    main()
