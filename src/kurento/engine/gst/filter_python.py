"""Media part of video and audio filters written in Python (``kurento.filters``).

Layout of the step (inside :class:`~.filter.FilterElement`'s video path)::

    → capsfilter RGB → appsink (max 1, drop)  ┄ worker thread ┄  appsrc (live, max 2, leaky) →

and in the audio path (:class:`PythonAudioFilterElement`), blocks of samples as the
decoder gives them (Opus: 20 ms)::

    → capsfilter S16LE 48 kHz stereo → appsink (max 25, drop) ┄ worker ┄ appsrc (max 25, leaky) →

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

Audio keeps half a second at most in the appsink rather than one block: a
processor that is late for a moment catches up instead of cutting the sound;
one slower than real time loses the oldest blocks, never queues more.

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
APPSRC_MAX_LATENCY = Gst.SECOND  # what may wait downstream of the worker without harm


class PythonStepElement(FilterElement):
    """A filter whose step is a Python :class:`FrameProcessor`; subclasses say over what."""

    kind = MediaKind.VIDEO
    caps = ""  # what the processor gets
    sink_buffers = 1  # kept for the worker; older ones are dropped
    src_buffers = 2  # results waiting for the encoder; older ones are dropped

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
        capsfilter = make("capsfilter", caps=Gst.Caps.from_string(self.caps))
        appsink = make("appsink", max_buffers=self.sink_buffers, drop=True, sync=False,
                       async_=False, emit_signals=False, enable_last_sample=False)
        # A live appsrc answers LATENCY with max 0 unless both bounds are set (then
        # they replace its answer); with max 0 any consumer whose path adds latency (an
        # encoder, a WebRTC sender) gets "Impossible to configure latency" warnings.
        appsrc = make("appsrc", is_live=True, format=Gst.Format.TIME, do_timestamp=False,
                      block=False, max_buffers=self.src_buffers,
                      leaky_type=_APP_LEAKY_DOWNSTREAM, min_latency=0,
                      max_latency=APPSRC_MAX_LATENCY)
        self.pipeline.add(capsfilter)
        self.pipeline.add(appsink)
        capsfilter.link(appsink)
        self._appsink, self._appsrc = appsink, appsrc
        self.insert(self.kind, [capsfilter, appsink, appsrc],
                    capsfilter.get_static_pad("sink"), appsrc.get_static_pad("src"))
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
        caps = sample.get_caps().get_structure(0)
        ok, info = buffer.map(Gst.MapFlags.READ)
        if not ok:
            return None
        try:
            data = self.to_array(info.data, caps)
        finally:
            buffer.unmap(info)
        segment = sample.get_segment()
        running = segment.to_running_time(Gst.Format.TIME, buffer.pts)
        result = data
        if not self._failed:
            try:
                returned = processor.process(data, running)
                if returned is not None:
                    result = conform(returned, data)
            except Exception as error:
                self._failed = True  # once: a broken processor would flood the log
                log.exception("%r: Python filter failed; media passes unfiltered", self)
                self._report(f"Python filter failed: {error!r}")
        with self._counts_lock:
            self._processed += 1
        out = Gst.Buffer.new_wrapped(self.to_bytes(result, caps))
        out.pts = running
        out.duration = buffer.duration
        return out

    def to_array(self, data: bytes, caps: Any) -> np.ndarray:
        """A writable copy of a mapped buffer, as the processor gets it."""
        raise NotImplementedError

    def to_bytes(self, array: np.ndarray, caps: Any) -> bytes:
        """The processor's result as a buffer's bytes."""
        raise NotImplementedError

    def _emitter(self) -> Callable[..., None]:
        def emit(name: str, **fields: Any) -> None:
            self.runtime.call_soon(self._deliver, name, fields)

        return emit

    def _deliver(self, name: str, fields: Mapping[str, Any]) -> None:
        self.listener.on_filter_event(name, fields)

    def _report(self, description: str) -> None:
        self.runtime.call_soon(self.listener.on_error, "UNEXPECTED_ELEMENT_ERROR", 0,
                               description)


class PythonFilterElement(PythonStepElement):
    """A video filter written in Python: RGB frames, (H, W, 3) uint8."""

    factory = "PythonFilter"
    kind = MediaKind.VIDEO
    caps = "video/x-raw,format=RGB"

    def to_array(self, data: bytes, caps: Any) -> np.ndarray:
        width, height = caps.get_value("width"), caps.get_value("height")
        stride = (width * 3 + 3) & ~3  # GStreamer's RGB rows are 4-byte aligned
        rows = np.frombuffer(data, np.uint8, stride * height).reshape(height, stride)
        return np.array(rows[:, : width * 3].reshape(height, width, 3))

    def to_bytes(self, array: np.ndarray, caps: Any) -> bytes:
        height, width = array.shape[:2]
        stride = (width * 3 + 3) & ~3
        if stride != width * 3:
            padded = np.zeros((height, stride), np.uint8)
            padded[:, : width * 3] = array.reshape(height, width * 3)
            array = padded
        return array.tobytes()


class PythonAudioFilterElement(PythonStepElement):
    """An audio filter written in Python: interleaved S16LE at 48 kHz, (n, 2) int16."""

    factory = "PythonAudioFilter"
    kind = MediaKind.AUDIO
    RATE = 48000
    CHANNELS = 2
    caps = (f"audio/x-raw,format=S16LE,layout=interleaved,rate={RATE},"
            f"channels={CHANNELS}")
    sink_buffers = 25  # half a second of 20 ms blocks
    src_buffers = 25

    def to_array(self, data: bytes, caps: Any) -> np.ndarray:
        return np.frombuffer(data, "<i2").reshape(-1, self.CHANNELS).copy()

    def to_bytes(self, array: np.ndarray, caps: Any) -> bytes:
        return array.astype("<i2", copy=False).tobytes()


def conform(result: Any, like: np.ndarray) -> np.ndarray:
    """A processor's result as an array of ``like``'s shape and dtype; integers are
    clipped to the dtype's range (a gain saturates, never wraps around)."""
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
