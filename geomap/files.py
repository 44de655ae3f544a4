"""Writing a file whole: whoever reads it sees the old file or the new one, never part of one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from geomap.worker import after_answer


def write_whole(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to a file beside ``path``, then move it over ``path``.

    A browser reloading map.html while `geomap watch` rebuilds, or a second build into
    the same folder, never reads half a file, and a write that fails (a full disk)
    leaves the old file. The file written first is named for this process, so that two
    processes writing the same file never write into one file. A symbolic link (map.html
    linked into a web server's folder) stays one: the file it points to is replaced.
    """
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        if isinstance(data, str):
            partial.write_text(data, encoding="utf-8")
        else:
            partial.write_bytes(data)
        _replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)  # gone already unless the write failed
    return path


def _replace(partial: Path, target: Path) -> None:
    """Move ``partial`` over ``target``; the old file is deleted once the worker running
    this has answered (`geomap.worker.after_answer`), off the build's path.

    Replacing a file frees its blocks there and then: 5 ms for the 4 MB map.html of a
    thousand articles on this ext4 disk. Given a second name first, the old file stays
    whole while the new one takes its name (0.3 ms), and goes when the name is deleted.
    """
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    try:
        os.link(target, old)
    except OSError:  # no file yet, or a file system without hard links
        partial.replace(target)
        return
    try:
        partial.replace(target)
    finally:
        after_answer(lambda: old.unlink(missing_ok=True))


def stamp(path: Path) -> tuple[int, int, int]:
    """The file's size, modification time and inode: another when it is changed or replaced."""
    status = path.stat()
    return status.st_size, status.st_mtime_ns, status.st_ino


class KeptFiles:
    """What a process read from or wrote to some files, kept while each file keeps the
    `stamp` it had then (a file changed by anyone, or replaced, is read again); at most
    ``most`` files, the last ones."""

    def __init__(self, most: int) -> None:
        self.most = most
        self._kept: dict[Path, tuple[tuple[int, int, int], Any]] = {}

    def get(self, path: Path, stamped: tuple[int, int, int]) -> Any | None:
        """What is kept of ``path`` while it has the stamp ``stamped``; None otherwise."""
        kept = self._kept.get(path)
        return kept[1] if kept is not None and kept[0] == stamped else None

    def keep(self, path: Path, value: Any, stamped: tuple[int, int, int] | None = None) -> None:
        """Keep ``value`` for ``path`` as it is now, or as it was when ``stamped``."""
        if path not in self._kept and len(self._kept) >= self.most:
            self._kept.clear()
        self._kept[path] = (stamped or stamp(path), value)
