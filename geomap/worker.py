"""A forked process that runs one function on the jobs this process sends it, kept for
later builds.

A copy of the process forked for each build would share the build without pickling it,
but copy-on-write costs more than sending: after a fork both processes fault on every
page they write to first (a reference count changes on every object touched), and a
rebuild of 1,000 articles spent ~140 ms more writing its pages in such a copy and ~50 ms
more drawing beside it than in one process, against ~30 ms to pickle the tables the
pages need and read them back. A `Worker` pays the faults once, for a long-lived program
(`geomap watch`, a notebook); a one-off command forks it early, so that its imports run
beside the build's reading and join. A build has two (`geomap.export`): one writes the
data files and the pages, the other draws the image; `submit_all` sends both the same
job, pickled once. A worker is replaced when it has died, and when this process's
working folder or environment changed since it was forked (it would write elsewhere, or
read another cache).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

from geomap.exceptions import OutputError

_workers: dict[Callable[[Any], Any], Worker] = {}
#: Seconds a worker asked to stop is given to finish what it does after its answer.
STOP_WAIT = 2.0
#: The job that asks a worker to end (`Worker.stop`).
STOP = None
#: What this worker does once the job in hand is answered (`after_answer`); None outside one.
_after: list[Callable[[], None]] | None = None


def worker(work: Callable[[Any], Any], warm: Callable[[], None] = lambda: None) -> Worker:
    """The process that runs ``work``: the one started for an earlier build when it still
    fits, else a new one, which runs ``warm`` (say, imports) while it waits for a job."""
    kept = _workers.get(work)
    if kept is None or not kept.fits():
        if kept is not None:
            kept.stop()
        kept = _workers[work] = Worker(work, warm)
    return kept


def after_answer(task: Callable[[], None]) -> None:
    """Run ``task`` once the job this worker is running has been answered, off the
    build's path (keeping a cache for the next build); at once outside a worker job.

    A task that fails is left at that: it may only save time, never make an output.
    """
    if _after is None:
        task()
    else:
        _after.append(task)


def submit_all(workers: Sequence[Worker], job: Any) -> list[Callable[[], Any]]:
    """`Worker.submit` of one ``job`` to each of ``workers``, pickled once."""
    data = ForkingPickler.dumps(job)
    return [each.send(data) for each in workers]


class Worker:
    """A forked process running ``work(job)`` for each job sent, one at a time."""

    def __init__(self, work: Callable[[Any], Any], warm: Callable[[], None]) -> None:
        context = mp.get_context("fork")  # shares the code loaded so far; Linux only
        self._jobs, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs, self._jobs, work, warm), daemon=True
        )
        self._process.start()
        theirs.close()
        self._forked_in = (os.getcwd(), dict(os.environ))

    def fits(self) -> bool:
        """Alive, and forked in the same working folder and environment as this process has."""
        return self._process.is_alive() and self._forked_in == (os.getcwd(), dict(os.environ))

    def submit(self, job: Any) -> Callable[[], Any]:
        """Send ``job``; return what waits for ``work(job)`` and returns it, or raises
        `OutputError` with the worker's error."""
        return self.send(ForkingPickler.dumps(job))

    def send(self, data: bytes) -> Callable[[], Any]:
        """`submit` of a job pickled already (`ForkingPickler`).

        Sent from a thread: a pipe takes 64 kB, and a new worker reads only once warm.
        (Pickled in the thread, a job took the lock from this process's other work.)
        """
        sending = threading.Thread(target=self._send, args=(data,), daemon=True)
        sending.start()

        def wait() -> Any:
            sending.join()
            try:
                done, error = self._jobs.recv()
            except (EOFError, ConnectionResetError):  # reset: it died with the job unread
                done, error = None, "the writing process ended without a word"
            if error is not None:
                raise OutputError(f"could not write the map: {error}")
            return done

        return wait

    def _send(self, data: bytes) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # dead: `wait` says so
            self._jobs.send_bytes(data)

    def stop(self) -> None:
        """End the worker: ask it to stop, so that it ends once done with what it does
        after its last answer (`after_answer`: killed then, it would leave a cache half
        written), or end it after STOP_WAIT seconds; then close its pipe."""
        with contextlib.suppress(OSError):  # dead already
            self._jobs.send(STOP)
        self._process.join(STOP_WAIT)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._jobs.close()


def _stop_all() -> None:
    """At exit, before multiprocessing ends the workers (it kills daemonic processes)."""
    for kept in _workers.values():
        kept.stop()


atexit.register(_stop_all)


def _serve(
    jobs: Connection, builders: Connection, work: Callable[[Any], Any], warm: Callable[[], None]
) -> None:
    builders.close()  # the builder's end, copied by the fork: the pipe ends when theirs does
    # Ctrl-C reaches the whole process group: the builder stops, then ends this worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm()
    # Jobs run with no collector pauses, and their reference cycles (a folium map's
    # elements and a matplotlib figure's artists point at each other) are collected
    # once a job is answered: left to the collector, which a build forks the workers
    # with paused, they kept ~13 MB a build. What the imports made is never scanned.
    global _after
    gc.disable()
    gc.freeze()
    while True:
        try:
            job = jobs.recv()
        except EOFError:  # the building process has ended or let it go
            return
        if job is STOP:
            return
        _after = []
        try:
            jobs.send((work(job), None))
        except BaseException as err:  # noqa: BLE001 - everything goes back to the builder
            jobs.send((None, f"{type(err).__name__}: {err}"))
        tasks, _after = _after, None
        for task in tasks:
            with contextlib.suppress(Exception):  # it only saves time (`after_answer`)
                task()
        del job, tasks  # a build's tables are not kept while waiting for the next
        gc.collect()
