"""The package's layers import one way only, and no module imports itself round a cycle.

Every ``import`` in every module counts, also those inside functions: a late import
still ties the importer to what it imports. The layers, first to last, are the
sub-packages of ``LAYERS``; a module may import its own layer and earlier ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gradcli"
LAYERS = ["core", "syntax", "ad", "check", "explain", "render", "cli"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every gradcli module ``path`` imports, anywhere in the file (``from a import b``
    counts as ``a.b`` when ``b`` is a module)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name in MODULES}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def layer(name: str) -> int | None:
    """The layer of a module; None for the package's front door (``gradcli``, ``__main__``)."""
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_sits_in_a_layer():
    outside = sorted(n for n in MODULES if layer(n) is None and n not in ("gradcli", "gradcli.__main__"))
    assert outside == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n) is not None))
def test_no_module_imports_a_later_layer(name):
    later = sorted(i for i in GRAPH[name] if layer(i) is not None and layer(i) > layer(name))
    assert later == [], f"{name} ({LAYERS[layer(name)]}) imports later layers: {later}"


def test_the_front_door_imports_the_library_not_the_cli():
    assert not any(layer(i) == LAYERS.index("cli") for i in GRAPH["gradcli"])


def test_no_import_cycle():
    """Depth-first search over the import graph, as a loop: a back edge is a cycle."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for start in sorted(GRAPH):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(GRAPH[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(GRAPH[nxt])))


def test_each_layer_says_what_it_holds_and_may_import():
    for name in LAYERS:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert len(doc.split()) >= 20, f"gradcli/{name}/__init__.py needs a paragraph"
        assert "import" in doc, f"gradcli/{name}/__init__.py should say what it may import"


def test_the_readme_layout_table_lists_the_layers_in_order_and_only_real_paths():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Layout") :].split("\n## ")[0]
    paths = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    folders = [p.removeprefix("gradcli/").strip("/") for p in paths if p.startswith("gradcli/")]
    assert folders == LAYERS
    for path in paths:
        assert (PACKAGE.parent / path).exists(), path
    for module in sorted(MODULES):
        leaf = module.rpartition(".")[2]
        if module.count(".") == 2 and leaf != "__init__":
            assert f"`{leaf}.py`" in table, f"README's Layout table does not mention {module}"
