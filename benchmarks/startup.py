"""Start-up time of `gradcli eval` against importing what it is built on.

Target (issues 2 and 14): `gradcli eval "(3*x+2)**2" --at x=1` takes no more than 1.25x the time
of `python -c "import typer, lark, rich.table"`. Runs alternate; medians are compared.
Bytecode caching is on (as for any installed package), whatever the environment says.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("STARTUP_RUNS", "30"))


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    gradcli = shutil.which("gradcli", path=os.path.dirname(sys.executable)) or "gradcli"
    baseline = [sys.executable, "-c", "import typer, lark, rich.table"]
    command = [gradcli, "eval", "(3*x+2)**2", "--at", "x=1"]
    for cmd in (baseline, command):  # warm the bytecode cache
        _time(cmd, env)
    base, ours = [], []
    for _ in range(RUNS):
        base.append(_time(baseline, env))
        ours.append(_time(command, env))
    b, g = statistics.median(base), statistics.median(ours)
    print(f"runs: {RUNS} each, alternating")
    print(f"python -c 'import typer, lark, rich.table'   median {b * 1000:7.1f} ms   min {min(base) * 1000:7.1f} ms")
    print(f"gradcli eval '(3*x+2)**2' --at x=1            median {g * 1000:7.1f} ms   min {min(ours) * 1000:7.1f} ms")
    print(f"ratio (median): {g / b:.2f}x   (target <= 1.25x)")


if __name__ == "__main__":
    main()
