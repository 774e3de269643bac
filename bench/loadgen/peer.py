"""One generator session: a webrtcbin that sends the clip's encoded frames and hashes
what comes back, without encoding or decoding anything.

Send side: ``appsrc ! rtpvp8pay`` and ``appsrc ! rtpopuspay`` into webrtcbin; the
:class:`~loadgen.source.Source` pushes the same encoded frame into every session's
appsrc at its time (``do-timestamp``: the clip loops live). Receive side: each incoming
stream is depayloaded (``rtpvp8depay`` / ``rtpopusdepay``, no decoder) into a fakesink;
a probe hashes every frame and looks its send time up in the source's table. The key is
the frame payload, not the RTP packet, so it works through a server that depayloads and
repayloads (ours) as well as through one that reflects packets (Janus echotest).

A filtered session's video comes back re-encoded, which no hash matches. With
``marker_keys`` (the marked clip's frame hashes, by frame index) the session also
decodes its video and reads each picture's frame index (:mod:`loadgen.marker`); the
arrival of that frame (at the depayloader, as for any frame) against the push of the
frame with that index is its delay through the filter.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kurento.engine.gst.webrtc_fixes import hold_ice_agent, pin_ice_addresses
from kurento.engine.gst.webrtc_segments import SharedSegments

from . import marker
from .gst import Gst, GstVideo, GstWebRTC

VIDEO_PT, AUDIO_PT = 96, 111
VIDEO_RTP = ("application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,"
             f"payload={VIDEO_PT},rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true,"
             "rtcp-fb-ccm-fir=(boolean)true")
AUDIO_RTP = ("application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,"
             f"payload={AUDIO_PT},encoding-params=(string)2")
PROMISE_TIMEOUT = 10.0
APPSRC = "is-live=true do-timestamp=true format=time"
LATENCY_MS = 50  # webrtcbin's receive jitterbuffer (in-order packets leave it at once)
DECODE_BACKLOG_NS = 2 * Gst.SECOND  # a marker-reading session's decoder falls no further behind
PENDING_PICTURES = 150  # arrivals kept for the marker reader (5 s of video)


@dataclass
class Arrival:
    kind: str
    sent: float
    received: float


@dataclass
class RtpCounters:
    packets_received: int = 0
    packets_sent: int = 0
    packets_lost: int = 0  # as our inbound-rtp stats see it (server → generator leg)
    pli: int = 0  # keyframe requests the server sent us
    fir: int = 0
    nack: int = 0
    remote_lost: int = 0  # packets the server reports lost (RTCP RR: remote-inbound-rtp)
    remote_reports: int = 0  # remote-inbound-rtp entries (0: no receiver report came)


@dataclass
class Session:
    """One peer connection; build with :meth:`create` (a pipeline of its own)."""

    index: int
    sent_times: dict[int, float]
    loop: asyncio.AbstractEventLoop
    video_caps: str
    audio_caps: str
    pipeline: Any = None
    webrtc: Any = None
    video_src: Any = None
    audio_src: Any = None
    arrivals: list[Arrival] = field(default_factory=list)
    # every frame that came back, matched or not: (kind, monotonic time). A filtered
    # session gets its video re-encoded, which no hash matches: it is counted here.
    received: list[tuple[str, float]] = field(default_factory=list)
    unmatched: int = 0
    # a viewer in another process than the presenter (``--processes``): its frames are
    # matched to their pushes afterwards, so it keeps (kind, frame hash, arrival) of each.
    keys: list[tuple[str, int, float]] | None = None
    video_started: bool = False  # pushes video only from a keyframe on
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    candidates: asyncio.Queue[tuple[int, str]] = field(default_factory=asyncio.Queue)
    first_video: float | None = None
    connected_at: float | None = None  # monotonic time ICE connected
    dropped_candidates: int = 0
    # "sendrecv" (loopback), "sendonly" (a one-to-many presenter: nothing comes back),
    # "recvonly" (a viewer: nothing is sent, no appsrc).
    role: str = "sendrecv"
    # a filtered session: its first video frame back counts even though no hash matches
    count_unmatched: bool = False
    # the marked clip's video frame hashes by index: decode the video that comes back and
    # match it by the index drawn in each picture (filtered sessions, see the module doc)
    marker_keys: list[int] | None = None
    marked: list[Arrival] = field(default_factory=list)  # video matched by marker
    unreadable: int = 0  # decoded pictures whose marker did not read (or not in time)
    # video PTS → arrival, until the marker reader has decoded that picture
    _arrived: OrderedDict[int, float] = field(default_factory=OrderedDict)
    pads: list[str] = field(default_factory=list)  # the receive pads webrtcbin added
    _agent: Any = None
    # BUNDLE's rtpfunnel would push a segment down the send chain at every switch
    # between audio and video, as in our server (see webrtc_segments there).
    _segments: SharedSegments = field(default_factory=SharedSegments)

    def create(self) -> None:
        # Fixed SSRCs, in the payloaders and in the offer (a=ssrc): without them the offer
        # sometimes names none (the payloader's caps come later), and Janus then drops
        # that stream as "Unknown SSRC".
        ssrcs = (random.randint(1, 2**31), random.randint(1, 2**31))
        if self.role == "recvonly":
            # (parse_launch of one element gives the element, not a pipeline)
            pipeline = Gst.Pipeline.new(f"viewer{self.index}")
            webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
            webrtc.set_property("latency", LATENCY_MS)
            webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_COMPAT)
            pipeline.add(webrtc)
        else:
            pipeline = Gst.parse_launch(
                f"webrtcbin name=webrtc bundle-policy=max-compat latency={LATENCY_MS} "
                f'appsrc name=video {APPSRC} caps="{self.video_caps}" '
                f"! rtpvp8pay pt={VIDEO_PT} ssrc={ssrcs[0]} mtu=1200 picture-id-mode=15-bit "
                "! webrtc.sink_0 "
                f'appsrc name=audio {APPSRC} caps="{self.audio_caps}" '
                f"! rtpopuspay pt={AUDIO_PT} ssrc={ssrcs[1]} ! webrtc.sink_1")
        self.pipeline = pipeline
        self.webrtc = pipeline.get_by_name("webrtc")
        self.video_src = pipeline.get_by_name("video")
        self.audio_src = pipeline.get_by_name("audio")
        self._agent = hold_ice_agent(self.webrtc)
        pin_ice_addresses(self._agent, ("127.0.0.1",), ice_tcp=False)
        # libnice looks for a UPnP gateway by default (SSDP multicast to
        # 239.255.255.250): nothing may leave loopback.
        self._agent.get_property("agent").set_property("upnp", False)
        direction = {"sendrecv": GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV,
                     "sendonly": GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY,
                     "recvonly": GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY}[self.role]
        for index, caps in ((0, VIDEO_RTP), (1, AUDIO_RTP)):
            if self.role == "recvonly":
                self.webrtc.emit("add-transceiver", direction, Gst.Caps.from_string(caps))
                continue
            transceiver = self.webrtc.emit("get-transceiver", index)
            transceiver.set_property("direction", direction)
            transceiver.set_property("codec-preferences", Gst.Caps.from_string(
                f"{caps},ssrc=(uint){ssrcs[index]}"))
        self.webrtc.connect("deep-element-added", self._on_element_added)
        self.webrtc.connect("on-ice-candidate", self._on_ice_candidate)
        self.webrtc.connect("pad-added", self._on_pad_added)
        self.webrtc.connect("notify::ice-connection-state", self._on_ice_state)
        pipeline.set_state(Gst.State.PLAYING)

    # -- signalling (the offer is ours) -------------------------------------------------

    def _promise(self, signal: str, *args: Any) -> Any:
        promise = Gst.Promise.new()
        self.webrtc.emit(signal, *args, promise)
        result = promise.wait()
        if result != Gst.PromiseResult.REPLIED:
            raise RuntimeError(f"session {self.index}: {signal} gave {result}")
        return promise.get_reply()

    def _offer_sync(self) -> str:
        reply = self._promise("create-offer", None)
        offer = reply.get_value("offer")
        self._promise("set-local-description", offer)
        return str(offer.sdp.as_text())

    async def offer(self) -> str:
        return await asyncio.wait_for(asyncio.to_thread(self._offer_sync), PROMISE_TIMEOUT)

    def _answer_to_sync(self, sdp: str) -> str:
        """The server offers (Janus videoroom subscriber): answer it (recvonly)."""
        from .gst import GstSdp

        sdp = self._loopback_only(sdp)
        result, message = GstSdp.SDPMessage.new_from_text(sdp)
        if result != GstSdp.SDPResult.OK:
            raise RuntimeError(f"session {self.index}: unparsable offer")
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, message)
        self._promise("set-remote-description", offer)
        reply = self._promise("create-answer", None)
        answer = reply.get_value("answer")
        self._promise("set-local-description", answer)
        return str(answer.sdp.as_text())

    async def answer_to(self, sdp: str) -> str:
        return await asyncio.wait_for(asyncio.to_thread(self._answer_to_sync, sdp),
                                      PROMISE_TIMEOUT)

    def _loopback_only(self, sdp: str) -> str:
        lines = sdp.splitlines()
        kept = [line for line in lines
                if not line.startswith("a=candidate:") or loopback_candidate(line)]
        self.dropped_candidates += len(lines) - len(kept)
        return "\r\n".join(kept) + "\r\n"

    def _answer_sync(self, sdp: str) -> None:
        from .gst import GstSdp

        sdp = self._loopback_only(sdp)
        result, message = GstSdp.SDPMessage.new_from_text(sdp)
        if result != GstSdp.SDPResult.OK:
            raise RuntimeError(f"session {self.index}: unparsable answer")
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        self._promise("set-remote-description", answer)

    async def accept(self, sdp: str) -> None:
        await asyncio.wait_for(asyncio.to_thread(self._answer_sync, sdp), PROMISE_TIMEOUT)

    def add_candidate(self, mline: int, candidate: str) -> None:
        """A remote candidate; only 127.0.0.1 ones are used (nothing leaves loopback)."""
        if not loopback_candidate(candidate):
            self.dropped_candidates += 1
            return
        if not candidate.startswith("candidate:"):
            candidate = "candidate:" + candidate.removeprefix("a=")
        self.webrtc.emit("add-ice-candidate", mline, candidate)

    def _on_ice_candidate(self, _webrtc: Any, mline: int, candidate: str) -> None:
        self.loop.call_soon_threadsafe(self.candidates.put_nowait, (mline, candidate))

    def _on_ice_state(self, webrtc: Any, _spec: Any) -> None:
        state = webrtc.get_property("ice-connection-state")
        if state in (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                     GstWebRTC.WebRTCICEConnectionState.COMPLETED):
            if self.connected_at is None:
                self.connected_at = time.monotonic()
            self.loop.call_soon_threadsafe(self.connected.set)
            self.loop.call_soon_threadsafe(self.configure_latency)

    def configure_latency(self) -> None:
        """Hands the pipeline's latency to its elements again: webrtcbin makes its send
        path (rtpsession, nicesink) only after PLAYING, and an rtpsession that never got a
        latency cannot place its packets in time ("Can't determine running time"), so its
        RTCP sender reports map RTP to NTP time wrongly."""
        self.pipeline.recalculate_latency()

    # -- receive side (streaming threads) --------------------------------------------------

    def _on_pad_added(self, _webrtc: Any, pad: Any) -> None:
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_string("media") if caps else None
        kind = "video" if media == "video" else "audio"
        self.pads.append(f"{pad.get_name()}:{kind}")
        depay = Gst.ElementFactory.make("rtpvp8depay" if kind == "video" else "rtpopusdepay")
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        elements, links = [depay, sink], [(depay, sink)]
        if kind == "video" and self.marker_keys is not None:
            # depay → tee → fakesink, and tee → leaky queue → vp8dec → appsink reading each
            # picture's marker (the queue: decoding never holds the arrivals' thread)
            tee = Gst.ElementFactory.make("tee")
            reader = self._marker_reader()
            elements += [tee, *reader]
            links = [(depay, tee), (tee, sink), *itertools.pairwise([tee, *reader])]
        for element in elements:
            self.pipeline.add(element)
        for upstream, downstream in links:
            upstream.link(downstream)
        depay.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._probe(kind))
        for element in reversed(elements):  # the depayloader last: downstream is ready
            element.sync_state_with_parent()
        pad.link(depay.get_static_pad("sink"))

    def _marker_reader(self) -> list[Any]:
        queue = Gst.ElementFactory.make("queue")
        queue.set_property("leaky", 2)
        queue.set_property("max-size-buffers", 0)
        queue.set_property("max-size-bytes", 0)
        queue.set_property("max-size-time", DECODE_BACKLOG_NS)
        decoder = Gst.ElementFactory.make("vp8dec")
        reader = Gst.ElementFactory.make("appsink")
        reader.set_property("caps", Gst.Caps.from_string("video/x-raw,format=I420"))
        reader.set_property("sync", False)
        reader.set_property("async", False)  # added while PLAYING: no preroll to wait for
        reader.set_property("emit-signals", True)
        reader.connect("new-sample", self._on_decoded)
        return [queue, decoder, reader]

    def _on_decoded(self, reader: Any) -> Any:
        """A decoded picture (the decoder queue's thread): its marker names the frame."""
        sample = reader.emit("pull-sample")
        buffer = sample.get_buffer()
        arrived = self._arrived.pop(buffer.pts, None)
        info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
        stride, height = info.stride[0], info.height
        # the luma plane's last STRIP rows: I420's first plane
        start = info.offset[0] + (height - marker.STRIP) * stride
        strip = buffer.extract_dup(start, marker.STRIP * stride) if height >= marker.STRIP \
            else b""
        index = marker.read_gray(strip, info.width, stride)
        keys = self.marker_keys
        sent = (self.sent_times.get(keys[index]) if keys is not None and index is not None
                and index < len(keys) else None)
        if arrived is None or sent is None or sent > arrived:
            self.unreadable += 1
        else:
            self.marked.append(Arrival("video", sent, arrived))
        return Gst.FlowReturn.OK

    def _probe(self, kind: str) -> Callable[[Any, Any], Any]:
        sent_times, arrivals, received = self.sent_times, self.arrivals, self.received
        keys = self.keys
        arrived = self._arrived if kind == "video" and self.marker_keys is not None else None

        def probe(_pad: Any, info: Any) -> Any:
            now = time.monotonic()
            buffer = info.get_buffer()
            if arrived is not None:  # for the marker reader, by PTS (the decoder keeps it)
                arrived[buffer.pts] = now
                while len(arrived) > PENDING_PICTURES:  # pictures never decoded
                    arrived.popitem(last=False)
            key = hash(buffer.extract_dup(0, buffer.get_size()))
            sent = sent_times.get(key)
            received.append((kind, now))
            if keys is not None:
                keys.append((kind, key, now))
            elif sent is None:
                self.unmatched += 1
            else:
                arrivals.append(Arrival(kind, sent, now))
            if kind == "video" and self.first_video is None and (
                    sent is not None or self.count_unmatched):
                self.first_video = now
            return Gst.PadProbeReturn.OK

        return probe

    # -- sending (the source calls these on the event loop) --------------------------------

    def push(self, kind: str, data: Any, keyframe: bool) -> None:
        if self.video_src is None:
            return  # a viewer sends nothing
        if kind == "video":
            if not self.video_started:
                if not keyframe:
                    return
                self.video_started = True
            self.video_src.push_buffer(Gst.Buffer.new_wrapped_bytes(data))
        else:
            self.audio_src.push_buffer(Gst.Buffer.new_wrapped_bytes(data))

    # -- statistics ------------------------------------------------------------------------

    def _stats_entries(self) -> Iterator[tuple[int, Any]]:
        """webrtcbin's stats: (WebRTCStatsType as int, the entry's structure). A
        generator: the entries are only valid while the reply that holds them lives."""
        reply = self._promise("get-stats", None)
        gtype = GstWebRTC.WebRTCStatsType.__gtype__
        for index in range(reply.n_fields()):
            value = reply.get_value(reply.nth_field_name(index))
            if not hasattr(value, "get_enum"):
                continue
            found, kind = value.get_enum("type", gtype)
            if found:
                yield kind, value

    def _stats_sync(self) -> RtpCounters:
        counters = RtpCounters()
        inbound = int(GstWebRTC.WebRTCStatsType.INBOUND_RTP)
        outbound = int(GstWebRTC.WebRTCStatsType.OUTBOUND_RTP)
        remote_inbound = int(GstWebRTC.WebRTCStatsType.REMOTE_INBOUND_RTP)
        for kind, value in self._stats_entries():
            if kind == inbound:
                counters.packets_received += _int(value, "packets-received")
                counters.packets_lost += max(0, _int(value, "packets-lost"))
            elif kind == outbound:
                counters.packets_sent += _int(value, "packets-sent")
                counters.pli += _int(value, "pli-count")
                counters.fir += _int(value, "fir-count")
                counters.nack += _int(value, "nack-count")
            elif kind == remote_inbound:
                counters.remote_lost += max(0, _int(value, "packets-lost"))
                counters.remote_reports += 1
        return counters

    def _describe_sync(self) -> dict[str, Any]:
        """For a session that got no video or audio: what its webrtcbin received."""
        inbound = [{name: _int(value, name) for name in (
                        "ssrc", "packets-received", "bytes-received", "packets-lost")}
                   for kind, value in self._stats_entries()
                   if kind == int(GstWebRTC.WebRTCStatsType.INBOUND_RTP)]
        received = {kind: sum(1 for k, _t in self.received if k == kind)
                    for kind in ("video", "audio")}
        return {"ice": self.webrtc.get_property("ice-connection-state").value_nick,
                "frames_received": received, "pads": self.pads, "inbound": inbound}

    async def describe(self) -> dict[str, Any]:
        return await asyncio.wait_for(asyncio.to_thread(self._describe_sync),
                                      PROMISE_TIMEOUT)

    async def stats(self) -> RtpCounters:
        return await asyncio.wait_for(asyncio.to_thread(self._stats_sync), PROMISE_TIMEOUT)

    def _on_element_added(self, _bin: Any, _sub_bin: Any, element: Any) -> None:
        factory = element.get_factory()
        if factory is not None and factory.get_name() == "rtpfunnel":
            self._segments.attach(element)

    def close(self) -> None:
        if self.pipeline is not None:
            self.pipeline.set_state(Gst.State.NULL)
            self._segments.detach()


def loopback_candidate(candidate: str) -> bool:
    """``candidate:FOUNDATION COMPONENT PROTO PRIORITY ADDRESS PORT typ ...`` on 127.0.0.1."""
    fields = candidate.split()
    return len(fields) > 5 and fields[4] == "127.0.0.1"


def _int(structure: Any, name: str) -> int:
    if not structure.has_field(name):
        return 0
    try:
        return int(structure.get_value(name))
    except (TypeError, ValueError):
        return 0
