"""Media part of video filters written in Python (``kurento.filters``).

Layout of the step (inside :class:`~.filter.FilterElement`'s video path)::

    → capsfilter RGB → appsink (max 1, drop)  ┄ worker thread ┄  appsrc (live, max 2, leaky) →

Execution model, and why: the only Python per frame runs on the filter's own
worker thread, never on a GStreamer streaming thread or the asyncio loop.

* The streaming thread that decodes hands each frame to ``appsink`` natively and
  goes on; ``appsink`` keeps only the newest frame (``max-buffers=1 drop=true``),
  so a processor slower than the input loses frames and never makes a queue grow
  or blocks the decoder, the bridge or any other element.
* The worker pulls a frame (the pull releases the GIL while it waits), maps it
  as a numpy array (one copy, so the processor may write into it), calls the
  processor, and pushes the result into ``appsrc``, whose own streaming thread
  encodes it; ``appsrc`` is leaky too.
* The GIL: while the processor runs Python bytecode other Python threads (the
  loop included) wait for it in 5 ms slices (``sys.getswitchinterval``), but
  numpy releases the GIL inside its array loops, which is where a frame filter
  spends its time. ``bench/filters.py`` measures what that costs the loop.
* A filter class may ask for a process of its own (``isolation = "process"``):
  its processor is then ``kurento.filters.process.ProcessProxy``, which runs
  ``process`` in a child through shared memory while this thread waits on a
  pipe with the GIL released: pure-Python processors cannot slow the server.

Timestamps: the output buffer keeps the input's running time (the element
pipelines of a MediaPipeline share clock and base time), so the encoder and
every consumer see the original timing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..contract import MediaKind
from ..filtering import FrameProcessor
from ._gst import Gst
from .filter import FilterElement
from .filter_codec import make

log = logging.getLogger(__name__)

PULL_TIMEOUT = 100 * Gst.MSECOND  # how often the worker looks at its stop flag
STOP_WAIT = 2.0  # seconds to wait for the worker at teardown
_APP_LEAKY_DOWNSTREAM = 2


class PythonFilterElement(FilterElement):
    """A video filter whose step is a Python :class:`FrameProcessor`."""

    factory = "PythonFilter"

    def build(self) -> None:
        super().build()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._counts_lock = threading.Lock()
        self._processed = 0
        self._failed = False
        self._appsink: Any = None
        self._appsrc: Any = None

    def configure_processor(self, make_processor: Callable[[], FrameProcessor]) -> None:
        rgb = make("capsfilter", caps=Gst.Caps.from_string("video/x-raw,format=RGB"))
        appsink = make("appsink", max_buffers=1, drop=True, sync=False, async_=False,
                       emit_signals=False, enable_last_sample=False)
        appsrc = make("appsrc", is_live=True, format=Gst.Format.TIME, do_timestamp=False,
                      block=False, max_buffers=2, leaky_type=_APP_LEAKY_DOWNSTREAM)
        self.pipeline.add(rgb)
        self.pipeline.add(appsink)
        rgb.link(appsink)
        self._appsink, self._appsrc = appsink, appsrc
        self.insert(MediaKind.VIDEO, [rgb, appsink, appsrc], rgb.get_static_pad("sink"),
                    appsrc.get_static_pad("src"))
        self._thread = threading.Thread(target=self._run, args=(make_processor,),
                                        name=f"{self.name}-python", daemon=True)
        self._thread.start()

    def processing_stats(self) -> tuple[int, int]:
        with self._counts_lock:
            return self._processed, 0

    def teardown(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(STOP_WAIT)
            if self._thread.is_alive():
                log.warning("%r: Python filter still busy at teardown; left behind", self)
        super().teardown()

    # -- worker thread -----------------------------------------------------------

    def _run(self, make_processor: Callable[[], FrameProcessor]) -> None:
        try:
            processor = make_processor()
            processor.emit = self._emitter()
        except Exception as error:
            log.exception("%r: Python filter could not start", self)
            self._report(f"Python filter could not start: {error!r}")
            return
        caps_sent: Any = None
        while not self._stop.is_set():
            sample = self._appsink.emit("try-pull-sample", PULL_TIMEOUT)
            if sample is None:
                continue
            caps = sample.get_caps()
            if caps_sent is None or not caps.is_equal(caps_sent):
                self._appsrc.set_property("caps", caps)
                caps_sent = caps
            out = self._process(processor, sample)
            if out is not None:
                self._appsrc.emit("push-buffer", out)
        close = getattr(processor, "close", None)
        if close is not None:
            close()  # e.g. a process-isolated filter's child

    def _process(self, processor: FrameProcessor, sample: Any) -> Any:
        buffer = sample.get_buffer()
        structure = sample.get_caps().get_structure(0)
        width = structure.get_value("width")
        height = structure.get_value("height")
        stride = (width * 3 + 3) & ~3
        ok, info = buffer.map(Gst.MapFlags.READ)
        if not ok:
            return None
        try:
            rows = np.frombuffer(info.data, np.uint8, stride * height).reshape(height, stride)
            frame = np.array(rows[:, : width * 3].reshape(height, width, 3))
        finally:
            buffer.unmap(info)
        segment = sample.get_segment()
        running = segment.to_running_time(Gst.Format.TIME, buffer.pts)
        result = frame
        if not self._failed:
            try:
                returned = processor.process(frame, running)
                if returned is not None:
                    result = _conform(returned, frame.shape)
            except Exception as error:
                self._failed = True  # once: a broken processor would flood the log
                log.exception("%r: Python filter failed; frames pass unfiltered", self)
                self._report(f"Python filter failed: {error!r}")
        with self._counts_lock:
            self._processed += 1
        if stride != width * 3:
            padded = np.zeros((height, stride), np.uint8)
            padded[:, : width * 3] = result.reshape(height, width * 3)
            result = padded
        out = Gst.Buffer.new_wrapped(result.tobytes())
        out.pts = running
        out.duration = buffer.duration
        return out

    def _emitter(self) -> Callable[..., None]:
        def emit(name: str, **fields: Any) -> None:
            self.runtime.call_soon(self._deliver, name, fields)

        return emit

    def _deliver(self, name: str, fields: Mapping[str, Any]) -> None:
        self.listener.on_filter_event(name, fields)

    def _report(self, description: str) -> None:
        self.runtime.call_soon(self.listener.on_error, "UNEXPECTED_ELEMENT_ERROR", 0,
                               description)


def _conform(frame: Any, shape: tuple[int, ...]) -> Any:
    array = np.asarray(frame)
    if array.shape != shape:
        raise ValueError(f"the filter returned a frame of shape {array.shape}, not {shape}")
    return array.astype(np.uint8, copy=False)
