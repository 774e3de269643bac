"""Media part of RecorderEndpoint: the element's inputs written to one local file.

Layout (one element pipeline)::

    input (tee, allow-not-linked) ─┐  nothing linked: media is dropped, natively
                                   └→ [recording bin] valve → queue → conform → mux → filesink

The recording bin exists from ``record()`` until ``stop()``; each recording gets
a fresh one. It is built once the caps of the connected inputs are known,
because the muxer must have all its pads before it writes the header, and the
``conform`` part depends on them: nothing when the codec fits the container
(VP8/Opus in WebM/MKV, H.264 in MP4/MKV, Opus in MP4), decode + encode otherwise
(reported as MediaTranscodingStateChanged). An input connected but silent is left
out after ``CAPS_GRACE`` seconds, so that the others are recorded; media of a kind
that appears after the header is written waits for the next recording.

Why each part:

* ``valve``: pause (drop, natively) and error isolation: a failed file write sets
  it dropping from the error's posting thread, before the flow error could climb
  back through the tee and stop the bridge feeding us.
* pad offsets on the tee pads: a resume after a pause shifts running time by the
  paused time, so the file continues without a gap; the muxers' own offset
  (``offset-to-zero``, qtmux's first timestamp) makes the file start at 0.
* a keyframe gate after the valve (encoded video): the file must start with a
  keyframe, so delta frames are dropped until one comes and a GstForceKeyUnit goes
  upstream (it crosses bridges to the WebRtcEndpoint, which sends a PLI), again
  every second until a keyframe comes (a PLI can be lost); audio is dropped
  meanwhile too, so both start together. Python runs per buffer only while the
  gate is closed.
* ``stop()`` and release: the bin is unlinked from the tees and EOS is sent into
  it; the muxer then writes duration and index (cues, moov) and filesink sees EOS.
  Only then does the bin go to NULL (under a watchdog, so a stuck muxer never
  hangs the server).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from typing import Any

from ..contract import MediaKind
from ..recording import RecorderListener, RecordingFormat
from ._gst import Gst, make_element
from .element import GstElement
from .encoder_rate import EncoderRate

log = logging.getLogger(__name__)

KINDS = (MediaKind.AUDIO, MediaKind.VIDEO)
# How long to wait for the other connected input's caps once one input has media.
CAPS_GRACE = 1.5
# How long the muxer may take to write its index after EOS before the file is closed anyway.
FINALIZE_TIMEOUT = 4.0
IDLE_WAIT = 1.0
# Seconds between keyframe requests while the recording waits for its first keyframe.
KEYFRAME_RETRY = 1.0

_MUXERS = {"webm": "webmmux", "mkv": "matroskamux", "mp4": "mp4mux"}
_MUX_PADS = {MediaKind.AUDIO: "audio_%u", MediaKind.VIDEO: "video_%u"}
# (container, incoming media type) -> elements between the queue and the muxer.
# The encoders' bitrate is the element's encoderBitrate (encoder_rate), set when built.
_H264_OUT = ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60", "h264parse")
_VP8_OUT = ("vp8enc deadline=1 cpu-used=8 keyframe-max-dist=60",)
_OPUS_OUT = ("audioconvert", "audioresample", "opusenc")
_CONFORM: dict[tuple[str, str], tuple[str, ...]] = {
    ("webm", "video/x-vp8"): (),
    ("mkv", "video/x-vp8"): (),
    ("mp4", "video/x-vp8"): ("vp8dec", "videoconvert", *_H264_OUT),
    ("webm", "video/x-h264"): ("h264parse", "avdec_h264", "videoconvert", *_VP8_OUT),
    ("mkv", "video/x-h264"): ("h264parse",),
    ("mp4", "video/x-h264"): ("h264parse",),
    ("webm", "video/x-raw"): ("videoconvert", *_VP8_OUT),
    ("mkv", "video/x-raw"): ("videoconvert", *_VP8_OUT),
    ("mp4", "video/x-raw"): ("videoconvert", *_H264_OUT),
    ("webm", "audio/x-opus"): ("opusparse",),
    ("mkv", "audio/x-opus"): ("opusparse",),
    ("mp4", "audio/x-opus"): ("opusparse",),
    ("webm", "audio/x-raw"): _OPUS_OUT,
    ("mkv", "audio/x-raw"): _OPUS_OUT,
    ("mp4", "audio/x-raw"): _OPUS_OUT,
}


def conform_chain(container: str, media_type: str) -> tuple[str, ...] | None:
    """The elements that make ``media_type`` fit ``container``; None if we cannot."""
    return _CONFORM.get((container, media_type))


def _force_key_unit() -> Any:
    structure = Gst.Structure.new_from_string(
        "GstForceKeyUnit, all-headers=(boolean)true, count=(uint)0"
    )
    return Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, structure)


class _Recording:
    """One recording: a bin in the element pipeline, fed by the input tees."""

    def __init__(self, element: RecorderElement, path: str, fmt: RecordingFormat,
                 caps: dict[MediaKind, Any]) -> None:
        self.element = element
        self.bin: Any = Gst.Bin.new(None)
        self.failed = False
        self.finished = False  # set on the loop when stop() takes this recording
        self.awaiting_keyframe = False  # the keyframe gate is closed
        self.finalized = threading.Event()
        self.valves: dict[MediaKind, Any] = {}
        self.teepads: dict[MediaKind, Any] = {}
        self.passthrough_video = False
        # kind -> True when its media is decoded and re-encoded on the way to the file.
        self.transcoding: dict[MediaKind, bool] = {}
        self._probe_lock = threading.Lock()
        self._probes: dict[object, tuple[Any, int]] = {}
        self._gone: set[object] = set()
        mux = self._make(_MUXERS[fmt.container])
        if fmt.container != "mp4":
            mux.set_property("offset-to-zero", True)
        self.filesink = self._make("filesink", location=path, sync=False, async_=False)
        mux.link(self.filesink)
        for kind, kind_caps in caps.items():
            media_type = kind_caps.get_structure(0).get_name()
            chain = conform_chain(fmt.container, media_type)
            if chain is None:
                raise ValueError(f"cannot record {media_type} into {fmt.container}")
            valve = self._make("valve", drop=False)
            # Leaky: a stalled muxer (one input gone quiet) must not block the input thread.
            queue = self._make("queue", max_size_buffers=0, max_size_bytes=0,
                               max_size_time=5 * Gst.SECOND, leaky=2)
            elements = [valve, queue, *(self._parse(desc) for desc in chain)]
            for conform in elements[2:]:
                # Nothing downstream sends REMB: encoderBitrate, bounded, is the rate.
                element.encoder_rate.attach(conform, listen=False)
            for upstream, downstream in itertools.pairwise(elements):
                if not upstream.link(downstream):
                    raise RuntimeError(f"cannot link {upstream.get_name()} → "
                                       f"{downstream.get_name()}")
            mux_pad = mux.request_pad_simple(_MUX_PADS[kind])
            if elements[-1].get_static_pad("src").link(mux_pad) != Gst.PadLinkReturn.OK:
                raise RuntimeError(f"{fmt.container} refuses {media_type}")
            ghost = Gst.GhostPad.new(f"{kind.value.lower()}_sink", valve.get_static_pad("sink"))
            self.bin.add_pad(ghost)
            self.valves[kind] = valve
            self.transcoding[kind] = any(desc.split()[0].endswith("enc") for desc in chain)
            if kind is MediaKind.VIDEO and media_type != "video/x-raw":
                self.passthrough_video = True
        sinkpad = self.filesink.get_static_pad("sink")
        self._probe(sinkpad, Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_sink_event)

    def _probe(self, pad: Any, mask: Any, callback: Any) -> None:
        """Add a probe we can remove at the end (one that removed itself is forgotten)."""
        key = object()

        def probe(probe_pad: Any, info: Any) -> Any:
            result = callback(probe_pad, info)
            if result == Gst.PadProbeReturn.REMOVE:
                with self._probe_lock:
                    if self._probes.pop(key, None) is None:
                        self._gone.add(key)  # fired before add_probe returned
            return result

        probe_id = pad.add_probe(mask, probe)
        with self._probe_lock:
            if key in self._gone:
                self._gone.discard(key)
            else:
                self._probes[key] = (pad, probe_id)

    def _make(self, factory: str, **props: object) -> Any:
        element = make_element(factory, None, **props)
        self.bin.add(element)
        return element

    def _parse(self, description: str) -> Any:
        factory, *settings = description.split()
        element = self._make(factory)
        for setting in settings:
            key, value = setting.split("=", 1)
            Gst.util_set_object_arg(element, key, value)
        return element

    # -- streaming / posting threads ---------------------------------------------------

    def _on_sink_event(self, _pad: Any, info: Any) -> Any:
        if info.get_event().type == Gst.EventType.EOS:
            self.finalized.set()
        return Gst.PadProbeReturn.OK

    def owns(self, obj: Any) -> bool:
        return obj is not None and (obj is self.bin or obj.has_as_ancestor(self.bin))

    def fail(self) -> None:
        """Posting thread of an error inside the bin: drop at the valves from now on."""
        self.failed = True
        for valve in self.valves.values():
            valve.set_property("drop", True)

    def arm_recording_notice(self) -> None:
        """Tell the listener when the next buffer reaches the file."""
        def on_buffer(_pad: Any, _info: Any) -> Any:
            self.element.runtime.call_soon(self.element.notify_recording, self)
            return Gst.PadProbeReturn.REMOVE

        self._probe(self.filesink.get_static_pad("sink"), Gst.PadProbeType.BUFFER, on_buffer)

    def arm_keyframe_gate(self) -> None:
        """Drop delta video until a keyframe passes, and ask upstream for one."""
        valve = self.valves.get(MediaKind.VIDEO)
        if valve is None or not self.passthrough_video:
            return

        def gate(_pad: Any, info: Any) -> Any:
            if info.get_buffer().has_flags(Gst.BufferFlags.DELTA_UNIT):
                return Gst.PadProbeReturn.DROP
            self.awaiting_keyframe = False
            return Gst.PadProbeReturn.REMOVE  # a keyframe: it passes, the gate goes

        def hold_audio(_pad: Any, _info: Any) -> Any:
            if self.awaiting_keyframe:
                return Gst.PadProbeReturn.DROP
            return Gst.PadProbeReturn.REMOVE  # the video has started: this buffer passes

        self.awaiting_keyframe = True
        self._probe(valve.get_static_pad("src"), Gst.PadProbeType.BUFFER, gate)
        audio = self.valves.get(MediaKind.AUDIO)
        if audio is not None:
            # Audio waits for the video's keyframe too: both start together in the file
            # (a PLI round trip can take half a second mid-session).
            self._probe(audio.get_static_pad("src"), Gst.PadProbeType.BUFFER, hold_audio)
        self.request_keyframe()

    def request_keyframe(self) -> None:
        self.element.input_pad(MediaKind.VIDEO).push_event(_force_key_unit())

    # -- worker thread -------------------------------------------------------------------

    def start(self, tees: dict[MediaKind, Any]) -> bool:
        """Add to the pipeline and feed from ``tees``; False if the file cannot be opened."""
        pipeline = self.element.pipeline
        pipeline.add(self.bin)
        if not self.bin.sync_state_with_parent():
            self.failed = True
            self._remove()
            return False
        self.arm_recording_notice()
        self.arm_keyframe_gate()
        for kind in self.valves:
            teepad = tees[kind].request_pad_simple("src_%u")
            teepad.link(self.bin.get_static_pad(f"{kind.value.lower()}_sink"))
            self.teepads[kind] = teepad
        return True

    def set_paused(self, paused: bool, offset: int) -> None:
        """Drop at the valves, or resume with running time shifted back by ``offset``."""
        if paused:
            for valve in self.valves.values():
                valve.set_property("drop", True)
            return
        for teepad in self.teepads.values():
            teepad.set_offset(-offset)
        self.arm_keyframe_gate()
        self.arm_recording_notice()
        for valve in self.valves.values():
            valve.set_property("drop", self.failed)

    def finish(self, timeout: float) -> bool:
        """Unlink from the tees, drain with EOS, close the file; True if it was finalized."""
        for kind, teepad in self.teepads.items():
            _unlink_when_idle(teepad)
            self.element.input_tee(kind).release_request_pad(teepad)
        self.teepads.clear()
        finalized = False
        if not self.failed:
            for valve in self.valves.values():
                valve.set_property("drop", False)
                valve.get_static_pad("sink").send_event(Gst.Event.new_eos())
            finalized = self.finalized.wait(timeout)
            if not finalized:
                log.error("%r: recording not finalized within %.1f s", self.element, timeout)
        self._remove()
        return finalized

    def _remove(self) -> None:
        self.bin.set_state(Gst.State.NULL)
        self.element.pipeline.remove(self.bin)
        self.element.encoder_rate.detach(self.bin)
        # The probes' closures hold us and C holds them: break the cycle, or the bin leaks.
        with self._probe_lock:
            probes, self._probes = list(self._probes.values()), {}
        for pad, probe in probes:
            pad.remove_probe(probe)


def _unlink_when_idle(teepad: Any) -> None:
    done = threading.Event()

    def on_idle(pad: Any, _info: Any) -> Any:
        peer = pad.get_peer()
        if peer is not None:
            pad.unlink(peer)
        done.set()
        return Gst.PadProbeReturn.REMOVE

    teepad.add_probe(Gst.PadProbeType.IDLE, on_idle)
    if not done.wait(IDLE_WAIT):
        peer = teepad.get_peer()
        if peer is not None:
            teepad.unlink(peer)


class RecorderElement(GstElement):
    """Kurento ``RecorderEndpoint``'s media: see the module docstring."""

    factory = "RecorderEndpoint"
    # A source links straight into our input tees (bridge.py, "direct"): what enters
    # goes to the file only, behind a leaky queue per input, so the source's thread is
    # never held, and it saves a thread hand-off per buffer (bench/README.md).
    direct_input = True
    listener: RecorderListener

    def build(self) -> None:
        self._lock = threading.Lock()
        self._caps: dict[MediaKind, Any] = {}
        self._tees: dict[MediaKind, Any] = {}
        self._probes: list[tuple[Any, int]] = []
        for kind in KINDS:
            tee = self.make("tee", f"{kind.value.lower()}_rec", allow_not_linked=True)
            self._tees[kind] = tee
            pad = tee.get_static_pad("sink")
            self.add_input(kind, pad)
            probe = pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_input_event, kind)
            self._probes.append((pad, probe))
        self._path = ""
        self._format: RecordingFormat | None = None
        self._stop_on_eos = False
        self._armed = False  # record() called; the recording bin is not built yet
        self._paused = False
        self._paused_at = 0
        self._paused_total = 0
        self._recording: _Recording | None = None
        self._building: _Recording | None = None
        self._starting: asyncio.Task[None] | None = None
        self._finishing: asyncio.Task[None] | None = None
        self._last_step: asyncio.Task[None] | None = None  # pause/resume/keyframe, in order
        self._grace: asyncio.TimerHandle | None = None
        self._grace_over = False
        self.encoder_rate = EncoderRate(self.runtime, self.name)

    def teardown(self) -> None:
        for pad, probe in self._probes:
            pad.remove_probe(probe)
        self._probes.clear()
        self.encoder_rate.close()

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        self.encoder_rate.configure(target, minimum, maximum)

    def input_tee(self, kind: MediaKind) -> Any:
        return self._tees[kind]

    # -- RecorderMedia (loop thread) --------------------------------------------------------

    def configure(self, path: str, recording_format: RecordingFormat,
                  stop_on_end_of_stream: bool) -> None:
        self._path = path
        self._format = recording_format
        self._stop_on_eos = stop_on_end_of_stream

    def record(self) -> None:
        if self._format is None:
            raise RuntimeError(f"{self!r}: record() before configure()")
        recording = self._recording
        if recording is not None:
            if self._paused:
                self._paused = False
                self._paused_total += self._running_time() - self._paused_at
                offset = self._paused_total
                self._background("resume", lambda: recording.set_paused(False, offset))
            return
        self._paused = False
        self._armed = True
        self._try_start()

    def pause(self) -> None:
        recording = self._recording
        if recording is None:
            self._armed = False  # nothing written yet: record() arms again
            return
        if not self._paused:
            self._paused = True
            self._paused_at = self._running_time()
            self._background("pause", lambda: recording.set_paused(True, 0))

    async def stop(self) -> None:
        self._armed = False
        self._paused = False
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        if self._finishing is None or self._finishing.done():
            self._finishing = self.runtime.loop.create_task(self._finish())
        await asyncio.shield(self._finishing)

    async def close(self) -> None:
        # Release finalizes the file first: the base class then takes the pipeline to NULL.
        await self.stop()
        await super().close()

    # -- internals ------------------------------------------------------------------------

    def _running_time(self) -> int:
        return int(self.runtime.clock.get_time()) - self.runtime.base_time

    def _background(self, what: str, fn: Any) -> None:
        """Run ``fn`` on a worker after the previous background step (pause/resume order)."""
        previous = self._last_step

        async def step() -> None:
            if previous is not None:
                await previous
            await self.runtime.worker.run(f"{what} {self!r}", fn)

        self._last_step = self.runtime.loop.create_task(step())

    async def _finish(self) -> None:
        if self._starting is not None:
            await asyncio.shield(self._starting)
        if self._last_step is not None:
            await asyncio.shield(self._last_step)
        recording, self._recording = self._recording, None
        self._paused_total = 0
        if recording is not None:
            recording.finished = True
            await self.runtime.worker.run(
                f"finalize {self!r}", lambda: recording.finish(FINALIZE_TIMEOUT),
                timeout=FINALIZE_TIMEOUT + 2 * IDLE_WAIT + 1,
            )

    def _connected_kinds(self) -> set[MediaKind]:
        return {b.kind for b in self.links() if b.sink is self and not b.unlinking}

    def _try_start(self) -> None:
        """Loop: build the recording once the inputs it will hold have caps."""
        fmt = self._format
        if not self._armed or self._recording is not None or fmt is None:
            return
        if self._starting is not None and not self._starting.done():
            return
        wanted = self._connected_kinds() & fmt.kinds
        with self._lock:
            ready = {k: c for k, c in self._caps.items() if k in wanted}
        if not ready:
            return
        if len(ready) < len(wanted) and not self._grace_over:
            if self._grace is None:
                self._grace = self.runtime.loop.call_later(CAPS_GRACE, self._end_grace)
            return
        self._armed = False
        self._starting = self.runtime.loop.create_task(self._start_recording(fmt, ready))

    def _end_grace(self) -> None:
        self._grace = None
        self._grace_over = True
        self._try_start()

    async def _start_recording(self, fmt: RecordingFormat, caps: dict[MediaKind, Any]) -> None:
        started: list[_Recording] = []

        def build() -> None:
            try:
                recording = _Recording(self, self._path, fmt, caps)
            except (ValueError, RuntimeError) as error:
                # Media we cannot put into this container: the user hears why, as KMS does.
                log.error("%r: %s", self, error)
                self.runtime.call_soon(self.listener.on_error, "UNEXPECTED_ELEMENT_ERROR",
                                       int(Gst.StreamError.FORMAT), str(error))
                return
            self._building = recording  # so that _on_error knows its errors
            try:
                if recording.start(self._tees):
                    started.append(recording)
            finally:
                self._building = None

        self._grace_over = False
        await self.runtime.worker.run(f"record {self!r}", build)
        if started:
            self._recording = recording = started[0]
            self.runtime.loop.call_later(KEYFRAME_RETRY, self._repeat_keyframe_request, recording)
            for kind, transcoding in recording.transcoding.items():
                self.listener.on_media_transcoding(kind, transcoding, recording.bin.get_name())

    def notify_recording(self, recording: _Recording) -> None:
        """Loop: a buffer reached the file (maybe before ``_start_recording`` resumed)."""
        if not recording.finished and not self._paused:
            self.listener.on_recording()

    def _repeat_keyframe_request(self, recording: _Recording) -> None:
        """Loop, every second while the gate waits: a lost request (or PLI) is sent again."""
        if recording.finished:
            return
        if recording.awaiting_keyframe and not self._paused:
            self._background("keyframe request", recording.request_keyframe)
        self.runtime.loop.call_later(KEYFRAME_RETRY, self._repeat_keyframe_request, recording)

    def _on_input_event(self, _pad: Any, info: Any, kind: MediaKind) -> Any:
        """Streaming thread, events only: remember caps; never let EOS end our inputs."""
        event = info.get_event()
        if event.type == Gst.EventType.CAPS:
            with self._lock:
                self._caps[kind] = event.parse_caps()
            self.runtime.call_soon(self._try_start)
        elif event.type == Gst.EventType.EOS:
            if self._stop_on_eos:
                self.runtime.call_soon(self.listener.on_end_of_stream)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    def _on_error(self, message: Any) -> None:
        """Posting thread: an error in the recording stops it writing before it spreads."""
        recording = self._recording or self._building
        if recording is not None and recording.owns(message.src):
            if recording.failed:
                log.warning("%r: further recording error ignored: %s", self,
                            message.parse_error()[0].message)
                return
            recording.fail()
        super()._on_error(message)
