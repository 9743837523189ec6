"""The `dlgen translate` and `dlgen new --update` halves of bench/fuzz.py.

translate: corpus files (examples/translate) mutated line by line, with hostile string literals
spliced in, nested deep, in other encodings, under odd file names; each run through the real
CLI in-process. Every run must exit 0 with an output that parses and holds no call the input
did not have (an injection), or exit 1 with one `file...: error: ...` line naming the input,
no output written; never a traceback, never a file left beside the output.

--update: a generated project whose `.dlgen-manifest.json` is mutated (entries that climb out
with `..`, absolute paths, links to folders outside, garbage JSON, wrong types); each run must
write nothing outside the project and end in success or one error line.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import shutil
import traceback
from collections import Counter
from pathlib import Path

import strategies as S

REPO = Path(__file__).resolve().parents[1]
CORPUS = sorted(
    p for p in (REPO / "examples" / "translate").glob("*.py") if p.name != "check_corpus.py"
)
HOSTILE = [
    "torch.save(model.state_dict(), 'x\\', __import__(\"os\").system(\"echo PWNED\"), \\'')",
    'torch.save(model, "a\'b\\"c\\\\d.pt")',
    "path = '''\n__import__('os').system('echo PWNED')\n'''",
    'x = torch.load(f\'{__import__("os").system("echo PWNED")}\')',
    "name = '\\u202eevil\\x00' + \"\\N{BULLET}\"",
    "torch.save(m, '{{ 7 * 7 }}{% if 1 %}x{% endif %}')",
]
ODD_NAMES = ["odd name.py", "quote'and\"double.py", "[bold]markup[red].py", "naïve-😀.py"]


def calls(code: str) -> Counter:
    """The call targets of `code`, as source text (what an injection would add)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return Counter()
    return Counter(ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call))


SUSPICIOUS = ("__import__", "os.system", "system", "eval", "exec", "subprocess")


def mutate(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True) or ["\n"]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        kind = rng.choice(["drop", "duplicate", "truncate", "indent", "hostile", "hostile"])
        if kind == "drop" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "truncate":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)] + "\n"
        elif kind == "indent":
            lines[i] = "    " + lines[i]
        else:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines.insert(i, indent + rng.choice(HOSTILE) + "\n")
    return "".join(lines)


def deep(rng: random.Random) -> str:
    depth = rng.choice([50, 99, 101, 150, 199, 201, 1000, 3000])
    kind = rng.choice(["parens", "calls", "sum", "lists"])
    if kind == "parens":
        body = "(" * depth + "1" + ")" * depth
    elif kind == "calls":
        body = "torch.relu(" * depth + "x" + ")" * depth
    elif kind == "sum":
        body = " + ".join(["torch.ones(1)"] * depth)
    else:
        body = "[" * depth + "]" * depth
    return f"import torch\nx = {body}\n"


def encoded(rng: random.Random, text: str) -> bytes:
    kind = rng.choice(["latin1", "utf16", "nul", "random", "bom", "crlf", "cr"])
    if kind == "latin1":
        return ("# café\n" + text).encode("latin-1", "replace")
    if kind == "utf16":
        return text.encode("utf-16")
    if kind == "nul":
        return text.encode() + b"\x00\x00"
    if kind == "random":
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 400)))
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if kind == "crlf":
        return text.replace("\n", "\r\n").encode()
    return text.replace("\n", "\r").encode()


def run_translate(source: Path, out: Path, counts: Counter, problems: list[str]) -> None:
    """One `dlgen translate SOURCE -o OUT` and its invariants."""
    counts["translate: tried"] += 1
    folder = out.parent
    before = {p.name for p in folder.iterdir()}
    result = S.invoke(["translate", str(source), "-o", str(out)])
    stray = sorted({p.name for p in folder.iterdir()} - before - {out.name})
    text = source.read_bytes().decode("utf-8", "replace")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        counts["translate: crash"] += 1
        problems.append("".join(traceback.format_exception(*result.exc_info))[-1500:])
        return
    if "Traceback" in result.stdout + result.stderr:
        counts["translate: crash"] += 1
        problems.append(result.stderr[-1500:])
        return
    if stray:
        counts["translate: partial"] += 1
        problems.append(f"{source.name}: left {stray}")
    if result.exit_code == 0:
        code = out.read_text(encoding="utf-8")
        try:
            ast.parse(code)
        except SyntaxError as error:
            counts["translate: output does not parse"] += 1
            problems.append(f"{source.name}: output does not parse: {error}")
            return
        added = calls(code) - calls(text)
        if any(name.startswith(SUSPICIOUS) for name in added):
            counts["translate: injection"] += 1
            problems.append(f"{source.name}: the output calls {sorted(added)}")
            return
        counts["translate: translated"] += 1
        return
    lines = result.stderr.strip().splitlines()
    first = lines[0] if lines else ""
    if result.exit_code != 2 or not first.startswith(str(source)) or ": error: " not in first:
        counts["translate: unclean error"] += 1
        problems.append(f"{source.name}: exit {result.exit_code}: {result.stderr[-500:]!r}")
    elif out.exists():
        counts["translate: partial"] += 1
        problems.append(f"{source.name}: refused, yet {out.name} was written")
    else:
        counts["translate: refused cleanly"] += 1


def fuzz_translate(count: int, seed: int, root: Path, counts: Counter, problems: list) -> None:
    rng = random.Random(seed)
    for index in range(count):
        folder = root / f"translate{index}"
        folder.mkdir()
        base = rng.choice(CORPUS).read_text(encoding="utf-8")
        kind = ["mutated", "deep", "encoded", "odd name"][index % 4]
        counts[f"translate kind {kind}"] += 1
        name = rng.choice(ODD_NAMES) if kind == "odd name" else "model.py"
        source = folder / name
        if kind == "deep":
            source.write_text(deep(rng), encoding="utf-8")
        elif kind == "encoded":
            source.write_bytes(encoded(rng, base))
        else:
            source.write_text(mutate(rng, base), encoding="utf-8")
        run_translate(source, folder / ("out_" + name), counts, problems)


# ---------------------------------------------------------------- --update manifests

VICTIM = b"keep me\n"  # a file outside the project that no run may change


def manifest_mutations(rng: random.Random, record: dict, outside: Path) -> str:
    files = dict(record.get("files", {}))
    kind = rng.choice(["climb", "absolute", "garbage", "types", "link", "huge", "empty key"])
    digest = hashlib.sha256(VICTIM).hexdigest()  # "unchanged since dlgen wrote it": removable
    if kind == "climb":
        files["../" * rng.randint(1, 4) + "victim.txt"] = digest
    elif kind == "absolute":
        files[str(outside / "victim.txt")] = digest
    elif kind == "garbage":
        return rng.choice(["{", "[]", "null", "\x00\xff", '{"files": 3}'])
    elif kind == "types":
        files[rng.choice(list(files))] = rng.choice([None, 3, [], {}])
    elif kind == "link":
        files["linked/victim.txt"] = digest
    elif kind == "huge":
        files.update({f"f{i}.py": digest for i in range(2000)})
    else:
        files[""] = digest
    return json.dumps({**record, "files": files})


def fuzz_update(count: int, seed: int, root: Path, counts: Counter, problems: list) -> None:
    rng = random.Random(seed)
    template = root / "update-template"
    result = S.invoke(["new", "linear_regression", "-o", str(template)])
    assert result.exit_code == 0, result.output
    record = json.loads((template / ".dlgen-manifest.json").read_text(encoding="utf-8"))
    for index in range(count):
        counts["update: tried"] += 1
        work = root / f"update{index}"
        outside = work / "outside"
        outside.mkdir(parents=True)
        (outside / "victim.txt").write_bytes(VICTIM)
        project = work / "project"
        shutil.copytree(template, project, symlinks=True)
        (project / "linked").symlink_to(outside, target_is_directory=True)
        (project / ".dlgen-manifest.json").write_text(
            manifest_mutations(rng, record, outside), encoding="utf-8"
        )
        before = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
        siblings = {p.name for p in work.iterdir()}
        result = S.invoke(["new", "--update", "-o", str(project)])
        after = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
        if after != before or {p.name for p in work.iterdir()} != siblings:
            counts["update: wrote outside"] += 1
            problems.append(f"--update #{index} changed {outside} or the project's parent")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            counts["update: crash"] += 1
            problems.append("".join(traceback.format_exception(*result.exc_info))[-1500:])
        elif "Traceback" in result.stdout + result.stderr:
            counts["update: crash"] += 1
            problems.append(result.stderr[-1500:])
        elif result.exit_code == 0:
            counts["update: updated"] += 1
        elif result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1:
            counts["update: refused cleanly"] += 1
        else:
            counts["update: unclean error"] += 1
            problems.append(f"--update #{index}: exit {result.exit_code}: {result.stderr!r}")
