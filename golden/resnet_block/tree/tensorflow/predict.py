"""Predict with an exported model: the deployment end of step 5.

    python predict.py INPUTS.npy [--format keras] [--runs runs] [--save OUT.npy]

INPUTS.npy holds a batch in this project's layout: (N, 32, 32, 3), channels last.
"""

import argparse

import numpy as np

from export import FILES, load_predictor


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", help=".npy file with a batch of inputs")
    parser.add_argument("--format", choices=sorted(FILES), default="keras")
    parser.add_argument("--runs", default="runs", help="the --out folder of train.py")
    parser.add_argument(
        "--save", default=None, help="write the outputs to this .npy file"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> np.ndarray:
    args = parse_args(argv)
    inputs = np.load(args.inputs).astype("float32")
    outputs = load_predictor(args.format, args.runs)(inputs)
    if args.save:
        np.save(args.save, outputs)
    print("predicted classes:", outputs.argmax(axis=1).tolist())
    return outputs


if __name__ == "__main__":
    main()
