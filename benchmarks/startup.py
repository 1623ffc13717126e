"""Start-up time of `gradcli eval` against importing what it is built on.

Target (issues 2 and 14): `gradcli eval "(3*x+2)**2" --at x=1` takes no more than 1.25x the time
of `python -c "import typer, lark, rich.table"`. Runs alternate; medians are compared.
Bytecode caching is on (as for any installed package), whatever the environment says.
A program parses without loading Lark now, so the ratio against `import typer, rich.table`
(what the command does load) is printed too, for information.
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
    commands = {
        "python -c 'import typer, lark, rich.table'": [sys.executable, "-c", "import typer, lark, rich.table"],
        "python -c 'import typer, rich.table'": [sys.executable, "-c", "import typer, rich.table"],
        "gradcli eval '(3*x+2)**2' --at x=1": [gradcli, "eval", "(3*x+2)**2", "--at", "x=1"],
    }
    for cmd in commands.values():  # warm the bytecode cache
        _time(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, cmd in commands.items():
            times[name].append(_time(cmd, env))
    print(f"runs: {RUNS} each, alternating")
    for name, runs in times.items():
        print(f"{name:<44} median {statistics.median(runs) * 1000:7.1f} ms   min {min(runs) * 1000:7.1f} ms")
    base, light, ours = (statistics.median(runs) for runs in times.values())
    print(f"ratio (median): {ours / base:.2f}x   (target <= 1.25x)")
    print(f"against typer and rich.table alone: {ours / light:.2f}x")


if __name__ == "__main__":
    main()
