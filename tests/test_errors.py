"""Bad input: each case gives one exact line on stderr, exit 1, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, run_dlgen

INVALID = "tests/data/invalid"

# Expected messages, word for word (reviewed by hand when a message is changed on purpose).
EXPECTED = {
    "malformed_yaml": "malformed_yaml.yaml:5:14: error: YAML syntax error: mapping values are not allowed here",
    "unknown_op": "unknown_op.yaml:5:8: error: model.layers[0].op: unknown op 'conv3d'; did you mean 'conv2d'? (`dlgen ops` lists them)",
    "wrong_type": "wrong_type.yaml:7:7: error: model.layers[0].kernel_size: Input should be a valid integer, unable to parse string as an integer (got 'three')",
    "unknown_key": "unknown_key.yaml:8:1: error: optimiser: unknown key 'optimiser'; did you mean 'optimizer'? (allowed: data, export, loss, model, optimizer, project, train)",
    "unknown_param": "unknown_param.yaml:5:37: error: model.layers[0].kernal_size: unknown parameter 'kernal_size'; did you mean 'kernel_size'? (allowed: bias, in_channels, kernel_size, out_channels, padding, stride)",
    "graph_cycle": "graph_cycle.yaml:5:29: error: model.graph[0].inputs: node 'a' reads 'b', which comes later: graphs must be listed in order and have no cycles",
    "duplicate_name": "duplicate_name.yaml:7:20: error: model.layers[2].name: duplicate layer name 'fc' (first used by layer 0)",
    "softmax_then_cross_entropy": "softmax_then_cross_entropy.yaml:9:7: error: the model ends with softmax, but loss cross_entropy expects logits and applies it itself; remove 'softmax1'",
    "unknown_data_kind": "unknown_data_kind.yaml:2:8: error: data.kind: unknown kind 'mnst'; did you mean 'mnist'? (expected one of: synthetic_regression, synthetic_classification, mnist, npz, csv, text)",
    "negative_size": "negative_size.yaml:5:20: error: model.layers[0].out_features: Input should be greater than 0 (got -4)",
    "wrong_head": "wrong_head.yaml:6:7: error: model output (8,) does not fit loss cross_entropy: it needs (10,), one logit per class (no softmax layer at the end)",
    "bf16_tflite": "bf16_tflite.yaml:11:3: error: tflite has no bfloat16 kernels, so a mixed_precision: bf16 model does not convert; drop tflite or set mixed_precision off",
    "data_path_escapes": "data_path_escapes.yaml:2:19: error: data.path: path '../../x.npz' leaves the project folder (the sample-data script would write there); give a path inside the project, or an absolute one",
    "empty": "empty.yaml:1:1: error: the spec is empty; start from `dlgen examples` or `dlgen schema`",
    # found by bench/fuzz.py: counting this stack's parameters layer by layer never ended
    "huge_stack": "huge_stack.yaml:5:34: error: model.layers[0].num_layers: Input should be less than or equal to 100",
}


def test_every_invalid_file_has_an_expected_message() -> None:
    files = {p.stem for p in (REPO / INVALID).glob("*.yaml")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("command", ["check", "new"])
def test_invalid_spec(name: str, command: str, tmp_path: Path) -> None:
    spec = f"{INVALID}/{name}.yaml"
    args = [command, spec] + (["-o", str(tmp_path / "out")] if command == "new" else [])
    result = run_dlgen(*args)
    assert result.returncode == 1
    assert result.stderr == f"{INVALID}/{EXPECTED[name]}\n"
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_seed_flatten_bug_is_reported_at_the_linear_layer() -> None:
    result = run_dlgen("check", "examples/broken/seed_flatten_mismatch.yaml")
    assert result.returncode == 1
    assert result.stderr == (
        "examples/broken/seed_flatten_mismatch.yaml:13:7: error: layer 'fc1': linear expects 5408 "
        "input features (in_features), got shape (21632,) (input from 'flatten1')\n"
    )


def test_binary_garbage(tmp_path: Path) -> None:
    spec = tmp_path / "garbage.yaml"
    spec.write_bytes(b"project:\n  name: x\n\x00\xff\xfe binary")
    result = run_dlgen("new", str(spec), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr == f"{spec}:3:2: error: not UTF-8 text; a spec is a YAML file\n"
    assert not (tmp_path / "out").exists()


def test_huge_file(tmp_path: Path) -> None:
    spec = tmp_path / "huge.yaml"
    spec.write_text("# padding\n" * 200_000)
    result = run_dlgen("check", str(spec))
    assert result.returncode == 1
    assert result.stderr == (
        f"{spec}:1:1: error: spec file is over 1,000,000 bytes; a spec is a small YAML file\n"
    )


@pytest.mark.parametrize("command", ["check", "new"])
def test_an_endless_device_is_read_only_up_to_the_limit(command: str, tmp_path: Path) -> None:
    """Issue 17: the size limit used stat(), 0 for /dev/zero, which was read until MemoryError."""
    args = [command, "/dev/zero"] + (["-o", str(tmp_path / "out")] if command == "new" else [])
    result = run_dlgen(*args)
    assert result.returncode == 1
    assert result.stderr == (
        "/dev/zero:1:1: error: spec file is over 1,000,000 bytes; a spec is a small YAML file\n"
    )
    assert not (tmp_path / "out").exists()


def test_missing_file() -> None:
    result = run_dlgen("check", "nope/missing.yaml")
    assert result.returncode == 1
    assert (
        result.stderr
        == "nope/missing.yaml: error: no such spec file; `dlgen examples` lists the built-in ones\n"
    )


def test_existing_output_without_force_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "project"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    result = run_dlgen("new", "linear_regression", "-o", str(out))
    assert result.returncode == 1
    assert result.stderr == (
        f"{out}: error: already exists; pass --force to replace it, or choose another folder with -o\n"
    )
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_force_replaces_a_tree_dlgen_wrote(tmp_path: Path) -> None:
    out = tmp_path / "project"
    args = ("new", "linear_regression", "--framework", "torch", "-o", str(out))
    assert run_dlgen(*args).returncode == 0
    (out / "stale.txt").write_text("old")
    result = run_dlgen(*args, "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "stale.txt").exists()
    assert (out / "train.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_force_refuses_a_folder_dlgen_did_not_write(tmp_path: Path) -> None:
    """#17: `--force` replaces a folder whole, so only dlgen's own (its manifest is there) or
    an empty one; the user's folder stays as it was."""
    out = tmp_path / "photos"
    (out / "2024").mkdir(parents=True)
    (out / "2024" / "a.jpg").write_bytes(b"jpeg")
    result = run_dlgen("new", "linear_regression", "-o", str(out), "--force")
    assert result.returncode == 1
    assert result.stderr == (
        f"{out}: error: will not replace this folder: dlgen did not write it (it holds "
        "'2024/a.jpg'); --force replaces only dlgen's own or empty folders: choose another "
        "folder with -o\n"
    )
    assert [str(p.relative_to(out)) for p in sorted(out.rglob("*"))] == ["2024", "2024/a.jpg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]
    (out / "2024" / "a.jpg").unlink()
    (out / "2024").rmdir()
    assert run_dlgen("new", "linear_regression", "-o", str(out), "--force").returncode == 0


@pytest.mark.parametrize("folder", ["/usr", "/etc", "/var/lib", str(Path.home())])
def test_force_refuses_system_folders(folder: str) -> None:
    """Checked on the refusal itself: a regression must not get to replace /usr."""
    from codegen.errors import DlgenError
    from codegen.render import _refuse_to_replace

    with pytest.raises(DlgenError) as refused:
        _refuse_to_replace(Path(folder), Path(folder).resolve(), {})
    assert refused.value.message == (
        "will not replace this folder: it is a system folder, your home, or holds the current "
        "folder; choose a project folder with -o"
    )


def test_force_through_a_folder_link_replaces_the_folder(tmp_path: Path) -> None:
    """The link stays a link to the new tree, and nothing is left beside it (#17)."""
    real = tmp_path / "real"
    args = ("new", "linear_regression", "--framework", "torch")
    assert run_dlgen(*args, "-o", str(real)).returncode == 0
    (tmp_path / "link").symlink_to(real)
    (real / "stale.txt").write_text("old")
    result = run_dlgen(*args, "-o", str(tmp_path / "link"), "--force")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link").is_symlink() and (tmp_path / "link" / "train.py").is_file()
    assert not (real / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_stale_cleaner_removes_only_marked_staging(tmp_path: Path) -> None:
    """A killed run's staging folder is removed by the next run only when dlgen's mark is
    beside it: a user's folder that merely has such a name stays (#17)."""
    dead = 2**22 + 1  # above the default pid_max: no such process
    mine = tmp_path / f".project.dlgen-{dead}-abc"
    (mine / "src").mkdir(parents=True)
    (mine / "src" / "keep.py").write_text("x = 1\n")
    left = tmp_path / f".project.dlgen-{dead}-xyz"
    (left / "half").mkdir(parents=True)
    (tmp_path / f".project.dlgen-{dead}-xyz.mark").write_text("")
    result = run_dlgen("new", "linear_regression", "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "project"]
    assert (mine / "src" / "keep.py").read_text() == "x = 1\n"


def test_update_moves_the_virtual_environment_instead_of_copying_it(tmp_path: Path) -> None:
    """--update renames the project's .venv into the new tree (the same inode: nothing was
    copied or linked file by file) and leaves no staging folder behind."""
    project = tmp_path / "project"
    assert run_dlgen("new", "linear_regression", "-o", str(project)).returncode == 0
    site = project / ".venv" / "lib" / "site.py"
    site.parent.mkdir(parents=True)
    site.write_text("x = 1\n")
    folder_inode, file_inode = (project / ".venv").stat().st_ino, site.stat().st_ino
    result = run_dlgen("new", "--update", "-o", str(project), "--set", "train.epochs=7")
    assert result.returncode == 0, result.stderr
    assert (project / ".venv").stat().st_ino == folder_inode
    assert site.stat().st_ino == file_inode and site.stat().st_nlink == 1
    assert site.read_text() == "x = 1\n"
    assert "7" in (project / "dlgen-spec.yaml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_a_run_killed_after_its_swap_gets_its_virtual_environment_back(tmp_path: Path) -> None:
    """A run killed between the swap and moving .venv over left it in the old tree (the
    marked staging folder of a dead process): the next run moves it back before cleaning up."""
    project = tmp_path / "project"
    assert run_dlgen("new", "linear_regression", "-o", str(project)).returncode == 0
    dead = 2**22 + 1  # above the default pid_max: no such process
    old_tree = tmp_path / f".project.dlgen-{dead}-abc"
    (old_tree / ".venv" / "bin").mkdir(parents=True)
    (old_tree / ".venv" / "bin" / "python").write_text("#!\n")
    (old_tree / "README.md").write_text("the old tree\n")
    (tmp_path / f".project.dlgen-{dead}-abc.mark").write_text("")
    result = run_dlgen("new", "--update", "-o", str(project))
    assert result.returncode == 0, result.stderr
    assert (project / ".venv" / "bin" / "python").read_text() == "#!\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_unknown_framework(tmp_path: Path) -> None:
    result = run_dlgen("new", "mlp", "--framework", "jax", "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert (
        result.stderr
        == "--framework: error: unknown framework 'jax'; use one of: torch, tf, both\n"
    )


def test_bad_override() -> None:
    result = run_dlgen("check", "image_classifier", "--set", "data.input_shape")
    assert result.returncode == 1
    assert result.stderr == (
        "--set: error: 'data.input_shape' is not KEY=VALUE (e.g. data.input_shape=[3,32,32])\n"
    )


def test_bias_before_batchnorm_is_a_warning() -> None:
    result = run_dlgen(
        "check", "tests/data/valid/signal_graph.yaml", "--set", "model.graph.1.bias=true"
    )
    assert result.returncode == 0
    assert result.stderr == (
        "tests/data/valid/signal_graph.yaml:8:22: warning: 'narrow' has a bias that batch norm "
        "'norm' cancels: it only adds noise (which Adam and RMSprop amplify); set bias: false\n"
    )


def test_verify_project_without_spec_copy(tmp_path: Path) -> None:
    result = run_dlgen("verify", "--project", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        f"{tmp_path}: error: not a pair made by `dlgen new --framework both` (no dlgen-spec.yaml)\n"
    )


def test_verify_missing_data(tmp_path: Path) -> None:
    result = run_dlgen("verify", "mnist_cnn", "--data", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr == f"{tmp_path / 'nope'}: error: no such data file or folder\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bad name", "model_class must be a CamelCase Python identifier, got 'bad name'"),
        ("Dataset", "model_class 'Dataset' is a Python keyword or a name the generated code uses"),
    ],
)
def test_model_class_errors_name_the_value(value: str, message: str) -> None:
    """Issue 17: the message printed a literal `{v!r}` instead of the value."""
    result = run_dlgen("check", "mnist_cnn", "--set", f"project.model_class={value}")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "{v" not in result.stderr
    assert f"error: project.model_class: {message}" in result.stderr


def test_a_layer_that_is_not_a_mapping_shows_single_braces(tmp_path: Path) -> None:
    """The example in the message printed doubled braces, `{{op: conv2d, ...}}`."""
    spec = tmp_path / "layer.yaml"
    spec.write_text(
        (REPO / "examples" / "mnist_cnn.yaml").read_text().replace("    - relu\n", "    - 5\n", 1)
    )
    result = run_dlgen("check", str(spec))
    assert result.returncode == 1
    assert "a layer is a mapping like {op: conv2d, out_channels: 32} or a bare op" in result.stderr
    assert "{{" not in result.stderr


def test_verify_checks_record_before_running() -> None:
    """Issue 17: a bad `verify --record` path was a traceback after the whole verification."""
    result = run_dlgen("verify", "linear_regression", "--record", "/nonexistent-dlgen/n.json")
    assert result.returncode == 1
    assert result.stderr == (
        "/nonexistent-dlgen/n.json: error: --record: the folder /nonexistent-dlgen does not exist\n"
    )
