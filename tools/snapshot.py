"""Record what the command line prints for every example, to show a refactor changed nothing.

Runs each ``examples/*.grad`` file through every command and its main options, every help
page, the help pages' examples and a few refused inputs, and writes stdout, stderr and the
exit code of each run into one file per run under OUT. Timings (the jacobian command's cost
table) are masked. Two recordings compare with ``diff -r``.

Run: ``.venv/bin/python tools/snapshot.py OUT``
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRADCLI = [sys.executable, "-m", "gradcli"]
TIMES = re.compile(r"\d+(\.\d+)?\s?(µs|ms|ns|s)\b")
SECONDS = re.compile(r'("seconds": \{[^}]*\})')

PER_EXAMPLE = [
    ["eval"],
    ["eval", "--json"],
    ["eval", "--backward-order", "--constants"],
    ["eval", "--mode", "forward"],
    ["eval", "--order", "2"],
    ["eval", "--order", "2", "--json"],
    ["diff"],
    ["diff", "--latex"],
    ["diff", "--json"],
    ["diff", "--expand"],
    ["diff", "--order", "2"],
    ["compare"],
    ["compare", "--json"],
    ["compare", "--order", "2"],
    ["compare", "--sweep"],
    ["jacobian"],
    ["jacobian", "--json"],
    ["graph", "--format", "dot"],
    ["graph", "--format", "dot", "--edge-labels", "--rankdir", "TB"],
    ["graph", "--format", "svg"],
    ["graph", "--structure", "--format", "dot"],
]

REFUSED = [
    ["eval", "x**2"],
    ["eval", "sin(x", "--at", "x=1"],
    ["eval", "x +* 2", "--at", "x=1"],
    ["eval", "log(x)", "--at", "x=-1"],
    ["eval", "x**2", "--at", "y=1"],
    ["eval", "x**2", "--at", "x=1", "--of", "z"],
    ["diff", "x**2", "--wrt", "y"],
    ["compare", "x**2", "--at", "x=1", "--wrt", "y"],
    ["compare", "x**2", "--at", "x=1", "--expect", "y=2*x"],
    ["eval", "x**2", "--at", "x=1", "--hvp", "1,2"],
    ["graph", "x*y", "--at", "x=1,y=2", "--highlight", "z", "--format", "dot"],
    ["eval", "foo(x)", "--at", "x=1"],
    ["eval", "x^2", "--at", "x=1"],
    ["eval", "[x, x**2]", "--at", "x=1", "--of", "3"],
    ["jacobian", "x*y", "--at", "x=1"],
]


def runs() -> list[tuple[str, list[str], dict[str, str]]]:
    """Every run to record: a file name, the arguments, and extra environment."""
    out = []
    for example in sorted((ROOT / "examples").glob("*.grad")):
        for args in PER_EXAMPLE:
            name = f"{example.stem}__{'_'.join(a.strip('-') for a in args)}"
            out.append((name, [*args, "-f", str(example.relative_to(ROOT))], {}))
    for command in ["", "eval", "diff", "compare", "jacobian", "graph"]:
        for width in ("40", "80", "120"):
            out.append((f"help_{command or 'main'}_{width}", [c for c in [command, "--help"] if c], {"COLUMNS": width}))
    for k, args in enumerate(REFUSED):
        out.append((f"refused_{k:02d}", args, {}))
    for from_help in sorted((ROOT / "gradcli").rglob("help_text.py")):
        text = from_help.read_text()
        for k, line in enumerate(re.findall(r"'(gradcli [^']*)'", text)):
            args = shlex.split(line)[1:]
            if "-o" in args or "--html" in args or "--frames" in args:
                continue
            out.append((f"helpexample_{k:02d}", args, {}))
    for example in ("03_backward_trace.grad", "13_two_layer_net.grad", "20_detach.grad"):
        path = f"examples/{example}"
        out.append((f"html_{example}", ["graph", "-f", path, "--html", "{tmp}/steps.html", "-o", "{tmp}/g.dot"], {}))
        out.append((f"frames_{example}", ["graph", "-f", path, "--frames", "{tmp}/frames"], {}))
    for width in ("40", "80", "120"):
        for example in ("03_backward_trace.grad", "13_two_layer_net.grad", "22_jacobian.grad"):
            for command in (["eval"], ["compare"], ["eval", "--order", "2"]):
                path = f"examples/{example}"
                out.append((f"w{width}_{example}_{'_'.join(command)}", [*command, "-f", path], {"COLUMNS": width}))
    return out


def masked(text: str) -> str:
    """The text with its timings replaced by ``<time>``, and the spacing around them evened."""
    text = SECONDS.sub('"seconds": <time>', TIMES.sub("<time>", text))
    return "\n".join(
        re.sub(" +", " ", line) if "<time>" in line or "passes" in line else line for line in text.split("\n")
    )


def record(out_dir: Path, name: str, args: list[str], env: dict[str, str]) -> None:
    full_env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", **env}
    with tempfile.TemporaryDirectory() as tmp:
        run_args = [a.replace("{tmp}", tmp) for a in args]
        done = subprocess.run([*GRADCLI, *run_args], cwd=ROOT, env=full_env, capture_output=True, timeout=120)
        written = [
            f"--- file {p.relative_to(tmp)}\n{p.read_text()}" for p in sorted(Path(tmp).rglob("*")) if p.is_file()
        ]
    stdout = masked(done.stdout.decode("utf-8", "replace").replace(tmp, "{tmp}"))
    stderr = masked(done.stderr.decode("utf-8", "replace").replace(tmp, "{tmp}"))
    text = f"$ gradcli {shlex.join(args)}\nexit {done.returncode}\n--- stdout\n{stdout}--- stderr\n{stderr}"
    text += "".join(written)
    (out_dir / f"{name}.txt").write_text(text)


def main() -> None:
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = runs()
    with ThreadPoolExecutor(max_workers=int(os.environ.get("SNAPSHOT_WORKERS", "2"))) as pool:
        list(pool.map(lambda run: record(out_dir, *run), todo))
    print(f"{len(todo)} runs recorded in {out_dir}")


if __name__ == "__main__":
    main()
