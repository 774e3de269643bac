"""Media part of PlayerEndpoint: a URI read at real-time pace, sent out encoded.

Layout (the element's own pipeline)::

    source bin (made by play, dropped by stop/EOS/error):
        uridecodebin ─ per stream: [branch] → ghost pad
    static, per kind:
        ghost → identity KIND_join → clocksync KIND_pace → tee (output)

``uridecodebin`` stops at the codecs a WebRtcEndpoint takes (its ``caps``), so
VP8, H.264 and Opus pass through untouched (H.264 only re-framed by
``h264parse`` to byte-stream/au with SPS/PPS at each keyframe); anything else
is decoded and re-encoded by the branch (video → VP8, audio → Opus). Both
``useEncodedMedia`` modes behave so: re-encoding what a peer can already take
would only cost CPU (KMS decodes by default to regenerate lost keyframes; a
file loses none, and an RTSP camera's next keyframe is at most a GOP away).

Timing: ``clocksync`` sends each buffer at its running time, so the media
leaves at its real rate. The join's src-pad offset maps the source's running
time (0 at its start) into the MediaPipeline's shared domain: the running time
at play() plus a small margin. Pause blocks the joins (a blocking probe, no
Python per buffer) and resume adds the paused time to the offset; a seek sets
a fresh offset, since a flushing seek restarts the source's running time. So
running times keep increasing downstream. Flushes and EOS stop at the pacer's
src pad: other elements never see them (an EOS would close their inputs for good).

Live sources (RTSP) are stamped by ``rtspsrc`` in the shared domain already
(same clock and base time), so their offset stays 0, and pause takes the
source bin to PAUSED (an RTSP PAUSE) rather than blocking its jitter buffer;
they are reported not seekable.

Keyframe requests (GstForceKeyUnit from downstream) reach the encoder of a
transcoded stream, which makes a keyframe; a passed-through stream's next
keyframe is the file's own. Transcoded video is encoded at the element's
``encoderBitrate``, moved by the REMB of the WebRtcEndpoints it feeds within
``min/maxEncoderBitrate`` (:mod:`.encoder_rate`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import urllib.parse
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from ..contract import MediaKind
from ..playing import MediaInfo, PlayerConfig, PlayerListener, SeekError
from ._gst import Gst, make_element
from .element import GstElement
from .encoder_rate import EncoderRate

log = logging.getLogger(__name__)

# What uridecodebin hands over without decoding further.
_STOP_CAPS = "video/x-vp8;video/x-h264;audio/x-opus;video/x-raw;audio/x-raw"
_H264_OUT = "video/x-h264,stream-format=byte-stream,alignment=au"
_RAW = ("video/x-raw", "audio/x-raw")  # decoded by uridecodebin: we re-encode them
_KINDS = {"video": MediaKind.VIDEO, "audio": MediaKind.AUDIO}
MS: int = int(Gst.MSECOND)
# Time between play() and the first buffer's due time: opening and typefinding a
# file takes a few tens of ms; later buffers are then on time, not in a burst.
START_MARGIN_NS = 150 * MS
LIVE_SCHEMES = ("rtsp", "rtsps")
OPEN_WAIT = 3.0  # seconds media_info/seek wait for a just-started source's streams
_BLOCK = Gst.PadProbeType.BLOCK | Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST
_OUTPUT_EVENTS = Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.EVENT_FLUSH
_READDRESSED = "kms-player-readdressed"  # marks a keyframe request we re-sent


@dataclass
class _Join:
    """Where one kind's stream enters the static part, and what we know of it."""

    kind: MediaKind
    identity: Any
    sink: Any  # identity's sink pad: the source bin's ghost pad links here
    src: Any  # identity's src pad: carries the offset
    segment: Any = None  # last SEGMENT leaving the pacer (offset applied)
    linked: bool = False
    seeking: bool = False  # a seek was sent: the segments before its flush are stale
    flushed: bool = False  # the seek's flush went by: the next segment is the new one
    transcoding: bool = False
    ended: bool = False
    block_probe: int = 0
    probes: list[tuple[Any, int]] = field(default_factory=list)


class PlayerElement(GstElement):
    factory = "PlayerEndpoint"
    listener: PlayerListener

    def build(self) -> None:
        self._lock = threading.Lock()
        # play/pause/stop/seek one at a time: two plays must not build two sources.
        self._control = asyncio.Lock()
        self._config = PlayerConfig(uri="")
        self._source: Any = None  # the source bin, while playing or paused
        self._generation = 0  # bumps with every new source: stale callbacks are ignored
        self._live = False
        self._opened = False  # uridecodebin said no-more-pads: every stream is linked
        self._paused_at: int | None = None  # running time when paused
        self._frozen_position = 0
        self._seek_target = 0  # ms: the position until the seek's segment arrives
        self._offset = 0
        self._joins: dict[MediaKind, _Join] = {}
        self._error_handler = 0
        self._tasks: set[asyncio.Task[None]] = set()  # EOS/error follow-ups in flight
        self.encoder_rate = EncoderRate(self.runtime, self.name)
        for kind in (MediaKind.VIDEO, MediaKind.AUDIO):
            name = kind.value.lower()
            identity = self.make("identity", f"{name}_join")
            pace = self.make("clocksync", f"{name}_pace", sync=True)
            identity.link(pace)
            join = _Join(kind, identity, identity.get_static_pad("sink"),
                         identity.get_static_pad("src"))
            pace_src = pace.get_static_pad("src")
            join.probes.append(
                (pace_src, pace_src.add_probe(_OUTPUT_EVENTS, self._on_output_event, join)))
            join.probes.append((join.sink, join.sink.add_probe(
                Gst.PadProbeType.EVENT_UPSTREAM, _readdress_keyframe_request)))
            self._joins[kind] = join
            self.add_output(kind, pace_src)
        bus = self.pipeline.get_bus()
        self._error_handler = bus.connect("sync-message::error", self._on_bus_error)

    def teardown(self) -> None:
        """Worker thread, pipeline at NULL: break the closures' reference cycles."""
        if self._error_handler:
            self.pipeline.get_bus().disconnect(self._error_handler)
            self._error_handler = 0
        self._drop_source()
        for join in self._joins.values():
            for pad, probe in join.probes:
                pad.remove_probe(probe)
            join.probes.clear()
        self.encoder_rate.close()

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        self.encoder_rate.configure(target, minimum, maximum)

    # -- PlayerMedia -------------------------------------------------------------------

    def configure(self, config: PlayerConfig) -> None:
        self._config = config

    async def play(self) -> None:
        await self.started()
        async with self._control:
            await self.runtime.worker.run(f"play {self!r}", self._play_sync)

    async def pause(self) -> None:
        async with self._control:
            await self.runtime.worker.run(f"pause {self!r}", self._pause_sync)

    async def stop(self) -> None:
        async with self._control:
            await self.runtime.worker.run(f"stop {self!r}", self._drop_source)

    def position(self) -> int:
        with self._lock:
            if self._source is None:
                return 0
            if self._paused_at is not None:
                return self._frozen_position
            return self._position_locked()

    async def seek(self, position_ms: int) -> None:
        await self._wait_open()
        problem: list[str] = []

        def seek_sync() -> None:
            problem.extend(self._seek_sync(position_ms * MS))

        async with self._control:
            done = await self.runtime.worker.run(f"seek {self!r}", seek_sync)
        if not done:
            raise SeekError("the seek did not complete")
        if problem:
            raise SeekError(problem[0])

    async def media_info(self) -> MediaInfo:
        await self._wait_open()
        found: list[MediaInfo] = []
        await self.runtime.worker.run(f"media info {self!r}",
                                      lambda: found.append(self._media_info_sync()))
        return found[0] if found else MediaInfo()

    async def _wait_open(self) -> None:
        """Right after play() the streams are not known yet: wait for them, briefly.

        Applications ask for the video info just after play() (Kurento's tutorials
        do); a source that errors or never opens ends the wait at the deadline.
        """
        deadline = self.runtime.loop.time() + OPEN_WAIT
        while self.runtime.loop.time() < deadline:
            with self._lock:
                if self._source is None or self._opened:
                    return
            await asyncio.sleep(0.02)

    # -- worker thread ---------------------------------------------------------------

    def _play_sync(self) -> None:
        with self._lock:
            source, paused_at = self._source, self._paused_at
        if source is not None and paused_at is not None:
            self._resume_sync(source, paused_at)
        elif source is None:
            self._start_source_sync()

    def _start_source_sync(self) -> None:
        config = self._config
        scheme = urllib.parse.urlsplit(config.uri).scheme.lower()
        live = scheme in LIVE_SCHEMES
        bin_ = Gst.Bin.new("player_source")
        bin_.set_property("async-handling", True)  # decodebin's prerolling stays inside
        decode = Gst.ElementFactory.make("uridecodebin", "decode")
        decode.set_property("uri", config.uri)
        decode.set_property("caps", Gst.Caps.from_string(_STOP_CAPS))
        bin_.add(decode)
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._live = live
            self._opened = False
            self._paused_at = None
            self._offset = 0 if live else self._running_time() + START_MARGIN_NS
            for join in self._joins.values():
                join.linked = join.ended = join.seeking = False
                join.segment = None
                join.src.set_offset(self._offset)
            self._source = bin_
        decode.connect("source-setup", self._on_source_setup)
        decode.connect("pad-added", self._on_pad_added, generation)
        decode.connect("no-more-pads", self._on_no_more_pads, generation)
        self.pipeline.add(bin_)
        if not bin_.sync_state_with_parent():
            log.warning("%r: source did not start", self)

    def _pause_sync(self) -> None:
        with self._lock:
            source = self._source
            if source is None or self._paused_at is not None:
                return
            self._frozen_position = self._position_locked()
            self._paused_at = self._running_time()
            live = self._live
            if not live:
                for join in self._joins.values():
                    join.block_probe = join.sink.add_probe(_BLOCK, _keep_blocked) or 0
        if live:
            source.set_state(Gst.State.PAUSED)

    def _resume_sync(self, source: Any, paused_at: int) -> None:
        with self._lock:
            live = self._live
            if not live:
                self._offset += self._running_time() - paused_at
            for join in self._joins.values():
                join.src.set_offset(self._offset)
                if join.block_probe:
                    join.sink.remove_probe(join.block_probe)
                    join.block_probe = 0
            self._paused_at = None
        if live:
            source.sync_state_with_parent()

    def _drop_source(self) -> None:
        with self._lock:
            source, self._source = self._source, None
            self._generation += 1
            self._paused_at = None
            stopped = [j.kind for j in self._joins.values() if j.transcoding]
            for join in self._joins.values():
                join.transcoding = False
                if join.block_probe:
                    join.sink.remove_probe(join.block_probe)
                    join.block_probe = 0
        for kind in stopped:
            self.runtime.call_soon(self.listener.on_transcoding, kind, False)
        if source is None:
            return
        # NULL first: unlinked while running, the source would report not-linked errors.
        source.set_state(Gst.State.NULL)
        for join in self._joins.values():
            peer = join.sink.get_peer()
            if peer is not None:
                peer.unlink(join.sink)
        if source.get_parent() is not None:
            self.pipeline.remove(source)
        self.encoder_rate.detach(source)

    def _seek_sync(self, target: int) -> list[str]:
        with self._lock:
            if self._source is None:
                return ["the player is not playing"]
            joins = [j for j in self._joins.values() if j.linked]
        if not joins:
            return ["the source is not open yet"]
        info = self._media_info_sync()
        if not info.seekable:
            return ["the source is not seekable"]
        flags = Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT | Gst.SeekFlags.SNAP_BEFORE
        event = Gst.Event.new_seek(1.0, Gst.Format.TIME, flags, Gst.SeekType.SET, target,
                                   Gst.SeekType.NONE, -1)
        with self._lock:
            previous = self._offset
            # A flushing seek restarts the source's running time at 0.
            self._offset = self._running_time() + START_MARGIN_NS
            self._seek_target = target // MS
            if self._paused_at is not None:
                self._frozen_position = self._seek_target
                self._paused_at = self._running_time()
            for join in self._joins.values():
                join.src.set_offset(self._offset)
                join.seeking, join.flushed = join.linked, False
        # Upstream from one join reaches the demuxer, which seeks every stream.
        if joins[0].sink.push_event(event):
            return []
        with self._lock:
            self._offset = previous
            for join in self._joins.values():
                join.src.set_offset(previous)
                join.seeking = False
        return [f"the source refused to seek to {target // MS} ms"]

    def _media_info_sync(self) -> MediaInfo:
        with self._lock:
            joins = [j for j in self._joins.values() if j.linked] if self._source else []
            live = self._live
        for join in joins:
            ok, duration = join.sink.peer_query_duration(Gst.Format.TIME)
            duration_ms = duration // MS if ok and duration > 0 else 0
            query = Gst.Query.new_seeking(Gst.Format.TIME)
            seekable, start, end = False, 0, 0
            if join.sink.peer_query(query):
                _fmt, seekable, start, end = query.parse_seeking()
            if live or not seekable:
                # Live timestamps are the shared running time: a seek cannot re-map them.
                seekable, start, end = False, 0, 0
            end = end if end > 0 else duration if ok and duration > 0 else 0
            return MediaInfo(bool(seekable), max(start, 0) // MS,
                             end // MS, duration_ms)
        return MediaInfo()

    # -- streaming threads (once per pad or event, never per buffer) ----------------

    def _on_source_setup(self, _decode: Any, source: Any) -> None:
        factory = source.get_factory()
        name = factory.get_name() if factory is not None else ""
        if name == "rtspsrc":
            source.set_property("latency", max(0, self._config.network_cache_ms))
        elif name == "souphttpsrc":
            # A redirect could lead to an address the URI check never saw.
            source.set_property("automatic-redirect", False)

    def _on_pad_added(self, decode: Any, pad: Any, generation: int) -> None:
        # The bin is looked up, not bound: a closure holding it would keep it alive.
        bin_ = decode.get_parent()
        if bin_ is None:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        kind = _KINDS.get(name.split("/")[0])
        with self._lock:
            join = self._joins.get(kind) if kind is not None else None
            usable = generation == self._generation and join is not None and not join.linked
            if usable and join is not None:
                join.linked = True
        if not usable or join is None:
            # A second stream of a kind, or something else: it goes nowhere.
            sink = _add(bin_, "fakesink", sync=False, async_=False)
            pad.link(sink.get_static_pad("sink"))
            sink.sync_state_with_parent()
            return
        # Downstream first, so the first buffer finds every element running.
        chain = self._branch(bin_, name)
        if name in _RAW:
            with self._lock:
                join.transcoding = True
            self.runtime.call_soon(self.listener.on_transcoding, join.kind, True)
        for upstream, downstream in itertools.pairwise(chain):
            upstream.link(downstream)
        for element in chain:
            element.sync_state_with_parent()
        tail = chain[-1].get_static_pad("src") if chain else pad
        ghost = Gst.GhostPad.new(f"{join.kind.value.lower()}_src", tail)
        ghost.set_active(True)
        bin_.add_pad(ghost)
        if ghost.link(join.sink) != Gst.PadLinkReturn.OK:
            log.error("%r: cannot link %s to the %s output", self, name, join.kind.value)
        if chain:
            pad.link(chain[0].get_static_pad("sink"))

    def _on_no_more_pads(self, _decode: Any, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._opened = True

    def _branch(self, bin_: Any, caps_name: str) -> list[Any]:
        """Elements from a decodebin pad to the output's codec (empty: none needed)."""
        if caps_name == "video/x-h264":
            return [_add(bin_, "h264parse", config_interval=-1),
                    _add(bin_, "capsfilter", caps=Gst.Caps.from_string(_H264_OUT))]
        if caps_name == "video/x-raw":
            encoder = _add(bin_, "vp8enc", deadline=1, cpu_used=16, lag_in_frames=0,
                           end_usage=1, keyframe_max_dist=60, threads=1)
            self.encoder_rate.attach(encoder)  # its bitrate, and REMB from downstream
            return [_add(bin_, "queue", max_size_buffers=2), _add(bin_, "videoconvert"),
                    encoder]
        if caps_name == "audio/x-raw":
            return [_add(bin_, "audioconvert"), _add(bin_, "audioresample"),
                    _add(bin_, "opusenc")]
        return []

    def _on_output_event(self, _pad: Any, info: Any, join: _Join) -> Any:
        event = info.get_event()
        kind = event.type
        if kind == Gst.EventType.SEGMENT:
            with self._lock:
                if not join.seeking or join.flushed:
                    join.segment = event.parse_segment().copy()
                    join.seeking = False
            return Gst.PadProbeReturn.OK
        if kind in (Gst.EventType.FLUSH_START, Gst.EventType.FLUSH_STOP):
            if kind == Gst.EventType.FLUSH_STOP:
                with self._lock:
                    join.flushed = True
            return Gst.PadProbeReturn.DROP  # a seek of ours: not the other elements' business
        if kind == Gst.EventType.EOS:
            with self._lock:
                join.ended = True
                generation = self._generation
                done = all(j.ended for j in self._joins.values() if j.linked)
            if done:
                self.runtime.call_soon(self._on_end_of_stream, generation)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    def _on_bus_error(self, _bus: Any, message: Any) -> None:
        """Posting thread: an error inside the source ends it (the base reports it)."""
        with self._lock:
            source, generation = self._source, self._generation
        if source is not None and message.src is not None and _inside(message.src, source):
            self.runtime.call_soon(self._on_source_error, generation)

    # -- loop ----------------------------------------------------------------------

    def _on_end_of_stream(self, generation: int) -> None:
        if generation == self._generation:
            self._spawn(self._finish(generation, eos=True))

    def _on_source_error(self, generation: int) -> None:
        if generation == self._generation:
            self._spawn(self._finish(generation, eos=False))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = self.runtime.loop.create_task(work)
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

    async def _finish(self, generation: int, *, eos: bool) -> None:
        if generation != self._generation:
            return
        await self.stop()
        if eos:
            self.listener.on_end_of_stream()

    # -- helpers -------------------------------------------------------------------

    def _running_time(self) -> int:
        return int(self.runtime.clock.get_time()) - int(self.runtime.base_time)

    def _position_locked(self) -> int:
        """Stream time now, from the last segment sent and the clock (lock held)."""
        running = self._running_time()
        joins = [self._joins[k] for k in (MediaKind.VIDEO, MediaKind.AUDIO)]
        for join in joins:
            if join.seeking:
                return self._seek_target
            segment = join.segment
            if segment is None:
                continue
            position = segment.position_from_running_time(Gst.Format.TIME, running)
            if position == Gst.CLOCK_TIME_NONE or position < 0:
                position = segment.start  # before the first buffer is due
            if segment.stop != Gst.CLOCK_TIME_NONE and segment.stop >= 0:
                position = min(position, segment.stop)
            return max(0, int(position) // MS)
        return 0


def _add(bin_: Any, factory: str, **props: object) -> Any:
    element = make_element(factory, None, **props)
    bin_.add(element)
    return element


def _readdress_keyframe_request(pad: Any, info: Any) -> Any:
    """Re-send a GstForceKeyUnit that crossed the join's offset without its offset.

    The offset pad adds its (negated) offset to every upstream event; for a
    request without ``running-time``, GStreamer 1.22's
    ``gst_video_event_parse_upstream_force_key_unit`` adds it to NONE and gets a
    running time that never comes: the encoder never makes the keyframe
    (measured with vp8enc). A fresh copy carries no offset. Python runs once
    per keyframe request, never per buffer.
    """
    event = info.get_event()
    structure = event.get_structure()
    if (event.type != Gst.EventType.CUSTOM_UPSTREAM or structure is None
            or structure.get_name() != "GstForceKeyUnit" or structure.has_field("running-time")
            or structure.has_field(_READDRESSED) or event.get_running_time_offset() == 0):
        return Gst.PadProbeReturn.OK
    fresh = structure.copy()
    fresh.set_value(_READDRESSED, True)
    pad.push_event(Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, fresh))
    return Gst.PadProbeReturn.DROP


def _keep_blocked(_pad: Any, _info: Any) -> Any:
    return Gst.PadProbeReturn.OK


def _inside(obj: Any, ancestor: Any) -> bool:
    while obj is not None:
        if obj == ancestor:
            return True
        obj = obj.get_parent()
    return False
