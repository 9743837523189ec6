"""Fixtures of the tutorial's tests: where the data comes from."""

import os
from pathlib import Path

import pytest

from make_sample_data import write_sample

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = (
    "data/reviews.csv"  # relative to the repository root; "" when the code makes it
)
DEFAULT_TEST = (
    "data/reviews_test.csv"  # the test split's file, relative to the repository root
)


@pytest.fixture(scope="session")
def data_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """$TUTORIAL_DATA, else the spec's data, else a small random file of its format (`make_sample_data.py`)."""
    if os.environ.get("TUTORIAL_DATA"):
        return str(Path(os.environ["TUTORIAL_DATA"]).resolve())
    if (ROOT / DEFAULT_DATA).exists():
        return str(ROOT / DEFAULT_DATA)
    path = tmp_path_factory.mktemp("data") / Path(DEFAULT_DATA).name
    write_sample(path)
    return str(path)


@pytest.fixture(scope="session")
def test_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """$TUTORIAL_TEST, else the spec's test file, else a small random file of its format."""
    if os.environ.get("TUTORIAL_TEST"):
        return str(Path(os.environ["TUTORIAL_TEST"]).resolve())
    if (ROOT / DEFAULT_TEST).exists():
        return str(ROOT / DEFAULT_TEST)
    path = tmp_path_factory.mktemp("test") / Path(DEFAULT_TEST).name
    write_sample(path, seed=1)
    return str(path)
