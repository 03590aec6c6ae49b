"""The package is built in floors: a module imports only from its own floor or the floors below it
(docs/architecture.md). This test reads every import statement, at the top of a file or inside a function."""

import ast
from pathlib import Path

import audiopalm

# Floor of each top-level part of the package, lowest first (errors.py under the other floor-0 modules).
FLOORS = {"errors": 0, "folder": 0.5, "config": 0.5, "batcher": 0.5, "audio": 1, "text": 1, "data": 2, "generation": 3, "models": 4, "training": 5,
          "evaluation": 6, "recipes": 7, "bench": 8, "demo": 8, "inference": 8, "serve": 8, "cli": 9, "__main__": 10}
# Imports that run upward, each with its reason (docs/architecture.md lists them too): none.
KNOWN_UPWARD: set[tuple[str, str]] = set()
ROOT = Path(audiopalm.__file__).parent


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def upward_imports() -> set[tuple[str, str]]:
    found = set()
    for path in ROOT.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
        if module == "audiopalm":
            continue  # the package's lazy exports
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("audiopalm."):
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("audiopalm.")]
            else:
                continue
            for target in targets:
                here, there = FLOORS[_part(module)], FLOORS[_part(target)]
                if there > here or (there == here and _part(target) != _part(module)):
                    found.add((module, target))
    return found


def test_every_part_of_the_package_has_a_floor():
    parts = {p.stem if p.is_file() else p.name for p in ROOT.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert parts - {"__init__"} == set(FLOORS)


def test_imports_run_down_the_floors():
    assert upward_imports() == KNOWN_UPWARD
