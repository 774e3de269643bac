"""Run a filter in a process of its own (``isolation = "process"``, video or audio).

The filter's worker thread in the server (``kurento.engine.gst.filter_python``)
stays the same; its processor is a :class:`ProcessProxy` that copies each
frame (or block of samples) into shared memory, wakes the child through a pipe (waiting on the pipe
releases the GIL), and copies the result back. The child holds its own GIL, so
a filter written in pure-Python loops cannot slow the server's loop or other
sessions at all; the price is a process per filter (~30 MiB with numpy) and
two frame copies. Events the child raises come back with each frame's reply.

The child is started with ``spawn`` (never ``fork``: the server has GStreamer
threads) and imports the filter class by module and name, so the class must
be defined at module level.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from kurento.filters import MediaFilter

START_TIMEOUT = 20.0  # seconds for the child to import the filter
FRAME_TIMEOUT = 5.0  # seconds for one frame before the child is considered stuck


class ProcessProxy:
    """A FrameProcessor whose ``process`` runs in a child process."""

    def __init__(self, filter_class: type[MediaFilter]) -> None:
        self.emit: Callable[..., None] = lambda name, **fields: None
        self._memory: SharedMemory | None = None
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._child = context.Process(
            target=_child_main, args=(child_conn, filter_class.__module__,
                                      filter_class.__qualname__),
            name=f"kurento-filter-{filter_class.name}", daemon=True)
        self._child.start()
        child_conn.close()
        if not self._conn.poll(START_TIMEOUT) or self._conn.recv() != "ready":
            self.close()
            raise RuntimeError(f"{filter_class.name}: the filter process did not start")

    @classmethod
    def factory(cls, filter_class: type[MediaFilter]) -> Callable[[], ProcessProxy]:
        return lambda: cls(filter_class)

    def process(self, frame: np.ndarray, pts: int) -> np.ndarray:
        if self._memory is None or self._memory.size < frame.nbytes:
            self._resize(frame.nbytes)
        assert self._memory is not None
        shared: np.ndarray = np.ndarray(frame.shape, frame.dtype, self._memory.buf)
        shared[...] = frame
        self._conn.send(("frame", self._memory.name, frame.shape, frame.dtype.str, pts))
        if not self._conn.poll(FRAME_TIMEOUT):
            raise TimeoutError("the filter process took too long for one frame")
        status, payload = self._conn.recv()
        if status == "error":
            raise RuntimeError(f"in the filter process: {payload}")
        for name, fields in payload:
            self.emit(name, **fields)
        result = np.array(shared)
        del shared  # no view may outlive the memory
        return result

    def _resize(self, size: int) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory.unlink()
        self._memory = SharedMemory(create=True, size=size)

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the child may be gone already
            self._conn.send(("stop",))
        self._child.join(2.0)
        if self._child.is_alive():
            self._child.kill()
        self._conn.close()
        if self._memory is not None:
            self._memory.close()
            self._memory.unlink()
            self._memory = None


def _child_main(conn: Connection, module: str, qualname: str) -> None:
    """The child: make the filter, then one frame per message until told to stop."""
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    processor: MediaFilter = target()
    events: list[tuple[str, dict[str, Any]]] = []
    processor.emit = lambda name, **fields: events.append((name, fields))
    memory: SharedMemory | None = None
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            break
        if message[0] == "stop":
            break
        _, name, shape, dtype, pts = message
        if memory is None or memory.name != name:
            if memory is not None:
                memory.close()
            # The parent owns and unlinks it. The child shares the parent's resource
            # tracker (spawn passes it on), where this registration is a no-op.
            memory = SharedMemory(name=name)
        frame: np.ndarray = np.ndarray(shape, np.dtype(dtype), memory.buf)
        try:
            result = processor.process(frame, pts)
            if result is not None:
                frame[...] = fit(result, frame)
            conn.send(("ok", list(events)))
        except Exception as error:  # reported to the server, which reports it once
            conn.send(("error", repr(error)))
        events.clear()
        del frame
    if memory is not None:
        memory.close()


def fit(result: Any, like: np.ndarray) -> np.ndarray:
    """``result`` as an array of ``like``'s shape and dtype; integers are clipped to the
    dtype's range (an audio gain must saturate, not wrap around)."""
    array = np.asarray(result)
    if array.shape != like.shape:
        raise ValueError(f"the filter returned an array of shape {array.shape}, "
                         f"not {like.shape}")
    if array.dtype == like.dtype:
        return array
    if np.issubdtype(like.dtype, np.integer):
        info = np.iinfo(like.dtype)
        array = np.clip(array, info.min, info.max)
    return array.astype(like.dtype)
