"""Every ``--help`` page: printed exactly as written, fitting the terminal, and every example runs.

The examples are read back out of the printed help (not out of the source), then run as
printed by a shell, from a folder that has the repository's ``examples/``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support import GRADCLI, ROOT, cli

from gradcli.cli import help_text

COMMANDS = ["", "eval", "diff", "compare", "jacobian", "graph"]
BIN = Path(GRADCLI[0]).parent


def help_page(command: str, columns: int = 80) -> str:
    args = [command, "--help"] if command else ["--help"]
    done = cli(*args, columns=columns)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def printed_examples(page: str) -> list[str]:
    """The lines of the block under 'Examples:', as printed (indentation removed)."""
    lines = page.splitlines()
    start = lines.index("  Examples:") + 2
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line.strip())
    return block


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("columns", [40, 80, 200])
def test_examples_print_exactly_as_written(command, columns):
    assert printed_examples(help_page(command, columns)) == help_text.EXAMPLES[command]


def test_every_example_is_short_enough_for_80_columns():
    """The help prints examples 4 columns in and never wraps them: each fits an 80-column terminal."""
    for examples in help_text.EXAMPLES.values():
        assert all(len(line) <= help_text.MAX_EXAMPLE for line in examples), examples


@pytest.mark.parametrize("command", COMMANDS)
def test_help_fits_80_columns_without_trailing_spaces(command):
    for line in help_page(command).splitlines():
        assert len(line) <= 80, line
        assert line == line.rstrip(), repr(line)


def test_square_brackets_survive():
    """Rich once read ``[x0**2 + x1, x0*x1]`` as markup and printed ``""``."""
    assert 'gradcli jacobian "[x0**2 + x1, x0*x1]" --at x0=2,x1=3' in help_page("")
    assert "a list [e1, e2, ...] has several outputs" in " ".join(help_page("jacobian").split())


def test_function_list_comes_from_the_op_table():
    from gradcli.core.ops import FUNCTIONS

    page = " ".join(help_page("eval").split())
    for name in FUNCTIONS:
        assert re.search(rf"[ (]{name}[ ),.]", page), name


def run_example(line: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "80"}
    return subprocess.run(["bash", "-c", line], cwd=folder, capture_output=True, text=True, timeout=120, env=env)


def test_every_example_runs_as_printed(tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    lines = [(command, line) for command in COMMANDS for line in printed_examples(help_page(command))]
    assert len(lines) >= 30
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda item: run_example(item[1], tmp_path), lines))
    for (command, line), done in zip(lines, results):
        where = f"gradcli {command} --help: {line}\nstdout={done.stdout[-500:]!r}\nstderr={done.stderr[-500:]!r}"
        assert done.returncode == 0, where
        assert "error:" not in done.stderr and "Traceback" not in done.stderr, where
        written = [word for word in shlex.split(line, comments=True) if (tmp_path / word).exists()]
        assert done.stdout or written, where


def test_readme_lists_every_function_of_the_op_table():
    """The README's list is the help's list, and its table the ops' docs, domains and conventions,
    generated from the op table: a new op must appear in both."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"<!-- functions -->`(.*?)`<!-- /functions -->", readme)
    assert listed, "README.md lost its <!-- functions --> marker"
    assert listed.group(1) == help_text.function_names(), f"paste into README.md: {help_text.function_names()}"
    table = re.search(r"<!-- function table -->\n(.*?)\n<!-- /function table -->", readme, re.DOTALL)
    assert table, "README.md lost its <!-- function table --> marker"
    assert table.group(1) == help_text.function_table(), f"paste into README.md:\n{help_text.function_table()}"


def test_every_function_is_in_exactly_one_group():
    from gradcli.core.ops import COMPOSITES, GROUPS, OPS

    grouped = [name for names in GROUPS.values() for name in names]
    assert len(grouped) == len(set(grouped)), "a function in two groups"
    assert set(grouped) == {op.name for op in OPS.values() if op.callable_as} | set(COMPOSITES)
