"""Packaging: the grammar is found from a wheel and from the checkout; README and CI agree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import ROOT

import gradcli
from gradcli.syntax.parser import grammar_path


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.DOTALL)[:2]


def test_readme_opens_with_install_and_test_commands():
    """The first command installs the tool alone and runs it; the second adds the test extra."""
    install, test = _readme_commands()
    assert "pip install -e . &&" in install and "[test]" not in install
    assert 'gradcli eval "(3*x+2)**2" --at x=1' in install
    assert "pip install -e '.[test]' &&" in test and test.endswith("python -m pytest")
    assert "\n" not in install and "\n" not in test


def test_ci_runs_the_readme_test_command():
    _, test = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test.strip() in ci.splitlines()
    assert "apt-get install -y" in ci and "graphviz" in ci and "chromium" in ci


def test_test_tools_are_only_in_the_test_extra():
    """The tool's own dependencies leave out what only the tests use."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {re.split(r"[<>=\[ ]", d)[0] for d in project["dependencies"]}
    testing = {re.split(r"[<>=\[ ]", d)[0] for d in project["optional-dependencies"]["test"]}
    # Graphviz's dot runs as a program, not through a binding
    assert needed == {"typer", "lark", "numpy", "rich", "scipy", "matplotlib"}
    assert {"pytest", "hypothesis", "sympy", "playwright", "ruff"} <= testing and not needed & testing


def test_checkout_grammar_is_the_top_level_file():
    if Path(gradcli.__file__).resolve().parent.parent != ROOT:
        pytest.skip("gradcli is not imported from this checkout")
    assert grammar_path() == ROOT / "grammars" / "gradcli.lark"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("gradcli-*.whl")
    return built


def test_wheel_carries_the_grammar(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "gradcli/grammars/gradcli.lark" in names
    packaged = zipfile.ZipFile(wheel).read("gradcli/grammars/gradcli.lark")
    assert packaged == (ROOT / "grammars" / "gradcli.lark").read_bytes()


def test_wheel_install_finds_its_grammar(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = (
        "import gradcli, gradcli.syntax.parser as p; "
        "print(gradcli.__file__); print(p.grammar_path()); "
        "print(gradcli.evaluate('(3*x+2)**2', {'x': 1}).gradient['x'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    module_file, grammar, grad = result.stdout.split("\n")[:3]
    assert Path(module_file).is_relative_to(site)
    assert Path(grammar) == site / "gradcli" / "grammars" / "gradcli.lark"
    assert float(grad) == 30.0
    cli = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", "(3*x+2)**2", "--at", "x=1", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    assert '"value": 25.0' in cli.stdout
