"""The package's folders are the pipeline: no module imports a later stage, and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import digest

PACKAGE = Path(digest.__file__).resolve().parent
# Pipeline order; a module may import its own layer and the ones before it.
LAYERS = ["core", "ingest", "content", "ebook", "publish", "deliver", "pipeline", "editor", "preview", "report", "clikit",
          "cli"]


def _modules() -> dict[str, set[str]]:
    """Every module of the package with the digest modules it imports."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(("digest", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        imports: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("digest"):
                imports.add(node.module)
                imports.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                imports.update(a.name for a in node.names if a.name.startswith("digest"))
        graph[name] = imports
    return {name: {i for i in imports if i in graph and i != name} for name, imports in graph.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_no_module_imports_a_later_stage():
    upward = [f"{module} imports {target}" for module, targets in _modules().items() for target in targets
              if _layer(module) is not None and _layer(target) is not None and _layer(target) > _layer(module)]
    assert upward == []


def test_no_import_cycles():
    graph = _modules()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target):], target] if target in path else [module, target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_every_stage_is_a_folder_and_modules_stay_small():
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert folders == sorted(["core", "ingest", "content", "ebook", "publish", "deliver", "editor", "preview"])
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350}
    assert long == {}


CONTENT = ["text", "images", "issue"]  # the issue is made of text and images, never the other way round


def test_content_folders_keep_their_order():
    def place(module: str) -> int | None:
        parts = module.split(".")
        return CONTENT.index(parts[2]) if len(parts) > 3 and parts[1] == "content" else None

    folders = sorted(p.name for p in (PACKAGE / "content").iterdir() if (p / "__init__.py").is_file())
    assert folders == sorted(CONTENT)
    upward = [f"{module} imports {target}" for module, targets in _modules().items() for target in targets
              if place(module) is not None and place(target) is not None and place(target) > place(module)]
    assert upward == []
