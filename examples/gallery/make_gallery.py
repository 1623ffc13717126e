"""Regenerate the gallery: the drawing of every worked example, made by the real command line.

For each ``examples/NN_name.grad`` it runs ``gradcli graph -f examples/NN_name.grad -o
examples/gallery/NN_name.svg`` (the file carries its own point, so nodes show values and
gradients), and also draws ``03_backward_trace_paths.svg`` with ``--edge-labels --highlight
x``. The drawings are deterministic: the same gradcli and the same Graphviz give the same
bytes, so ``tests/test_graph.py`` regenerates a few and fails when the gallery is stale.

Run from anywhere, with the project's venv::

    .venv/bin/python examples/gallery/make_gallery.py               # all, into examples/gallery/
    .venv/bin/python examples/gallery/make_gallery.py --check       # exit 1 if any is stale
    .venv/bin/python examples/gallery/make_gallery.py --out /tmp/g 03_backward_trace.svg

Regenerating the whole gallery also deletes SVGs here that no example makes any more.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent

# Extra drawings: output name -> (example file, extra options).
EXTRA = {
    "03_backward_trace_paths.svg": ("03_backward_trace.grad", ("--edge-labels", "--highlight", "x")),
    "22_jacobian_row_x0x1.svg": ("22_jacobian.grad", ("--of", "1")),
}


def gradcli_command() -> list[str]:
    """The installed console script next to this Python, else ``python -m gradcli``."""
    script = Path(sys.executable).with_name("gradcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradcli"]


def drawings() -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Every gallery file name -> (the .grad file it draws, the extra options)."""
    made = {f"{grad.stem}.svg": (grad, ()) for grad in sorted(EXAMPLES.glob("*.grad"))}
    for name, (grad, options) in EXTRA.items():
        made[name] = (EXAMPLES / grad, options)
    return dict(sorted(made.items()))


def draw(name: str, out_dir: Path) -> Path:
    grad, options = drawings()[name]
    target = out_dir / name
    command = [*gradcli_command(), "graph", "-f", str(grad), *options, "-o", str(target)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}\nfailed with exit {done.returncode}:\n{done.stderr}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only these drawings (e.g. 03_backward_trace.svg); default: all")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: examples/gallery)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a drawing here is stale")
    args = parser.parse_args(argv)

    known = drawings()
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"no such drawing: {', '.join(unknown)} (known: {', '.join(known)})")
    names = args.names or list(known)

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            stale = [n for n in names if draw(n, Path(tmp)).read_bytes() != _read(HERE / n)]
        for name in stale:
            print(f"stale: {name}")
        return 1 if stale else 0

    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        print(draw(name, args.out))
    if not args.names and args.out.resolve() == HERE:
        for old in sorted(set(HERE.glob("*.svg")) - {HERE / n for n in known}):
            old.unlink()
            print(f"removed {old} (no example draws it any more)")
    return 0


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
