"""Writing a file whole: whoever reads it sees the old file or the new one, never part of one."""

from __future__ import annotations

import os
from pathlib import Path


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
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)  # gone already unless the write failed
    return path
