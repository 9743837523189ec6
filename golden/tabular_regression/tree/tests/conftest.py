"""Fixtures of the tutorial's tests: where the data comes from."""

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = (
    "data/houses.csv"  # relative to the repository root; "" when the code makes it
)


@pytest.fixture(scope="session")
def data_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """$TUTORIAL_DATA, else the spec's data, else a small random file of its format."""
    if os.environ.get("TUTORIAL_DATA"):
        return str(Path(os.environ["TUTORIAL_DATA"]).resolve())
    if (ROOT / DEFAULT_DATA).exists():
        return str(ROOT / DEFAULT_DATA)
    path = tmp_path_factory.mktemp("data") / Path(DEFAULT_DATA).name
    write_sample(path, np.random.default_rng(0))
    return str(path)


def write_sample(path: Path, rng: np.random.Generator, count: int = 96) -> None:
    """Random data in the format the spec reads, for a machine without the real file."""
    labels = rng.standard_normal((count, 1))
    features = ["rooms", "area", "age"]
    rows = [",".join([*features, "price"])]
    for label in labels:
        values = [f"{v:.4f}" for v in rng.standard_normal(len(features))]
        rows.append(",".join([*values, str(float(np.ravel(label)[0]))]))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
