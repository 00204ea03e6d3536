"""Work shared between this process and forked copies of it, one process per core.

The build process is one of the workers: on two cores it forks one child, not two, so the
site it holds in memory is copied (page by page, as the child touches it) once, not twice.
Forked children inherit the function and the items: only indices go to them, and results
come back. Children claim items from the front, a few at a time, and send each batch's results
in one message; this process claims them one at a time from the back. So a slow item never
holds the others up, and what children touch (and so copy) is apart from what this process
touches. Results are yielded in the items' order.

A thread of this process receives what children send while this process works; it runs only
when the interpreter lets it, every few milliseconds while this process computes. Few
messages, and a pipe that holds many of them, keep children from waiting for it.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = -1  # what a child sends once no item is left to claim
BATCHES_EACH = 32  # a child claims items in batches of about 1/32 of an even share: a slow batch holds little up
MAX_BATCH = 64
PIPE_BYTES = 1 << 20  # the most a pipe may hold without privileges, by Linux's default


class WorkerLost(RuntimeError):
    """A worker process ended without sending back its share (killed, most often for want of memory)."""


def map_forked(function: Callable, items: list, workers: int) -> Iterator:
    """`function(item)` for each item, in order, on `workers` processes (this one among them) when there are several."""
    if workers < 2 or len(items) < 2:
        yield from map(function, items)
        return
    context = multiprocessing.get_context("fork")
    ends = context.Array("q", [0, len(items)])  # the next item from the front, and one past the next from the back
    channel = context.SimpleQueue()
    _widen(channel)
    batch = max(1, min(MAX_BATCH, len(items) // (workers * BATCHES_EACH)))

    def claim(count: int, from_back: bool = False) -> range:
        with ends.get_lock():
            front, back = ends[0], ends[1]
            count = min(count, back - front)
            if from_back:
                ends[1] = back - count
                return range(back - 1, back - count - 1, -1)
            ends[0] = front + count
            return range(front, front + count)

    def child() -> None:
        while claimed := claim(batch):
            done = []
            for index in claimed:
                try:
                    done.append((index, True, function(items[index])))
                except BaseException as error:  # noqa: BLE001 (it goes to the parent, which raises it)
                    channel.put([*done, (index, False, _sendable(error)), (_DONE, True, None)])
                    return
            channel.put(done)
        channel.put([(_DONE, True, None)])

    children = [context.Process(target=child, daemon=True) for _ in range(min(workers, len(items)) - 1)]
    for process in children:
        process.start()
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    reader = threading.Thread(target=_relay, args=(channel, arrived, len(children)), daemon=True)
    reader.start()  # children never wait for this process to finish an item before they can send theirs
    results: dict[int, tuple[bool, object]] = {}
    completed = False
    try:
        position = 0
        while claimed := claim(1, from_back=True):
            results[claimed[0]] = (True, function(items[claimed[0]]))
            _collect(arrived, results, block=False)
            while position in results:
                yield _result(results.pop(position))
                position += 1
        while position < len(items):
            if position not in results:
                _wait_for_more(arrived, results, children, position)
                continue
            yield _result(results.pop(position))
            position += 1
        completed = True
    finally:
        for process in children:
            if not completed and process.is_alive():  # stopped early: their work is not wanted
                process.terminate()
            process.join()
        if not completed:
            # The relay may be reading still: with no child left and this end closed, it reads to the end of what
            # they sent, and stops. Only then is the channel closed: a file's number, once closed, is soon given
            # to the next file opened, which the relay would read from (or a process forked meanwhile holds this
            # end too, and the relay waits on: the channel stays open, rather than risk that).
            channel._writer.close()
        reader.join(timeout=None if completed else 5)  # once done, each child said so before it ended
        if not reader.is_alive():
            channel.close()


class Background(Generic[T]):
    """`function()` worked out on another process, forked (it sees all this one holds), while this one goes on."""

    def __init__(self, function: Callable[[], T]) -> None:
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)

        def child() -> None:
            try:
                sender.send((True, function()))
            except BaseException as error:  # noqa: BLE001 (it goes to the parent, which raises it)
                sender.send((False, _sendable(error)))

        self._process = context.Process(target=child, daemon=True)
        self._process.start()
        sender.close()
        self._done: tuple[bool, object] | None = None
        self._owner = os.getpid()

    def result(self) -> T:
        """What the function returned, once it has (its error raised here); only the process that started it may ask."""
        if self._done is None:
            if os.getpid() != self._owner:
                raise RuntimeError("background work's result was asked for in a forked process: ask before forking")
            try:
                self._done = self._receiver.recv()
            except EOFError:
                raise WorkerLost("a worker process stopped before finishing its share of the build") from None
            finally:
                self._process.join()
                self._receiver.close()
        return _result(self._done)

    def cancel(self) -> None:
        """Stop the work if it is still going (its result will not be asked for)."""
        if self._done is None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._receiver.close()
            self._done = (False, RuntimeError("the work was cancelled"))


def _relay(channel, arrived: queue.SimpleQueue, children: int) -> None:
    """Move what children send into this process's own queue as soon as it arrives, then say all are done."""
    remaining = children
    while remaining:
        try:
            batch = channel.get()
        except (EOFError, OSError, TypeError, ValueError):  # closed under it, once the work was stopped
            break
        for message in batch:
            if message[0] == _DONE:
                remaining -= 1
            else:
                arrived.put(message)
    arrived.put((_DONE, True, None))


def _widen(channel) -> None:
    """Let the channel's pipe hold a mebibyte (Linux), so that a child seldom waits for this process to read."""
    try:
        import fcntl

        fcntl.fcntl(channel._reader.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # another system, or a lower limit: the pipe works as it is
        pass


def _collect(arrived: queue.SimpleQueue, results: dict, *, block: bool) -> bool:
    """Take in what arrived (waiting a little for something if `block`); False once every child is done."""
    while True:
        try:
            index, ok, value = arrived.get(block=block, timeout=0.5 if block else None)
        except queue.Empty:
            return True
        if index == _DONE:
            return False
        results[index] = (ok, value)
        block = False


def _wait_for_more(arrived: queue.SimpleQueue, results: dict, children: list, position: int) -> None:
    """Wait for the result at `position`; a child that died, or all done without it, is an error."""
    more = _collect(arrived, results, block=True)
    if position not in results and (not more or any(process.exitcode not in (None, 0) for process in children)):
        raise WorkerLost("a worker process stopped before finishing its share of the build")


def _result(entry: tuple[bool, object]):
    ok, value = entry
    if not ok:
        raise value  # type: ignore[misc]
    return value


def _sendable(error: BaseException) -> BaseException:
    """The error itself if it can cross to the parent, else a RuntimeError carrying its traceback."""
    try:
        multiprocessing.reduction.ForkingPickler.dumps(error)
        return error
    except Exception:  # noqa: BLE001
        return RuntimeError("".join(traceback.format_exception(error)))
