"""The MNIST-format data of the generated projects (#28): a missing file is downloaded only from
the source of the data set the spec names, with progress, and kept only when its MD5 is the one
published for it; offline, or with a file for --data, one line and a non-zero exit.

The downloads here come from a local HTTP server holding the repo's 512-image stand-in files,
so `URL` and `MD5` of the generated data.py are replaced by the test (nothing leaves the machine).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import DATA, error_lines, run_dlgen

pytestmark = pytest.mark.slow  # generates two projects and imports both frameworks

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
OFFLINE = {**ENV, "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
# argv: folder, URL (or ""), MD5 table as JSON (or ""); reads the training part.
READ = """
import json, sys
import data
if sys.argv[2]:
    data.URL = sys.argv[2]
if sys.argv[3]:
    data.MD5 = json.loads(sys.argv[3])
x, y = data.read_mnist(sys.argv[1], "train")
print("read", x.shape, y.shape)
"""


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    """The MNIST CNN's PyTorch project, and its TensorFlow project for Fashion-MNIST."""
    root = tmp_path_factory.mktemp("mnist-data")
    made = {}
    for name, framework, extra in (
        ("mnist", "torch", ()),
        ("fashion", "tf", ("--set", "data.dataset=fashion_mnist")),
    ):
        out = root / name
        result = run_dlgen("new", "mnist_cnn", "-f", framework, "-o", str(out), *extra)
        assert result.returncode == 0, result.stderr
        made[name] = out
    return made


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """An HTTP server on this machine serving the stand-in MNIST files."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(DATA / "mnist"))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def _read(
    project: Path,
    folder: Path,
    url: str = "",
    md5: dict | None = None,
    env: dict[str, str] = ENV,
    before: str = "",
) -> subprocess.CompletedProcess:
    """READ in a child process in `project`, after the Python in `before`."""
    return subprocess.run(
        [sys.executable, "-c", before + READ, str(folder), url, json.dumps(md5) if md5 else ""],
        cwd=project,
        capture_output=True,
        text=True,
        env={**env, "no_proxy": "127.0.0.1"},  # the local server is not behind the proxy
        timeout=300,
    )


def _md5(name: str) -> str:
    return hashlib.md5((DATA / "mnist" / name).read_bytes()).hexdigest()


def test_missing_files_are_downloaded_with_progress_and_checked(
    projects: dict[str, Path], server: str, tmp_path: Path
) -> None:
    folder = tmp_path / "fresh" / "mnist"  # not there yet
    result = _read(projects["mnist"], folder, server, {name: _md5(name) for name in FILES})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "read (512, 1, 28, 28) (512,)" in result.stdout, result.stdout
    for name in FILES:  # each file reported as it arrived, from the server given
        assert f"{server}{name}: 0 MB" in result.stdout, result.stdout
        assert (folder / name).read_bytes() == (DATA / "mnist" / name).read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)  # no .part left


def test_a_file_whose_md5_differs_is_not_used(
    projects: dict[str, Path], server: str, tmp_path: Path
) -> None:
    md5 = {name: _md5(name) for name in FILES}
    md5["train-labels-idx1-ubyte.gz"] = "0" * 32  # what the source should have served
    folder = tmp_path / "mnist"
    result = _read(projects["mnist"], folder, server, md5)
    assert result.returncode == 1, result.stderr[-2000:]
    lines = error_lines(result.stderr)
    assert lines == [
        f"{server}train-labels-idx1-ubyte.gz: not the file expected (MD5); "
        f"left as {folder / 'train-labels-idx1-ubyte.gz.part'}"
    ], lines
    assert not (folder / "train-labels-idx1-ubyte.gz").exists()
    assert (folder / "train-images-idx3-ubyte.gz").exists()  # the one before it was right


@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_offline_one_line_naming_the_files_and_nothing_from_another_data_set(
    projects: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """No network: one line that names the missing files and the folder, exit 1. The URL
    a project would fetch from is its own data set's (Fashion-MNIST never falls back to
    digits): recorded by wrapping urlretrieve in the child process."""
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(
        (DATA / "mnist" / "train-images-idx3-ubyte.gz").read_bytes()
    )
    record = tmp_path / "urls.txt"
    spy = (
        "import urllib.request, sys\n"
        "real = urllib.request.urlretrieve\n"
        f"def spy(url, *a, **k):\n    open({str(record)!r}, 'a').write(url + '\\n')\n"
        "    return real(url, *a, **k)\n"
        "urllib.request.urlretrieve = spy\n"
    )
    result = _read(projects[name], folder, env=OFFLINE, before=spy)
    assert result.returncode == 1, result.stderr[-2000:]
    lines = error_lines(result.stderr)
    missing = "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"
    assert len(lines) == 1 and lines[0].startswith(f"{folder}: no {missing} ("), lines
    assert lines[0].endswith("): put them there"), lines
    source = {
        "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "fashion": "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/"
        "data/fashion/",
    }[name]
    assert record.read_text().splitlines() == [source + "train-labels-idx1-ubyte.gz"]
    assert sorted(p.name for p in folder.iterdir()) == ["train-images-idx3-ubyte.gz"]


def test_data_that_is_a_file_is_one_line(projects: dict[str, Path], tmp_path: Path) -> None:
    """`--data` names a folder; a file was a FileExistsError traceback."""
    file = tmp_path / "mnist.npz"
    file.write_bytes(b"")
    result = _read(projects["fashion"], file)
    assert result.returncode == 1, result.stderr[-2000:]
    assert error_lines(result.stderr) == [
        f"{file}: a file; --data is a folder of Fashion-MNIST files"
    ]
    help_text = subprocess.run(
        [sys.executable, "train.py", "--help"],
        cwd=projects["fashion"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    ).stdout
    assert "Fashion-MNIST folder" in help_text, help_text
