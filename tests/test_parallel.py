"""Work shared with forked processes: results in order, errors raised here, a dead worker never hangs the build.

These tests say what happens, never how fast: however busy the machine, each asserts the same. How
much a worker does while this process computes is measured by bench/bench_parallel.py.
"""
import multiprocessing
import multiprocessing.queues
import os
import signal
import threading
import time

import pytest

from explainer import parallel
from explainer.parallel import Background, WorkerLost, map_forked
from explainer.problems import ContentErrors, Position, Problem

WAIT = 60  # seconds one side waits for the other to begin: only a broken machine takes so long


def shared(function):
    """`function`, run so that neither this process nor a forked worker gets past its first item before the other
    has begun one: both take a share of the items, however fast the items and however busy the machine."""
    parent = os.getpid()
    context = multiprocessing.get_context("fork")
    parent_begun, worker_begun = context.Event(), context.Event()

    def work(item):
        mine, theirs = (parent_begun, worker_begun) if os.getpid() == parent else (worker_begun, parent_begun)
        mine.set()
        assert theirs.wait(WAIT), "the other side never began"
        return function(item)

    return work


def slowly(value):
    time.sleep(0.005)
    return value


def test_results_come_in_the_items_order_from_every_process():
    results = list(map_forked(shared(lambda item: (item * item, os.getpid())), list(range(200)), workers=3))
    assert [square for square, _ in results] == [item * item for item in range(200)]
    assert len({pid for _, pid in results}) > 1  # this process and forked ones shared the work
    assert os.getpid() in {pid for _, pid in results}


def test_this_process_takes_items_from_the_back_and_workers_from_the_front():
    """What a forked worker touches, it copies: the build's listing pages (the last items), which show every
    event, stay in this process, and the worker's share of the site is one end of it."""
    results = list(map_forked(shared(lambda item: os.getpid()), list(range(200)), workers=2))
    mine = [index for index, pid in enumerate(results) if pid == os.getpid()]
    assert 0 < len(mine) < 200 and mine == list(range(200 - len(mine), 200))


def test_many_large_results_of_a_worker_arrive_whole_and_in_order_while_this_process_computes():
    """This process reads what workers send on a thread that runs only between its own computations:
    what a worker sends, in batches through a pipe that holds many, all arrives."""
    parent = os.getpid()

    def work(item):
        if os.getpid() == parent:
            started = time.perf_counter()
            while time.perf_counter() - started < 0.002:  # computing, the interpreter held
                pass
            return item, parent, ""
        return item, os.getpid(), str(item) * 20_000

    results = list(map_forked(shared(work), list(range(400)), workers=2))
    assert [item for item, _, _ in results] == list(range(400))
    from_worker = [(item, text) for item, pid, text in results if pid != parent]
    assert from_worker and all(text == str(item) * 20_000 for item, text in from_worker)


def test_one_worker_or_one_item_stays_in_this_process():
    assert list(map_forked(lambda item: os.getpid(), [1, 2, 3], workers=1)) == [os.getpid()] * 3
    assert list(map_forked(lambda item: os.getpid(), [1], workers=4)) == [os.getpid()]


def test_a_content_error_in_a_worker_reaches_the_build_whole():
    problem = Problem(Position("templates/event.html", 12), "unexpected '}'")

    def render(item):
        if os.getpid() != parent:
            raise ContentErrors([problem])
        return item

    parent = os.getpid()
    with pytest.raises(ContentErrors) as raised:
        list(map_forked(shared(render), list(range(100)), workers=2))
    assert raised.value.problems == [problem]


def test_an_error_that_cannot_cross_processes_arrives_as_its_traceback():
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("not picklable")

    parent = os.getpid()

    def work(item):
        if os.getpid() != parent:
            raise Unpicklable("from a worker")
        return item

    with pytest.raises(RuntimeError) as raised:
        list(map_forked(shared(work), list(range(50)), workers=2))
    assert "Unpicklable: from a worker" in str(raised.value)


def test_a_worker_killed_midway_is_an_error_not_a_hang():
    parent = os.getpid()

    def work(item):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return item

    with pytest.raises(WorkerLost, match="a worker process stopped"):
        list(map_forked(shared(work), list(range(50)), workers=2))


def test_the_command_line_explains_a_lost_worker_without_a_traceback(monkeypatch, capsys, tmp_path):
    import importlib.util
    from pathlib import Path

    from explainer.parallel import WorkerLost

    spec = importlib.util.spec_from_file_location("build_cli", Path(__file__).resolve().parent.parent / "build.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)

    def lost(args):
        raise WorkerLost("a worker process stopped before finishing its share of the build")

    monkeypatch.setattr(cli, "_build", lost)
    assert cli.main(["--root", str(tmp_path), "build"]) == 1
    assert capsys.readouterr().err == (
        "build.py: error: a worker process stopped before finishing its share of the build (the system may have "
        "ended it for want of memory); nothing was written: run the build again, or free some memory first\n")


def test_work_that_ends_normally_waits_for_every_worker_to_say_it_is_done(monkeypatch):
    """No worker is cut off while it says it is done, nor is the thread relaying their messages left behind
    (closing its channel under it made that thread fail, now and then, with a traceback on the terminal)."""
    failures = []
    monkeypatch.setattr("threading.excepthook", failures.append)
    earlier = set(threading.enumerate())  # threads of earlier tests may still be ending: only this work's count
    for _ in range(20):
        assert list(map_forked(slowly, [1, 2], workers=2)) == [1, 2]
        assert [thread for thread in threading.enumerate() if thread not in earlier] == []
    assert failures == []


def test_work_in_the_background_sees_what_this_process_holds_and_hands_back_its_result():
    held = {"pages": list(range(1000))}
    work = Background(lambda: (os.getpid(), sum(held["pages"])))
    pid, total = work.result()
    assert (pid != os.getpid(), total) == (True, sum(range(1000)))
    assert work.result() == (pid, total)  # asked again: the same answer, not a second wait


def test_an_error_in_the_background_is_raised_here_and_a_lost_worker_says_so():
    def fails():
        raise ContentErrors([Problem(Position("templates/base.html", 3), "broken")])

    with pytest.raises(ContentErrors) as raised:
        Background(fails).result()
    assert [str(p) for p in raised.value.problems] == ["templates/base.html:3:1: error: broken"]
    with pytest.raises(WorkerLost):
        Background(lambda: os.kill(os.getpid(), signal.SIGKILL)).result()


def test_only_the_process_that_started_background_work_may_wait_for_it():
    work = Background(lambda: 42)
    reader, writer = os.pipe()
    if (child := os.fork()) == 0:  # a forked worker asks
        try:
            work.result()
            os.write(writer, b"answered")
        except RuntimeError as error:
            os.write(writer, str(error).encode())
        finally:
            os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    assert b"ask before forking" in os.read(reader, 1000)
    assert work.result() == 42  # the forked worker's question took nothing from this process


def test_background_work_no_longer_wanted_is_stopped():
    work = Background(lambda: time.sleep(30))
    work.cancel()
    assert not work._process.is_alive()
    assert work._process.exitcode == -signal.SIGTERM  # stopped, not waited for


@pytest.mark.parametrize("taken", [1, 3, 150])
def test_work_stopped_early_ends_the_relay_before_its_channel_is_closed(monkeypatch, taken):
    # A generator left unfinished (by an error, or a zip of fewer items) is closed: its channel's file numbers are
    # soon another file's, and a relay still reading there would read that file (seen: Babel's data, garbled).
    relays, closed_under_a_relay = [], []

    def relay(*args):
        relays.append(threading.current_thread())
        relay_messages(*args)

    def close(channel):
        closed_under_a_relay.extend(thread for thread in relays if thread.is_alive())
        close_channel(channel)

    relay_messages, close_channel = parallel._relay, multiprocessing.queues.SimpleQueue.close
    monkeypatch.setattr(parallel, "_relay", relay)
    monkeypatch.setattr(multiprocessing.queues.SimpleQueue, "close", close)
    for _ in range(5):
        results = map_forked(lambda item: bytes(2000) + str(item).encode(), list(range(400)), 3)
        for _ in range(taken):
            next(results)
        results.close()
    assert len(relays) == 5 and not any(thread.is_alive() for thread in relays)
    assert closed_under_a_relay == []
    assert list(map_forked(lambda item: item * 2, list(range(100)), 2)) == [item * 2 for item in range(100)]
