import gc
import os
import signal
import sys
import time
import weakref
from pathlib import Path

import pytest

from geomap.exceptions import OutputError
from geomap.worker import after_answer, submit_all, worker

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked")


def where(job):
    """The worker's process id and what it made of ``job``."""
    if job == "fail":
        raise ValueError("no such thing")
    if job == "hang":
        time.sleep(60)
    return os.getpid(), job * 2, os.environ.get("GEOMAP_TEST_WORKER")


def answer_then_note(job):
    """Answer at once; afterwards (and slowly) note the job in the file ``job``, then fail
    a second task; "check" answers whether the file holds the last job."""
    if job[0] == "check":
        return Path(job[1]).read_text() if Path(job[1]).exists() else None

    def note():
        time.sleep(0.3)
        Path(job[1]).write_text("noted")

    after_answer(note)
    after_answer(lambda: 1 / 0)
    return "answered"


class Node:
    """Something a reference cycle can be made of."""


def cyclic(job):
    """ "make": leave a reference cycle behind; "check": whether the last one is gone."""
    global left
    if job == "make":
        node = Node()
        node.itself = node
        left = weakref.ref(node)
        return True
    return left() is None


def kill(kept, pid):
    """Kill the worker ``kept`` (process ``pid``) and wait until it is seen dead."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while kept.fits() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_worker_is_kept_between_jobs_and_gives_back_results_and_errors():
    first = worker(where).submit(21)()
    second = worker(where).submit("ab")()
    assert first[1:] == (42, None) and second[1] == "abab"
    assert first[0] == second[0] != os.getpid()  # one process, not this one, for both
    with pytest.raises(OutputError, match="could not write the map: ValueError: no such thing"):
        worker(where).submit("fail")()
    assert worker(where).submit(1)()[0] == first[0]  # an error does not end it


def test_a_dead_worker_is_replaced_and_one_from_another_environment_too(monkeypatch):
    kept = worker(where)
    pid = kept.submit(1)()[0]
    kill(kept, pid)
    replaced = worker(where).submit(1)()
    assert replaced[0] != pid and replaced[1] == 2
    monkeypatch.setenv("GEOMAP_TEST_WORKER", "other cache")
    moved = worker(where).submit(1)()
    assert moved[0] != replaced[0] and moved[2] == "other cache"  # forked with it


def test_a_worker_that_dies_during_a_job_is_an_error_not_a_hang():
    kept = worker(where)
    pid = kept.submit(1)()[0]
    wait = kept.submit("hang")
    kill(kept, pid)
    with pytest.raises(OutputError, match="ended without a word"):
        wait()
    assert worker(where).submit(3)()[1] == 6  # and the next job gets a new one


def test_a_worker_that_dies_before_reading_its_job_is_an_error_too(tmp_path):
    def slow_start():
        (tmp_path / "pid").write_text(str(os.getpid()))
        time.sleep(60)  # as an import that never ends

    kept = worker(twice, slow_start)
    wait = kept.submit([1])
    while not (tmp_path / "pid").exists():
        time.sleep(0.01)
    kill(kept, int((tmp_path / "pid").read_text()))  # the job unread: the pipe is reset
    with pytest.raises(OutputError, match="ended without a word"):
        wait()


def test_ctrl_c_is_left_to_the_building_process():
    kept = worker(where)
    pid = kept.submit(1)()[0]
    os.kill(pid, signal.SIGINT)  # as Ctrl-C in a terminal sends it to every process
    time.sleep(0.2)
    assert kept.fits() and kept.submit(2)()[:2] == (pid, 4)


def twice(job):
    return os.getpid(), [part * 2 for part in job]


def test_one_job_goes_to_several_workers_each_answering_it():
    first, second = worker(where), worker(twice)
    waits = submit_all([first, second], (1, "a"))
    (pid_a, done_a, _), (pid_b, done_b) = (wait() for wait in waits)
    assert done_a == (1, "a", 1, "a") and done_b == [2, "aa"]
    assert len({pid_a, pid_b, os.getpid()}) == 3


def test_a_worker_collects_the_reference_cycles_its_jobs_leave():
    """A build forks its workers with the collector paused; the cycles of a build's map
    and figure must still go, or a long `geomap watch` grows by megabytes a build."""
    gc.disable()
    try:
        kept = worker(cyclic)
    finally:
        gc.enable()
    assert kept.submit("make")()
    assert kept.submit("check")()


def test_tasks_after_the_answer_run_once_it_is_sent_and_may_fail(tmp_path):
    """A worker answers first, then runs what the job left for afterwards (a cache to
    save); a failing task leaves the worker serving. Outside a worker: at once."""
    note = tmp_path / "note"
    kept = worker(answer_then_note)
    started = time.monotonic()
    assert kept.submit(("note", str(note)))() == "answered"
    assert time.monotonic() - started < 0.3 and not note.exists()
    assert kept.submit(("check", str(note)))() == "noted"  # done before the next job
    ran = []
    after_answer(lambda: ran.append(1))
    assert ran == [1]


def test_a_stopped_worker_first_finishes_what_it_does_after_its_answer(tmp_path):
    """Stopping (at exit, or when a worker no longer fits) lets the task a job left
    for after its answer end, where killing the worker would cut a cache's write."""
    note = tmp_path / "note"
    kept = worker(answer_then_note)
    assert kept.submit(("note", str(note)))() == "answered"
    kept.stop()
    assert note.read_text() == "noted" and not kept.fits()
