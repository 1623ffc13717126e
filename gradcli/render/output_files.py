"""Writing output files as Unix tools do: all or nothing, and never replacing what is not a file of ours.

Every output is planned and checked before a byte is written. By the kind of target:

- a regular file (new or existing) is written to a temporary file with an unpredictable name
  (``.NAME.XXXXXXXX.gradcli-tmp``, created exclusively) in its folder, then renamed over the
  target; an existing file keeps its mode (and, for root, its owner), a new one gets
  ``0o666 & ~umask``;
- a regular file that renaming would break is truncated and written in place: one with other
  hard links, a mount point (a device other than its folder's), one in a folder we may not
  write, or one reached through a ``/proc`` link;
- a character device or a FIFO (``/dev/null``, a named pipe) is opened without creating or
  truncating anything and written straight through;
- ``-``, ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and ``/proc/self/fd/N`` are written to
  that descriptor of this process, where the shell pointed it;
- a symbolic link is followed, never replaced: its destination is written by these rules;
- refused: a folder, a missing folder (``--frames DIR`` may create DIR itself when its parent
  exists), a read-only file, a dangling link, a socket, a block device, two outputs to one file,
  and binary data to a terminal.

Temporary files are all complete before the first rename; the renames run in one short loop;
writes that cannot be undone (in place, straight through) come last. A failure before the
renames removes every temporary file and changes no target. Errors are :class:`InputProblem`
naming the path as the user wrote it, never a temporary file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from gradcli.core.errors import InputProblem

STDOUT = "-"
TEMPORARY_SUFFIX = ".gradcli-tmp"
_DESCRIPTOR = re.compile(r"/dev/(?:(stdout)|(stderr)|fd/(\d+))|/proc/self/fd/(\d+)")
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH

# How a target is written.
_RENAME = "rename"  # a temporary file renamed over it
_IN_PLACE = "in place"  # truncated and written
_THROUGH = "through"  # opened as it is (device, FIFO) and written
_DESCRIPTOR_WRITE = "descriptor"  # one of this process's open descriptors


class Output(NamedTuple):
    """One output: the option that asked for it (for messages), the path as the user wrote it
    (``-`` for standard output), its bytes, and whether they are binary (never sent to a terminal)."""

    option: str
    path: str
    data: bytes
    binary: bool = False


class FrameFolder(NamedTuple):
    """Numbered files written into one folder, created when only the folder itself is missing;
    files an earlier run left there (names matching ``stale``) are removed once the new ones are in place."""

    option: str
    folder: str
    files: Sequence[tuple[str, bytes]]
    stale: re.Pattern[str]


@dataclass
class _Target:
    shown: str  # the path as the user wrote it
    option: str
    data: bytes
    how: str
    real: str = ""  # the path written to: a link's destination
    fd: int = -1
    mode: int = 0o666
    owner: tuple[int, int] | None = None
    key: tuple | None = None  # two targets with one key are one file; None: never a clash (a terminal, /dev/null)
    in_frames: bool = False


@dataclass
class _Plan:
    targets: list[_Target]
    frames: FrameFolder | None = None
    frames_real: str = ""
    create_frames_folder: bool = False


def write_outputs(outputs: Sequence[Output], frames: FrameFolder | None = None) -> list[str]:
    """Write every output (and the frames) or none, as the module describes, and return the lines
    to report: ``wrote g.svg (5.1 kB)`` per file, one line for the frames, nothing for standard output."""
    plan = _plan(outputs, frames)
    staged = _stage(plan)
    _rename_all(plan, staged)
    notes = _remove_stale_frames(plan)
    _write_directly(plan, [target for _, target in staged])
    return _report(plan) + notes


def _plan(outputs: Sequence[Output], frames: FrameFolder | None) -> _Plan:
    """Where and how each output will be written; :class:`InputProblem` for any that cannot be, before any writing."""
    umask = _umask()
    targets = [_plan_target(output, umask) for output in outputs]
    plan = _Plan(targets)
    if frames is not None:
        _plan_frames(plan, frames, umask)
    _check_distinct(plan.targets)
    return plan


def writes_to_stdout(path: str) -> bool:
    """Whether ``path`` names this process's standard output (``-``, ``/dev/stdout``, ``/dev/fd/1``)."""
    if path == STDOUT:
        return True
    match = _DESCRIPTOR.fullmatch(path)
    return match is not None and (match.group(1) is not None or "1" in (match.group(3), match.group(4)))


def human_size(size: int) -> str:
    """A byte count as ``812 B``, ``5.1 kB`` or ``2.3 MB`` (decimal units)."""
    if size < 1000:
        return f"{size} B"
    if size < 999_950:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


# ---------------------------------------------------------------- planning


def _plan_target(output: Output, umask: int) -> _Target:
    shown = output.path
    if shown == STDOUT or _DESCRIPTOR.fullmatch(shown):
        return _descriptor_target(output)
    target = _Target(_display(shown), output.option, output.data, _RENAME)
    try:
        info = os.stat(shown)
    except (FileNotFoundError, NotADirectoryError):
        return _new_file(target, shown, umask)
    except OSError as error:
        raise _cannot(target.shown, error.strerror) from None
    kind = info.st_mode
    if stat.S_ISREG(kind):
        return _existing_file(target, shown, info)
    if stat.S_ISCHR(kind) or stat.S_ISFIFO(kind):
        _refuse_read_only(target.shown, shown, info)
        target.how, target.real = _THROUGH, shown
        target.key = None if stat.S_ISCHR(kind) else ("inode", info.st_dev, info.st_ino)
        return target
    raise _cannot(target.shown, _refusal(kind))


def _refusal(kind: int) -> str:
    if stat.S_ISDIR(kind):
        return "it is a folder: name a file in it"
    if stat.S_ISBLK(kind):
        return "it is a block device (a disk): gradcli does not write to disks"
    if stat.S_ISSOCK(kind):
        return "it is a socket"
    return "it is not a file"


def _descriptor_target(output: Output) -> _Target:
    match = _DESCRIPTOR.fullmatch(output.path)
    fd = 1 if match is None or match.group(1) else 2 if match.group(2) else int(match.group(3) or match.group(4))
    shown = _display(output.path)
    try:
        info = os.fstat(fd)
    except OSError:
        raise _cannot(shown, f"descriptor {fd} is not open") from None
    if output.binary and os.isatty(fd):
        raise _cannot(shown, "it is a terminal, and this output is binary: write it to a file, or pipe it")
    key = None if stat.S_ISCHR(info.st_mode) else ("inode", info.st_dev, info.st_ino)
    return _Target(shown, output.option, output.data, _DESCRIPTOR_WRITE, fd=fd, key=key)


def _new_file(target: _Target, path: str, umask: int) -> _Target:
    if os.path.islink(path):
        raise _cannot(target.shown, f"it is a symbolic link to {os.readlink(path)}, which does not exist")
    folder, name = os.path.split(path)
    if not name:
        raise _cannot(target.shown, "name a file, not a folder")
    problem = _folder_problem(folder)
    if problem:
        raise _cannot(target.shown, problem)
    target.real = os.path.join(os.path.realpath(folder or "."), name)
    target.mode = 0o666 & ~umask
    target.key = ("path", target.real)
    return target


def _existing_file(target: _Target, path: str, info: os.stat_result) -> _Target:
    _refuse_read_only(target.shown, path, info)
    target.key = ("inode", info.st_dev, info.st_ino)
    target.mode = stat.S_IMODE(info.st_mode)
    target.owner = (info.st_uid, info.st_gid)
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    try:
        same_file = os.path.samestat(os.stat(real), info)
        folder_info = os.stat(folder)
    except OSError:
        same_file, folder_info = False, None
    renamable = (
        same_file
        and info.st_nlink == 1
        and folder_info is not None
        and folder_info.st_dev == info.st_dev
        and os.access(folder, os.W_OK | os.X_OK)
    )
    target.how, target.real = (_RENAME, real) if renamable else (_IN_PLACE, real if same_file else path)
    return target


def _refuse_read_only(shown: str, path: str, info: os.stat_result) -> None:
    if info.st_mode & _WRITE_BITS == 0:
        raise _cannot(shown, f"it is read-only (chmod u+w {shown} lets gradcli replace it)")
    if not os.access(path, os.W_OK):
        raise _cannot(shown, "you may not write it (permission denied)")


def _folder_problem(folder: str) -> str | None:
    """Why a new file cannot be made in ``folder`` (as the user wrote it), or None."""
    try:
        info = os.stat(folder or ".")
    except FileNotFoundError:
        return f"the folder {folder} does not exist"
    except NotADirectoryError:
        return f"{_first_file(folder)} is a file, not a folder"
    except OSError as error:
        return f"{folder}: {error.strerror}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{folder} is a file, not a folder"
    if not os.access(folder or ".", os.W_OK | os.X_OK):
        return f"the folder {folder or '.'} is not writable"
    return None


def _first_file(path: str) -> str:
    """The outermost part of ``path`` that is not a folder."""
    while True:
        parent = os.path.dirname(path)
        if not parent or parent == path or os.path.isdir(parent):
            return path
        path = parent


def _plan_frames(plan: _Plan, frames: FrameFolder, umask: int) -> None:
    shown = _display(frames.folder)
    try:
        info = os.stat(frames.folder)
    except (FileNotFoundError, NotADirectoryError):
        _plan_frames_folder(plan, frames, umask)
        return
    except OSError as error:
        raise _cannot(shown, error.strerror) from None
    if not stat.S_ISDIR(info.st_mode):
        raise _cannot(shown, f"{frames.option} needs a folder, and {shown} is a file")
    plan.frames, plan.frames_real = frames, os.path.realpath(frames.folder)
    for name, data in frames.files:
        target = _plan_target(Output(frames.option, os.path.join(frames.folder, name), data), umask)
        target.in_frames = True
        plan.targets.append(target)


def _plan_frames_folder(plan: _Plan, frames: FrameFolder, umask: int) -> None:
    """Frames into a folder to create: only its last level, like ``mkdir`` (not ``mkdir -p``)."""
    shown = _display(frames.folder)
    if os.path.islink(frames.folder.rstrip("/")):
        raise _cannot(shown, f"it is a symbolic link to {os.readlink(frames.folder.rstrip('/'))}, which does not exist")
    parent, name = os.path.split(frames.folder.rstrip("/"))
    problem = _folder_problem(parent)
    if problem:
        raise _cannot(shown, problem)
    real = os.path.join(os.path.realpath(parent or "."), name)
    plan.frames, plan.frames_real, plan.create_frames_folder = frames, real, True
    for name, data in frames.files:
        path = os.path.join(real, name)
        shown_file = os.path.join(frames.folder, name)
        target = _Target(shown_file, frames.option, data, _RENAME, real=path, mode=0o666 & ~umask, key=("path", path))
        target.in_frames = True
        plan.targets.append(target)


def _check_distinct(targets: list[_Target]) -> None:
    seen: dict[tuple, _Target] = {}
    for target in targets:
        if target.key is None:
            continue
        first = seen.setdefault(target.key, target)
        if first is not target:
            raise _cannot(
                target.shown,
                f"{first.option} {first.shown} and {target.option} {target.shown} are the same file: "
                "give each output its own name",
            )


# ---------------------------------------------------------------- writing


def _stage(plan: _Plan) -> list[tuple[str, _Target]]:
    """Every renamed target's complete temporary file, or none of them (and no new folder)."""
    staged: list[tuple[str, _Target]] = []
    current = _display(plan.frames.folder) if plan.frames else ""
    try:
        if plan.create_frames_folder:
            os.mkdir(plan.frames_real)
        for target in plan.targets:
            if target.how == _RENAME:
                current = target.shown
                staged.append((_temporary_copy(target), target))
    except BaseException as error:
        for temporary, _ in staged:
            _remove_quietly(temporary)
        if plan.create_frames_folder:
            with contextlib.suppress(OSError):
                os.rmdir(plan.frames_real)
        if isinstance(error, OSError):
            raise _cannot(current, error.strerror) from None
        raise
    return staged


def _temporary_copy(target: _Target) -> str:
    folder, name = os.path.split(target.real)
    fd, temporary = tempfile.mkstemp(prefix=f".{name[:100]}.", suffix=TEMPORARY_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            _copy_owner(file.fileno(), target.owner)
            os.fchmod(file.fileno(), target.mode)
            file.write(target.data)
    except BaseException:
        _remove_quietly(temporary)
        raise
    return temporary


def _copy_owner(fd: int, owner: tuple[int, int] | None) -> None:
    """Best effort: root gives the new file the old one's owner and group; others try the group."""
    if owner is None:
        return
    uid, gid = owner
    with contextlib.suppress(OSError):
        os.fchown(fd, uid if os.geteuid() == 0 else -1, gid)


def _rename_all(plan: _Plan, staged: list[tuple[str, _Target]]) -> None:
    for k, (temporary, target) in enumerate(staged):
        try:
            os.replace(temporary, target.real)
        except OSError as error:
            for rest, _ in staged[k:]:
                _remove_quietly(rest)
            raise _cannot(target.shown, error.strerror, _names(plan, [done for _, done in staged[:k]])) from None


def _remove_stale_frames(plan: _Plan) -> list[str]:
    """Remove frames an earlier run left in the frames folder; notes for any that could not be removed."""
    if plan.frames is None:
        return []
    new = {name for name, _ in plan.frames.files}
    ours = {target.key for target in plan.targets} - {None}
    try:
        names = sorted(os.listdir(plan.frames_real))
    except OSError as error:
        return [f"note: could not look for old frames in {_frames_shown(plan)}: {error.strerror}"]
    notes = []
    for name in names:
        path = os.path.join(plan.frames_real, name)
        if name in new or not plan.frames.stale.fullmatch(name) or _key(path) in ours:
            continue
        try:
            os.unlink(path)
        except OSError as error:
            notes.append(f"note: could not remove {os.path.join(plan.frames.folder, name)}: {error.strerror}")
    return notes


def _key(path: str) -> tuple | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return ("inode", info.st_dev, info.st_ino)


def _write_directly(plan: _Plan, written: list[_Target]) -> None:
    """The writes that cannot be undone: in place, straight through, and to descriptors, in order."""
    for target in plan.targets:
        if target.how == _RENAME:
            continue
        try:
            if target.how == _DESCRIPTOR_WRITE:
                _write_all(target.fd, target.data)
            else:
                _open_and_write(target)
        except OSError as error:
            raise _cannot(target.shown, error.strerror, _names(plan, written)) from None
        written.append(target)


def _open_and_write(target: _Target) -> None:
    # Never O_CREAT: a device that vanished since the plan is not recreated as a file.
    flags = os.O_WRONLY | os.O_NOCTTY | (os.O_TRUNC if target.how == _IN_PLACE else 0)
    fd = os.open(target.real, flags)
    try:
        _write_all(fd, target.data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# ---------------------------------------------------------------- messages


def _report(plan: _Plan) -> list[str]:
    lines = [
        f"wrote {target.shown} ({human_size(len(target.data))})"
        for target in plan.targets
        if not target.in_frames and target.how != _DESCRIPTOR_WRITE
    ]
    if plan.frames is not None:
        count = len(plan.frames.files)
        size = human_size(sum(len(data) for _, data in plan.frames.files))
        lines.append(f"wrote {count} frame{'' if count == 1 else 's'} to {_frames_shown(plan)} ({size})")
    return lines


def _names(plan: _Plan, targets: list[_Target]) -> list[str]:
    """The targets as the report names them: the frames as their folder, once."""
    names = [_frames_shown(plan) if target.in_frames else target.shown for target in targets]
    return list(dict.fromkeys(names))


def _frames_shown(plan: _Plan) -> str:
    folder = plan.frames.folder if plan.frames is not None else ""
    return folder if folder.endswith("/") else f"{folder}/"


def _display(path: str) -> str:
    return "standard output" if path == STDOUT else path


def _cannot(shown: str, reason: str | None, written: Sequence[str] = ()) -> InputProblem:
    message = f"cannot write {shown}: {reason or 'failed'}"
    if written:
        message += f" ({', '.join(written)} {'was' if len(written) == 1 else 'were'} written)"
    return InputProblem(message)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
