"""Writing output files as Unix tools do, through the real command line.

Every case runs the installed ``gradcli`` console script in a subprocess, in its own
temporary folder. The contract (``gradcli/render/output_files.py``): regular files are replaced
atomically and keep their mode and hard links; symbolic links are followed, never replaced;
devices, FIFOs and ``/dev/stdout`` are written straight through; a run that exits 2 leaves
every file as it was and no temporary file behind, and its message names the user's path;
a run that succeeds reports each file it wrote on stderr, and nothing else.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import stat
import subprocess
from functools import cache, partial
from pathlib import Path

import pytest
from support import GRADCLI, assert_clean_error, cli

from gradcli.render.output_files import human_size

PROGRAM = ("x*3 + 1", "--at", "x=2")
OTHER_PROGRAM = ("a = x*x; b = a + 1; b*2", "--at", "x=3")
WROTE = re.compile(r"wrote (.+) \((\d+ B|\d+\.\d kB|\d+\.\d MB)\)")
OLD = b"the old content\n"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="replacing /dev/null takes root")


def run(*args: str, **options) -> subprocess.CompletedProcess:
    """``gradcli ARGS``; stdout as bytes (when captured), COLUMNS as the environment has it."""
    return cli(*args, binary=True, columns=None, **options)


# A refusal here is one line, and never shows the name of the temporary file a write goes through.
assert_one_line_error = partial(assert_clean_error, one_line=True, never=["gradcli-tmp"])


def assert_wrote(done: subprocess.CompletedProcess, *names: str) -> None:
    """Exit 0 and stderr exactly one ``wrote NAME (SIZE)`` line per name, in order."""
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert all(WROTE.fullmatch(line) for line in lines), done.stderr
    assert [WROTE.fullmatch(line).group(1) for line in lines] == list(names), done.stderr


def listing(folder: Path) -> list[str]:
    """Every name under ``folder``, hidden ones too, relative to it."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@cache
def svg_of(*program: str) -> bytes:
    done = run("graph", *program, "--format", "svg")
    assert done.returncode == 0 and done.stdout.startswith(b"<?xml"), done.stderr
    return done.stdout


@pytest.fixture
def device_nodes_restored():
    """Puts /dev/null and /dev/stdout back should a broken gradcli, run as root, replace them."""
    yield
    if os.geteuid() != 0:
        return
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        os.unlink("/dev/null")
        os.mknod("/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.chmod("/dev/null", 0o666)
    if not os.path.islink("/dev/stdout"):
        os.unlink("/dev/stdout")
        os.symlink("/proc/self/fd/1", "/dev/stdout")


# ---------------------------------------------------------------- what is not a regular file


@needs_root
def test_dev_null_stays_a_device(tmp_path, device_nodes_restored):
    before = os.stat("/dev/null")
    done = run("graph", *PROGRAM, "--format", "svg", "-o", "/dev/null", cwd=tmp_path)
    assert_wrote(done, "/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)
    assert listing(tmp_path) == [] and not [name for name in os.listdir("/dev") if "gradcli-tmp" in name]


def test_dev_stdout_writes_to_the_pipe_and_stays_a_link(tmp_path, device_nodes_restored):
    assert os.path.islink("/dev/stdout")
    done = run("graph", *PROGRAM, "--format", "svg", "-o", "/dev/stdout", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr  # standard output is not reported
    assert done.stdout == svg_of(*PROGRAM)
    assert os.path.islink("/dev/stdout")
    dash = run("graph", *PROGRAM, "--format", "svg", "-o", "-", cwd=tmp_path)
    assert dash.returncode == 0 and dash.stdout == svg_of(*PROGRAM) and dash.stderr == ""


def test_a_symlink_is_followed_and_kept(tmp_path):
    (tmp_path / "real.svg").write_bytes(OLD)
    (tmp_path / "link.svg").symlink_to("real.svg")
    assert_wrote(run("graph", *PROGRAM, "-o", "link.svg", cwd=tmp_path), "link.svg")
    assert os.readlink(tmp_path / "link.svg") == "real.svg"
    assert (tmp_path / "real.svg").read_bytes() == svg_of(*PROGRAM)
    assert listing(tmp_path) == ["link.svg", "real.svg"]


def test_a_fifo_gets_the_bytes(tmp_path):
    fifo = tmp_path / "pipe.svg"
    os.mkfifo(fifo)
    assert len(svg_of(*PROGRAM)) < 60_000  # fits in the pipe's buffer, so the writer never waits for us
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there: gradcli's open does not block
    try:
        done = run("graph", *PROGRAM, "-o", "pipe.svg", cwd=tmp_path)
        received = b""
        while chunk := _read_available(reader):
            received += chunk
    finally:
        os.close(reader)
    assert_wrote(done, "pipe.svg")
    assert received == svg_of(*PROGRAM)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and listing(tmp_path) == ["pipe.svg"]


def _read_available(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return b""


# ---------------------------------------------------------------- existing regular files


def test_mode_is_kept_and_a_new_file_follows_the_umask(tmp_path):
    old = tmp_path / "g.svg"
    old.write_bytes(OLD)
    old.chmod(0o640)
    assert_wrote(run("graph", *PROGRAM, "-o", "g.svg", cwd=tmp_path), "g.svg")
    assert old.read_bytes() == svg_of(*PROGRAM) and stat.S_IMODE(old.stat().st_mode) == 0o640
    done = run("graph", *PROGRAM, "-o", "new.svg", cwd=tmp_path, preexec_fn=lambda: os.umask(0o027))
    assert_wrote(done, "new.svg")
    assert stat.S_IMODE((tmp_path / "new.svg").stat().st_mode) == 0o640  # 0o666 & ~0o027, not mkstemp's 0o600


def test_a_hard_linked_file_keeps_its_links(tmp_path):
    (tmp_path / "g.svg").write_bytes(OLD)
    os.link(tmp_path / "g.svg", tmp_path / "other_name.svg")
    assert_wrote(run("graph", *PROGRAM, "-o", "g.svg", cwd=tmp_path), "g.svg")
    assert os.path.samefile(tmp_path / "g.svg", tmp_path / "other_name.svg")
    assert (tmp_path / "other_name.svg").read_bytes() == svg_of(*PROGRAM)
    assert listing(tmp_path) == ["g.svg", "other_name.svg"]


def test_a_read_only_file_is_refused_and_kept(tmp_path):
    target = tmp_path / "g.svg"
    target.write_bytes(OLD)
    target.chmod(0o444)
    assert_one_line_error(run("graph", *PROGRAM, "-o", "g.svg", cwd=tmp_path), "cannot write g.svg", "read-only")
    assert target.read_bytes() == OLD and stat.S_IMODE(target.stat().st_mode) == 0o444
    assert listing(tmp_path) == ["g.svg"]


def test_a_planted_symlink_at_the_old_temporary_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(OLD)
    (tmp_path / ".g.svg.gradcli-tmp").symlink_to(victim)
    assert_wrote(run("graph", *PROGRAM, "-o", "g.svg", cwd=tmp_path), "g.svg")
    assert victim.read_bytes() == OLD
    assert os.readlink(tmp_path / ".g.svg.gradcli-tmp") == str(victim)
    assert not (tmp_path / "g.svg").is_symlink() and (tmp_path / "g.svg").read_bytes() == svg_of(*PROGRAM)
    assert listing(tmp_path) == [".g.svg.gradcli-tmp", "g.svg", "victim"]


# ---------------------------------------------------------------- a failed run changes nothing


def test_html_into_a_folder_leaves_the_drawing_alone(tmp_path):
    (tmp_path / "g.svg").write_bytes(OLD)
    (tmp_path / "pages").mkdir()
    done = run("graph", *PROGRAM, "-o", "g.svg", "--html", "pages", cwd=tmp_path)
    assert_one_line_error(done, "cannot write pages", "folder")
    assert (tmp_path / "g.svg").read_bytes() == OLD
    assert listing(tmp_path) == ["g.svg", "pages"]


def test_failing_html_after_frames_leaves_the_old_frames(tmp_path):
    assert_wrote(run("graph", *PROGRAM, "--frames", "slides", cwd=tmp_path), "6 frames to slides/")
    before = {name: (tmp_path / name).read_bytes() for name in listing(tmp_path) if "." in name}
    (tmp_path / "pages").mkdir()
    done = run("graph", *OTHER_PROGRAM, "--frames", "slides", "--html", "pages", cwd=tmp_path)
    assert_one_line_error(done, "cannot write pages")
    assert {name: (tmp_path / name).read_bytes() for name in listing(tmp_path) if "." in name} == before


def test_stale_frames_go_once_the_new_ones_are_in(tmp_path):
    assert_wrote(run("graph", *OTHER_PROGRAM, "--frames", "slides", cwd=tmp_path), "8 frames to slides/")
    (tmp_path / "slides" / "notes.txt").write_bytes(OLD)
    assert_wrote(run("graph", *PROGRAM, "--frames", "slides", cwd=tmp_path), "6 frames to slides/")
    names = sorted(os.listdir(tmp_path / "slides"))
    assert names == ["notes.txt", *sorted(f"step{k}_{'forward' if k < 4 else 'backward'}.svg" for k in range(1, 7))]


def test_two_outputs_to_one_file_are_refused(tmp_path):
    done = run("graph", *PROGRAM, "-o", "x.svg", "--html", "x.svg", cwd=tmp_path)
    assert_one_line_error(done, "-o x.svg", "--html x.svg", "same file")
    assert listing(tmp_path) == []
    (tmp_path / "slides").mkdir()
    done = run("graph", *PROGRAM, "-o", "slides/step1_forward.svg", "--frames", "slides", cwd=tmp_path)
    assert_one_line_error(done, "--frames", "slides/step1_forward.svg", "same file")
    assert listing(tmp_path) == ["slides"]


def test_a_missing_folder_is_refused_not_created(tmp_path):
    done = run("graph", *PROGRAM, "-o", "out/g.svg", cwd=tmp_path)
    assert_one_line_error(done, "cannot write out/g.svg: the folder out does not exist")
    done = run("graph", *PROGRAM, "--frames", "deep/slides", cwd=tmp_path)
    assert_one_line_error(done, "cannot write deep/slides: the folder deep does not exist")
    done = run("compare", "sin(x)", "--at", "x=1", "--sweep", "-o", "out/sweep.svg", cwd=tmp_path)
    assert_one_line_error(done, "cannot write out/sweep.svg: the folder out does not exist")
    assert listing(tmp_path) == []


def test_frames_create_only_their_own_folder(tmp_path):
    assert_wrote(run("graph", *PROGRAM, "--frames", "slides", cwd=tmp_path), "6 frames to slides/")
    assert len(os.listdir(tmp_path / "slides")) == 6


def test_an_existing_folder_as_output_is_refused_without_leftovers(tmp_path):
    (tmp_path / "drawing").mkdir()
    done = run("graph", *PROGRAM, "--format", "svg", "-o", "drawing", cwd=tmp_path)
    assert_one_line_error(done, "cannot write drawing: it is a folder")
    assert listing(tmp_path) == ["drawing"]


def _files_of_1000_bytes_at_most() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed


def test_a_failed_write_names_the_file_and_leaves_nothing(tmp_path):
    (tmp_path / "g.svg").write_bytes(OLD)
    args = ("graph", *PROGRAM, "-o", "g.svg", "--html", "page.html")
    done = run(*args, cwd=tmp_path, preexec_fn=_files_of_1000_bytes_at_most)
    assert_one_line_error(done, "cannot write g.svg: File too large")
    assert (tmp_path / "g.svg").read_bytes() == OLD
    assert listing(tmp_path) == ["g.svg"]


# ---------------------------------------------------------------- reporting, and binary on a terminal


def test_each_written_file_is_reported_with_its_size(tmp_path):
    done = run("graph", *PROGRAM, "-o", "g.svg", "--html", "page.html", "--frames", "slides/", cwd=tmp_path)
    assert_wrote(done, "g.svg", "page.html", "6 frames to slides/")
    sizes = [WROTE.fullmatch(line).group(2) for line in done.stderr.splitlines()]
    frames = sum(path.stat().st_size for path in (tmp_path / "slides").iterdir())
    assert sizes == [human_size((tmp_path / name).stat().st_size) for name in ("g.svg", "page.html")] + [
        human_size(frames)
    ]
    sweep = run("compare", "sin(x)", "--at", "x=1", "--sweep", "-o", "sweep.svg", cwd=tmp_path)
    assert_wrote(sweep, "sweep.svg")
    assert sweep.stdout  # the table still goes to stdout


SWEEP = ("compare", "sin(x)", "--at", "x=1", "--sweep")
SIGNATURES = {"svg": b"<?xml", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF"}


@pytest.mark.parametrize("fmt", sorted(SIGNATURES))
def test_the_sweep_chart_is_written_in_the_format_of_its_suffix(tmp_path, fmt):
    done = run(*SWEEP, "-o", f"sweep.{fmt.upper()}", cwd=tmp_path)
    assert_wrote(done, f"sweep.{fmt.upper()}")
    assert (tmp_path / f"sweep.{fmt.upper()}").read_bytes().startswith(SIGNATURES[fmt])
    assert listing(tmp_path) == [f"sweep.{fmt.upper()}"]


def test_the_sweep_chart_refuses_other_suffixes_before_any_work(tmp_path):
    for name in ("sweep.txt", "sweep", "sweep.svg.gz"):
        assert_one_line_error(
            run(*SWEEP, "-o", name, cwd=tmp_path), f"{name}: a chart is written as .svg, .png or .pdf"
        )
    assert listing(tmp_path) == []


def test_the_sweep_chart_on_stdout_is_svg(tmp_path):
    for name in ("-", "/dev/stdout"):
        done = run(*SWEEP, "-o", name, cwd=tmp_path)
        assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith(b"<?xml"), done.stderr
        assert b"<svg" in done.stdout and done.stdout.rstrip().endswith(b"</svg>")
    assert listing(tmp_path) == []


def test_human_sizes():
    assert [human_size(n) for n in (0, 999, 1000, 5149, 63_200, 999_949, 999_950, 2_345_678)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "5.1 kB",
        "63.2 kB",
        "999.9 kB",
        "1.0 MB",
        "2.3 MB",
    ]


def test_png_is_not_sent_to_a_terminal(tmp_path):
    controller, terminal = os.openpty()
    try:
        command = [*GRADCLI, "graph", *PROGRAM, "--format", "png"]
        child = subprocess.Popen(command, stdout=terminal, stderr=subprocess.PIPE, cwd=tmp_path)
        os.close(terminal)
        shown = _terminal_output(controller)  # read as it comes: a full terminal would block the child
        stderr = child.stderr.read().decode("utf-8", "replace")
        child.wait(timeout=60)
    finally:
        os.close(controller)
    done = subprocess.CompletedProcess(command, child.returncode, b"", stderr)
    assert_one_line_error(done, "PNG is binary", "-o FILE.png", "--format png > g.png")
    assert shown == b"" and listing(tmp_path) == []
    piped = run("graph", *PROGRAM, "--format", "png", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stdout.startswith(b"\x89PNG\r\n\x1a\n") and piped.stderr == ""


def _terminal_output(controller: int) -> bytes:
    """Everything written to the terminal, until its other end is closed (then reading fails with EIO)."""
    received = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            return received
        if not chunk:
            return received
        received += chunk
