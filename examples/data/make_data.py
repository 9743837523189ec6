"""Generate the small synthetic datasets used by the code generator's tests.

The generated example programs normally download real datasets (MNIST, a
movie-review corpus, a housing table, ...).  Tests run without network
access, so no dataset can be downloaded at run time.  Instead this script
deterministically creates tiny stand-ins with the *same on-disk formats* as
the real data, which are committed to the repository:

* ``mnist/``: the four standard MNIST files in the real IDX format, gzipped
  and named exactly as on the official mirror.  Each digit class is rendered
  from its own simple stroke template (plus random shifts, stroke widths and
  noise), so a small CNN learns it well above chance in a few dozen steps.
* ``text/reviews.csv``: short movie-review-like sentences with a binary
  sentiment label (1 = positive, 0 = negative), balanced.
* ``tabular/housing.csv``: numeric features and a price that is a fixed
  linear function of them plus small noise.
* ``npz/blobs.npz``: three separated Gaussian classes in 8 dimensions.
* ``tabular/houses.csv``: ``housing.csv``'s kind of table with two categorical
  columns that shift the price (in units of 100k): ``district``
  (north/south/east/west, one-hot in the example) and ``heating``
  (gas/electric/oil/heat_pump/wood, embedded in the example).
* ``npz/shapes.npz``: 8-bit RGB 16x16 images (values 0-255) of four shape
  classes (horizontal bar, vertical bar, square, cross) at random positions
  and colours, for image preprocessing and augmentation.
* ``text/reviews_test.csv``, ``tabular/houses_test.csv``, ``npz/shapes_test.npz``:
  test splits of the three above (the examples' ``data.test``), drawn the same
  way with seeds of their own.

The output is byte-identical on every run (fixed seeds, gzip ``mtime=0``,
fixed timestamps inside the ``.npz`` zip archive).  Run from the repo root::

    python examples/data/make_data.py
"""

from __future__ import annotations

import csv
import gzip
import io
import struct
import zipfile
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent
SEED = 20240501

IMAGE_SIZE = 28
N_SHAPES = 320
N_TRAIN_IMAGES = 512
N_TEST_IMAGES = 128
N_REVIEWS = 400
N_HOUSES = 300
N_BLOBS = 400

IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801

# A polyline is a list of (x, y) points in unit coordinates: x to the right,
# y downwards, both in [0, 1].  They are mapped onto a 20x20 box centred in
# the 28x28 image, like the real MNIST digits.
Polyline = list[tuple[float, float]]


def _arc(
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    start_deg: float,
    end_deg: float,
    n_points: int = 16,
) -> Polyline:
    """Return points along an elliptic arc (angles clockwise from +x)."""
    angles = np.deg2rad(np.linspace(start_deg, end_deg, n_points))
    return [(cx + rx * float(np.cos(a)), cy + ry * float(np.sin(a))) for a in angles]


DIGIT_TEMPLATES: dict[int, list[Polyline]] = {
    0: [_arc(0.5, 0.5, 0.32, 0.45, 0, 360, 24)],
    1: [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)], [(0.35, 0.95), (0.75, 0.95)]],
    2: [_arc(0.5, 0.3, 0.3, 0.25, 180, 360 + 30, 14) + [(0.2, 0.95), (0.85, 0.95)]],
    3: [
        _arc(0.5, 0.28, 0.3, 0.23, 200, 450, 14),
        _arc(0.5, 0.73, 0.32, 0.23, 270, 520, 14),
    ],
    4: [[(0.65, 0.05), (0.15, 0.65), (0.9, 0.65)], [(0.65, 0.05), (0.65, 0.95)]],
    5: [
        [(0.8, 0.05), (0.25, 0.05), (0.22, 0.45)],
        _arc(0.5, 0.67, 0.32, 0.28, 220, 500, 16),
    ],
    6: [
        [(0.7, 0.05), (0.3, 0.45)] + _arc(0.5, 0.7, 0.3, 0.25, 200, 560, 18),
    ],
    7: [[(0.15, 0.05), (0.85, 0.05), (0.4, 0.95)], [(0.35, 0.5), (0.75, 0.5)]],
    8: [
        _arc(0.5, 0.27, 0.25, 0.22, 0, 360, 18),
        _arc(0.5, 0.72, 0.3, 0.23, 0, 360, 18),
    ],
    9: [_arc(0.5, 0.3, 0.28, 0.25, 0, 360, 18), [(0.78, 0.3), (0.7, 0.95)]],
}


def _template_segments(digit: int) -> np.ndarray:
    """Return the template of ``digit`` as an array of segments (S, 2, 2)."""
    segments = []
    for line in DIGIT_TEMPLATES[digit]:
        points = np.asarray(line, dtype=np.float64)
        segments.append(np.stack([points[:-1], points[1:]], axis=1))
    return np.concatenate(segments, axis=0)


def _distance_to_segments(pixels: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Distance from each pixel centre (P, 2) to the nearest segment (S, 2, 2)."""
    start = segments[None, :, 0, :]
    direction = segments[None, :, 1, :] - start
    offset = pixels[:, None, :] - start
    length_sq = np.maximum((direction**2).sum(axis=-1), 1e-12)
    t = np.clip((offset * direction).sum(axis=-1) / length_sq, 0.0, 1.0)
    nearest = start + t[..., None] * direction
    return np.sqrt(((pixels[:, None, :] - nearest) ** 2).sum(axis=-1)).min(axis=1)


def render_digit(digit: int, rng: np.random.Generator) -> np.ndarray:
    """Render one noisy 28x28 uint8 image of ``digit``."""
    segments = _template_segments(digit)
    # Small random affine jitter (scale, slant), then a shift of +-2 px.
    scale = rng.uniform(0.85, 1.05)
    slant = rng.uniform(-0.15, 0.15)
    box = 20.0 * scale
    points = segments.reshape(-1, 2) - 0.5
    xs = points[:, 0] + slant * points[:, 1]
    ys = points[:, 1]
    shift = rng.integers(-2, 3, size=2)
    centre = IMAGE_SIZE / 2.0
    points = np.stack([centre + box * xs + shift[0], centre + box * ys + shift[1]], axis=1)
    segments = points.reshape(-1, 2, 2)

    grid = np.arange(IMAGE_SIZE, dtype=np.float64) + 0.5
    gx, gy = np.meshgrid(grid, grid)
    pixels = np.stack([gx.ravel(), gy.ravel()], axis=1)
    distance = _distance_to_segments(pixels, segments)

    radius = rng.uniform(0.9, 1.7)
    intensity = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    # Multiplicative noise on the stroke, plus sparse background speckles.
    intensity *= rng.uniform(0.75, 1.0, size=intensity.shape)
    speckle = rng.random(intensity.shape) < 0.01
    intensity[speckle] = np.maximum(
        intensity[speckle], rng.uniform(0.2, 0.6, size=int(speckle.sum()))
    )
    image = np.round(intensity * 255.0).astype(np.uint8)
    return image.reshape(IMAGE_SIZE, IMAGE_SIZE)


def make_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return ``n`` images (n, 28, 28) uint8 and labels (n,) uint8, balanced."""
    labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    images = np.stack([render_digit(int(label), rng) for label in labels])
    return images, labels


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX (big-endian header, then raw bytes)."""
    if array.dtype != np.uint8:
        raise ValueError(f"IDX writer expects uint8, got {array.dtype}")
    if array.ndim == 3:
        header = struct.pack(">IIII", IDX_IMAGES_MAGIC, *array.shape)
    elif array.ndim == 1:
        header = struct.pack(">II", IDX_LABELS_MAGIC, array.shape[0])
    else:
        raise ValueError(f"unsupported IDX rank {array.ndim}")
    return header + np.ascontiguousarray(array).tobytes()


def write_gzip(path: Path, payload: bytes) -> None:
    """Write ``payload`` gzipped with ``mtime=0`` so the file is reproducible."""
    path.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))


def make_mnist(out_dir: Path) -> None:
    """Write the four MNIST IDX files (gzipped) under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    splits = {"train": N_TRAIN_IMAGES, "t10k": N_TEST_IMAGES}
    for prefix, n in splits.items():
        images, labels = make_digits(n, rng)
        write_gzip(out_dir / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images))
        write_gzip(out_dir / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels))


POSITIVE_WORDS = [
    "great",
    "wonderful",
    "brilliant",
    "delightful",
    "moving",
    "charming",
    "superb",
    "enjoyable",
    "beautiful",
    "fantastic",
]
NEGATIVE_WORDS = [
    "terrible",
    "boring",
    "awful",
    "dull",
    "clumsy",
    "tedious",
    "disappointing",
    "bland",
    "painful",
    "forgettable",
]
SUBJECTS = [
    "the movie",
    "the film",
    "the plot",
    "the acting",
    "the story",
    "the ending",
    "the soundtrack",
    "the cast",
    "the script",
    "the direction",
]
VERBS = ["was", "felt", "seemed", "looked", "is"]
ADVERBS = ["really", "quite", "very", "truly", "rather", "simply"]
CONNECTORS = ["and", "while", "also", "overall", "honestly"]
OPENERS = ["i think", "in my opinion", "to be honest", "i felt that", "frankly"]


def _clause(adjectives: list[str], rng: np.random.Generator) -> list[str]:
    """Return one clause such as ``the plot was really dull``."""
    words = str(rng.choice(SUBJECTS)).split() + [str(rng.choice(VERBS))]
    if rng.random() < 0.5:
        words.append(str(rng.choice(ADVERBS)))
    words.append(str(rng.choice(adjectives)))
    return words


def make_review(label: int, rng: np.random.Generator) -> str:
    """Return a review of 5-20 words whose sentiment matches ``label``."""
    adjectives = POSITIVE_WORDS if label == 1 else NEGATIVE_WORDS
    target = int(rng.integers(5, 21))
    words: list[str] = []
    if rng.random() < 0.4:
        words += str(rng.choice(OPENERS)).split()
    words += _clause(adjectives, rng)
    while True:
        extra = [str(rng.choice(CONNECTORS))] + _clause(adjectives, rng)
        if len(words) + len(extra) > target:
            break
        words += extra
    if len(words) < 5:
        words = str(rng.choice(OPENERS)).split() + words
    return " ".join(words)


def make_reviews(path: Path, count: int = N_REVIEWS, seed: int = SEED + 1) -> None:
    """Write ``reviews.csv`` (or its test split) with balanced positive/negative reviews."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 2)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "label"])
        for label in labels:
            writer.writerow([make_review(int(label), rng), int(label)])


# price = intercept + sum(coefficient * feature) + noise
HOUSING_INTERCEPT = 50.0
HOUSING_COEFFICIENTS = {"rooms": 20.0, "area": 1.5, "age": -0.4, "distance": -2.0}
HOUSING_NOISE_STD = 5.0


def make_housing(path: Path) -> None:
    """Write ``housing.csv``: price is linear in the features plus noise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED + 2)
    features = {
        "rooms": rng.integers(1, 9, size=N_HOUSES).astype(np.float64),
        "area": rng.uniform(30.0, 250.0, size=N_HOUSES),
        "age": rng.uniform(0.0, 100.0, size=N_HOUSES),
        "distance": rng.uniform(0.5, 30.0, size=N_HOUSES),
    }
    features = {name: np.round(value, 3) for name, value in features.items()}
    price = HOUSING_INTERCEPT + rng.normal(0.0, HOUSING_NOISE_STD, size=N_HOUSES)
    for name, coefficient in HOUSING_COEFFICIENTS.items():
        price = price + coefficient * features[name]
    columns = list(features.values()) + [price]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(HOUSING_COEFFICIENTS) + ["price"])
        for row in zip(*columns, strict=True):
            writer.writerow([f"{value:.3f}" for value in row])


DISTRICT_PRICE = {"north": 30.0, "south": -10.0, "east": 0.0, "west": 15.0}
HEATING_PRICE = {"gas": 0.0, "electric": -5.0, "oil": -15.0, "heat_pump": 20.0, "wood": -8.0}


def make_houses(path: Path, count: int = N_HOUSES, seed: int = SEED + 4) -> None:
    """Write ``houses.csv`` (or its test split): price is linear in the numeric features plus
    a district and a heating offset."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rooms = rng.integers(1, 9, size=count).astype(np.float64)
    area = np.round(rng.uniform(30.0, 250.0, size=count), 3)
    age = np.round(rng.uniform(0.0, 100.0, size=count), 3)
    districts = rng.choice(list(DISTRICT_PRICE), size=count)
    price = HOUSING_INTERCEPT + rng.normal(0.0, HOUSING_NOISE_STD, size=count)
    price += 20.0 * rooms + 1.5 * area - 0.4 * age
    price += np.array([DISTRICT_PRICE[str(d)] for d in districts])
    heating = np.random.default_rng(seed + 2).choice(list(HEATING_PRICE), size=count)
    price += np.array([HEATING_PRICE[str(h)] for h in heating])
    price /= 100.0  # in units of 100k: a target of order 1 suits a small network
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["rooms", "area", "age", "district", "heating", "price"])
        for row in zip(rooms, area, age, districts, heating, price, strict=True):
            numbers = [f"{value:.3f}" for value in row[:3]]
            writer.writerow([*numbers, row[3], row[4], f"{row[5]:.3f}"])


def make_shapes(path: Path, count: int = N_SHAPES, seed: int = SEED + 5) -> None:
    """Write ``shapes.npz`` (or its test split): x (N, 3, 16, 16) uint8 images, y the shape
    class (0-3)."""
    rng = np.random.default_rng(seed)
    size = 16
    x = rng.integers(0, 40, size=(count, 3, size, size)).astype(np.float64)  # dark noise
    y = rng.permutation(np.arange(count) % 4).astype(np.int64)
    for index, label in enumerate(y):
        colour = rng.uniform(120.0, 255.0, size=3)[:, None, None]
        top, left = rng.integers(2, 8, size=2)
        mask = np.zeros((size, size), dtype=bool)
        if label == 0:  # horizontal bar
            mask[top + 2 : top + 5, left - 2 : left + 8] = True
        elif label == 1:  # vertical bar
            mask[top - 2 : top + 8, left + 2 : left + 5] = True
        elif label == 2:  # filled square
            mask[top : top + 6, left : left + 6] = True
        else:  # cross
            mask[top + 2 : top + 4, left - 1 : left + 7] = True
            mask[top - 1 : top + 7, left + 2 : left + 4] = True
        x[index] = np.where(mask, colour, x[index])
    _write_npz(path, x=np.clip(x, 0, 255).astype(np.uint8), y=y)


def _write_npz(path: Path, **arrays: np.ndarray) -> None:
    """np.savez with fixed zip timestamps, so the file is byte-identical per run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_STORED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info))


def make_blobs(path: Path) -> None:
    """Write ``blobs.npz``: three separated Gaussian classes in 8 dims."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED + 3)
    n_classes, n_features = 3, 8
    means = rng.normal(0.0, 1.0, size=(n_classes, n_features))
    means *= 4.0 / np.linalg.norm(means, axis=1, keepdims=True)
    y = rng.permutation(np.arange(N_BLOBS) % n_classes).astype(np.int64)
    x = (means[y] + rng.normal(0.0, 1.0, size=(N_BLOBS, n_features))).astype(np.float32)
    # np.savez stamps each zip member with the current time; rewrite the
    # archive with a fixed timestamp so the file is byte-identical per run.
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y)
    buffer.seek(0)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_STORED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info))


def main() -> None:
    """Regenerate every dataset under ``examples/data/``."""
    make_mnist(DATA_DIR / "mnist")
    make_reviews(DATA_DIR / "text" / "reviews.csv")
    make_housing(DATA_DIR / "tabular" / "housing.csv")
    make_blobs(DATA_DIR / "npz" / "blobs.npz")
    make_houses(DATA_DIR / "tabular" / "houses.csv")
    make_shapes(DATA_DIR / "npz" / "shapes.npz")
    # Test splits (a spec's `data.test`), drawn with seeds of their own.
    make_reviews(DATA_DIR / "text" / "reviews_test.csv", 100, SEED + 11)
    make_houses(DATA_DIR / "tabular" / "houses_test.csv", 100, SEED + 14)
    make_shapes(DATA_DIR / "npz" / "shapes_test.npz", 96, SEED + 15)


if __name__ == "__main__":
    main()
