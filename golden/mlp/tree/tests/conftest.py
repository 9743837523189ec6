"""Fixtures of the tutorial's tests: where the data comes from."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = (
    "data/mnist"  # relative to the repository root; "" when the code makes it
)


@pytest.fixture(scope="session")
def data_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """$TUTORIAL_DATA, else the spec's data (downloaded on first use)."""
    if os.environ.get("TUTORIAL_DATA"):
        return str(Path(os.environ["TUTORIAL_DATA"]).resolve())
    return str(ROOT / DEFAULT_DATA) if DEFAULT_DATA else ""
