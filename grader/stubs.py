"""Is a submitted module still the stub the student received? (status "not attempted")

Two independent signs, both read from the source without running it (the parent never imports a
submission):

- **the same code**: the module's normalized source (comments, docstrings and layout dropped)
  hashes to the fingerprint of the kit's stub;
- **the same behaviour**: every function the stub leaves to write (its body is only ``raise
  NotImplementedError``) still only raises ``NotImplementedError``, so no call can do anything.

The fingerprints are stored in ``stubs.json`` beside this module, so graders without the kit's
``exercises/`` (the Gradescope package, the student edition) know them too. ``python -m
grader.stubs --write`` regenerates it from ``exercises/``; a kit test keeps it current.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import sys
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FINGERPRINTS = Path(__file__).with_name("stubs.json")
# Token kinds that carry layout or comments, not code.
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one exercise's stub: its code hash, its functions, and those left to write."""

    code: str
    todo: tuple[str, ...]
    functions: tuple[str, ...] = ()


def _docstring_starts(tree: ast.AST) -> set[tuple[int, int]]:
    """(line, column) where each docstring of the module, its classes and functions starts."""
    starts = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                starts.add((body[0].lineno, body[0].col_offset))
    return starts


def code_hash(source: str) -> str:
    """SHA-256 of the code's tokens, without comments, docstrings, blank lines or indentation.

    Tokens (not ``ast.dump``) so that the hash is the same on every Python version the kit
    supports; joined without separators so that 3.12's split f-string tokens give the same text.
    """
    tree = ast.parse(source)
    docstrings = _docstring_starts(tree)
    kept = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _LAYOUT or (token.type == tokenize.STRING and token.start in docstrings):
            continue
        kept.append(token.string)
    return hashlib.sha256("".join(kept).encode("utf-8", "surrogatepass")).hexdigest()


def _only_raises_not_implemented(body: Sequence[ast.stmt]) -> bool:
    statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        return False
    exc = statements[0].exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def functions(source: str) -> dict[str, bool]:
    """Every function and method by qualified name -> whether it only raises NotImplementedError."""
    found: dict[str, bool] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                found[name] = _only_raises_not_implemented(child.body)
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(ast.parse(source), "")
    return found


def fingerprint(source: str) -> Fingerprint:
    found = functions(source)
    return Fingerprint(code_hash(source), tuple(sorted(n for n, todo in found.items() if todo)),
                       tuple(sorted(found)))


def load(path: Path = FINGERPRINTS) -> dict[str, Fingerprint]:
    """The stored fingerprints by exercise name ({} when the file is missing)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: Fingerprint(entry["code"], tuple(entry["todo"]), tuple(entry.get("functions", ())))
            for name, entry in data.items()}


def untouched(source: str, stub: Fingerprint | None) -> bool:
    """True when *source* is the stub: the same code, or nothing the stub leaves to write is written
    (every such function still only raises NotImplementedError, and no function of its own was added).

    Without a stored fingerprint, a module counts as untouched when it has functions and every one
    of them only raises NotImplementedError. A module that does not parse is an attempt (its
    syntax error is reported by the grading itself).
    """
    try:
        found = functions(source)
        if stub is not None and code_hash(source) == stub.code:
            return True
    except (SyntaxError, ValueError):
        return False
    if stub is not None and stub.todo:
        added = set(found) - set(stub.functions or found)
        return not added and all(found.get(name, False) for name in stub.todo)
    return bool(found) and all(found.values())


def is_untouched(module: Path, exercise: str) -> bool:
    """Whether the file *module* is still the stub of *exercise* (False if unreadable)."""
    try:
        source = module.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return untouched(source, load().get(exercise))


def compute(exercises_dir: Path, names: Sequence[str]) -> dict[str, dict[str, object]]:
    """The fingerprints of the stubs in *exercises_dir*, ready to be stored as JSON."""
    result: dict[str, dict[str, object]] = {}
    for name in names:
        stub = fingerprint((exercises_dir / f"{name}.py").read_text(encoding="utf-8"))
        result[name] = {"code": stub.code, "todo": list(stub.todo), "functions": list(stub.functions)}
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from grader import catalog

    parser = argparse.ArgumentParser(prog="python -m grader.stubs",
                                     description="Print (or --write) the fingerprints of the kit's stubs.")
    parser.add_argument("--exercises", default=str(Path(__file__).resolve().parent.parent / "exercises"),
                        metavar="DIR", help="the folder of the stubs (default: the kit's exercises/)")
    parser.add_argument("--write", action="store_true", help=f"write them to {FINGERPRINTS.name}")
    args = parser.parse_args(argv)
    text = json.dumps(compute(Path(args.exercises), [e.name for e in catalog.EXERCISES]), indent=2) + "\n"
    if args.write:
        FINGERPRINTS.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
