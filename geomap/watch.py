"""Rebuild when article files in a folder appear, change or go away.

watchdog reports file events; a `Debouncer` waits until the folder has been quiet
for a moment, so an editor's save (or a batch of copied files) costs one rebuild.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from geomap.articles import SUFFIXES


class Debouncer:
    """Tells when ``delay`` seconds have passed since the last of a burst of events."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def event(self) -> None:
        with self._lock:
            self._last = self._clock()

    def due(self) -> bool:
        """True once per burst, when it has been quiet for ``delay`` seconds."""
        with self._lock:
            if self._last is None or self._clock() - self._last < self.delay:
                return False
            self._last = None
            return True


def watch(
    folder: Path,
    rebuild: Callable[[], None],
    *,
    outputs: Path | None = None,
    delay: float = 1.0,
    poll: float = 0.1,
    stop: threading.Event | None = None,
) -> None:
    """Call ``rebuild`` after each burst of changes to articles under ``folder``, but not
    for files in ``outputs`` (the rebuild's own map.html would start the next one).

    Runs until ``stop`` is set (tests) or the user presses Ctrl-C.
    """
    ignored = os.path.join(os.path.abspath(outputs), "") if outputs is not None else None
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    debouncer = Debouncer(delay)

    class _Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            paths = [str(p) for p in (event.src_path, getattr(event, "dest_path", "")) if p]
            if ignored is not None:
                paths = [p for p in paths if not os.path.abspath(p).startswith(ignored)]
            if event.event_type in ("created", "modified", "moved", "deleted") and any(
                p.lower().endswith(SUFFIXES) for p in paths
            ):
                debouncer.event()

    observer = Observer()
    observer.schedule(_Handler(), str(folder), recursive=True)
    observer.start()
    stop = stop or threading.Event()
    try:
        while not stop.wait(poll):
            if debouncer.due():
                rebuild()
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()
