"""Predict with an exported model: the deployment end of step 5.

    python predict.py INPUTS [--format tflite] [--runs runs] [--batch-size 256] [--save OUT.npy]

INPUTS, as you have them:
- a folder of MNIST files: its test split (t10k), with labels, so the accuracy is printed;
- an IDX images file (`...-images-idx3-ubyte.gz`), or a .npy of uint8 pixels (N, 28, 28);
- an image file (PNG, JPEG, ...), or a folder of them (rows in file-name order): made
  grayscale and 28x28 pixels; draw light on dark, as MNIST does.
They are read and transformed by the same functions as the training data (data.py), then
run through the export in batches of --batch-size (bounded memory). Prints the first rows
(the top classes with their probabilities) and, with labels, the accuracy.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from data import read_idx, to_inputs
from export import FILES, load_predictor

ROWS = 10  # rows of the printed table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    # --help prints the whole docstring: the inputs it takes and how they are transformed
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "inputs",
        help="MNIST folder, IDX images file, .npy of pixels, image file or folder",
    )
    parser.add_argument("--format", choices=sorted(FILES), default="tflite")
    parser.add_argument("--runs", default="runs", help="the --out folder of train.py")
    parser.add_argument("--batch-size", type=int, default=256, help="inputs per batch")
    parser.add_argument(
        "--save", default=None, help="write the outputs to this .npy file"
    )
    args = parser.parse_args(argv)
    return args


def read_image(path: Path) -> np.ndarray:
    """One image file as MNIST's pixels: uint8, grayscale, 28x28."""
    with Image.open(path) as image:
        return np.asarray(image.convert("L").resize((28, 28)), dtype=np.uint8)


def read_inputs(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's inputs from images as they come, and their labels where known."""
    source = Path(path)
    if (source / "t10k-images-idx3-ubyte.gz").exists():  # the test split
        images = read_idx(source / "t10k-images-idx3-ubyte.gz")
        labels = read_idx(source / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    elif source.is_dir():  # image files
        known = Image.registered_extensions()  # the file types Pillow reads
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in known)
        if not files:
            raise ValueError("no t10k files and no image files in this folder")
        images, labels = np.stack([read_image(file) for file in files]), None
    elif source.suffix == ".npy":
        images, labels = np.load(source), None
    elif source.suffix.lower() in Image.registered_extensions():
        images, labels = read_image(source)[None], None
    else:
        images, labels = read_idx(source), None
    return to_inputs(images), labels


def predict_in_batches(inputs: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    """The export's outputs, --batch-size inputs at a time."""
    predict = load_predictor(args.format, args.runs)
    batches = range(0, len(inputs), args.batch_size)
    return np.concatenate([predict(inputs[i : i + args.batch_size]) for i in batches])


def report(outputs: np.ndarray, labels: np.ndarray | None) -> None:
    """The top classes of the first ROWS inputs, with their probabilities; the accuracy."""
    shifted = np.exp(
        outputs - outputs.max(axis=1, keepdims=True)
    )  # softmax of the logits
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    top = np.argsort(-probabilities, axis=1)[:, :3]
    print(
        "input  top classes (probability)" + ("  label" if labels is not None else "")
    )
    for row in range(min(ROWS, len(outputs))):
        best = ", ".join(f"{c} ({probabilities[row, c]:.3f})" for c in top[row])
        print(f"{row:>5}  {best}" + (f"  {labels[row]}" if labels is not None else ""))
    predicted = top[:, 0]
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
        inputs, labels = read_inputs(args.inputs)
    except (OSError, ValueError, KeyError) as error:  # missing or unreadable
        raise SystemExit(f"{getattr(error, 'filename', None) or args.inputs}: {error}")
    inputs = np.moveaxis(inputs, 1, -1)  # Keras's channels-last layout
    outputs = predict_in_batches(inputs.astype("float32"), args)
    if args.save:
        np.save(args.save, outputs)
    report(outputs, labels)
    return outputs


if __name__ == "__main__":
    main()
