"""Decode what arrives, encode what leaves: shared by filters and WebRtcEndpoint inputs.

:class:`Decoder` sits behind a pad and decodes whatever codec the input carries
(raw media goes through as it is): it reads the input's CAPS event (in a pad
probe, so Python runs once per caps change, never per buffer), builds the
matching chain from :data:`DECODERS`, and rebuilds it if a new source brings
another codec. When it builds a chain it asks upstream for a keyframe (a
decoder cannot start on a delta frame; the request crosses the bridge to the
real sender, e.g. a PLI from a WebRtcEndpoint), and the video decoders ask
again by themselves after a decoding error (``automatic-request-sync-points``).

The encoders are tuned for real time, like the recorder's and the player's:
``vp8enc deadline=1`` and ``x264enc tune=zerolatency speed-preset=ultrafast``;
both answer GstForceKeyUnit events from downstream with a keyframe. Their
bitrate is the element's (``encoderBitrate``, bounded and moved by REMB: see
:mod:`.encoder_rate`) when :func:`encoder_chain` is given its ``rate``.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..contract import MediaKind
from ._gst import Gst, make_element

if TYPE_CHECKING:
    from .encoder_rate import EncoderRate

log = logging.getLogger(__name__)

VP8_BITRATE = 300_000  # bps: Kurento's default encoderBitrate (without an EncoderRate)
KEYFRAME_DISTANCE = 60  # frames between unrequested keyframes

# Incoming media type → decoding chain (gst-launch fragments, one element each).
DECODERS: dict[str, tuple[str, ...]] = {
    "video/x-vp8": ("vp8dec",),
    "video/x-h264": ("h264parse", "avdec_h264"),
    "video/x-raw": (),
    "audio/x-opus": ("opusdec",),
    "audio/x-raw": (),
}
_H264_CAPS = "video/x-h264,stream-format=byte-stream,alignment=au"


def force_key_unit() -> Any:
    """An upstream GstForceKeyUnit event (what a PLI becomes inside GStreamer)."""
    structure = Gst.Structure.new_from_string(
        "GstForceKeyUnit, all-headers=(boolean)true, count=(uint)0"
    )
    return Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, structure)


def make(factory: str, **props: object) -> Any:
    """A GStreamer element with ``props`` (``_`` for ``-``), not yet in any bin."""
    return make_element(factory, None, **props)


def encoder_chain(codec: str, bitrate: int = VP8_BITRATE, *, rate: EncoderRate | None = None,
                  listen: bool = True) -> list[Any]:
    """Elements from raw media to ``codec`` ("VP8", "H264" or "OPUS"), unlinked.

    With ``rate`` the video encoder follows it (``bitrate`` is then unused); ``listen``:
    REMB events arriving at the encoder set its bitrate (see :mod:`.encoder_rate`).
    """
    if codec == "VP8":
        encoder = make("vp8enc", deadline=1, cpu_used=16, lag_in_frames=0, end_usage=1,
                       target_bitrate=bitrate, keyframe_max_dist=KEYFRAME_DISTANCE, threads=1,
                       error_resilient=1)
        if rate is not None:
            rate.attach(encoder, listen=listen)
        return [make("videoconvert"), encoder]
    if codec == "H264":
        encoder = make("x264enc", key_int_max=KEYFRAME_DISTANCE, bitrate=max(bitrate // 1000, 1),
                       threads=1)
        Gst.util_set_object_arg(encoder, "tune", "zerolatency")
        Gst.util_set_object_arg(encoder, "speed-preset", "ultrafast")
        if rate is not None:
            rate.attach(encoder, listen=listen)
        return [make("videoconvert"), encoder,
                make("capsfilter", caps=Gst.Caps.from_string(
                    "video/x-h264,profile=constrained-baseline")),
                make("h264parse", config_interval=-1),
                make("capsfilter", caps=Gst.Caps.from_string(_H264_CAPS))]
    if codec == "OPUS":
        return [make("audioconvert"), make("audioresample"), make("opusenc")]
    raise ValueError(f"no encoder for {codec!r}")


def add_chain(bin_: Any, chain: list[Any]) -> None:
    """Add ``chain`` to ``bin_`` and link it in order (states are the caller's)."""
    for element in chain:
        bin_.add(element)
    for upstream, downstream in itertools.pairwise(chain):
        if not upstream.link(downstream):
            raise RuntimeError(f"cannot link {upstream.get_name()} → {downstream.get_name()}")


class Decoder:
    """Decodes the media leaving ``head``'s src pad into ``tail`` (a sink pad).

    ``on_change(media_type, decoding)`` runs on the streaming thread when a new
    chain is built for the input's ``media_type``.
    """

    def __init__(self, bin_: Any, head: Any, tail: Any,
                 on_change: Callable[[str, bool], None] | None = None) -> None:
        self._bin = bin_
        self._head = head
        self._tail = tail
        self._on_change = on_change
        self._lock = threading.Lock()
        self._media_type: str | None = None
        self._chain: list[Any] = []
        self._pad = head.get_static_pad("src")
        self._probe = self._pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_event)
        # A new source first asks whether its caps are accepted (the bridge's gate does,
        # before the CAPS event): answer by having the right decoder in place already.
        self._sink = head.get_static_pad("sink")
        self._query_probe = self._sink.add_probe(Gst.PadProbeType.QUERY_DOWNSTREAM,
                                                 self._on_query)

    @property
    def media_type(self) -> str | None:
        return self._media_type

    def close(self) -> None:
        """Worker thread, pipeline at NULL: the probe's closure holds us."""
        if self._probe:
            self._pad.remove_probe(self._probe)
            self._sink.remove_probe(self._query_probe)
            self._probe = 0

    def _on_event(self, _pad: Any, info: Any) -> Any:
        event = info.get_event()
        if event.type == Gst.EventType.CAPS:
            name = event.parse_caps().get_structure(0).get_name()
            with self._lock:
                if name != self._media_type:
                    self._rebuild(name)
        return Gst.PadProbeReturn.OK

    def _on_query(self, _pad: Any, info: Any) -> Any:
        query = info.get_query()
        if query.type == Gst.QueryType.ACCEPT_CAPS:
            name = query.parse_accept_caps().get_structure(0).get_name()
            with self._lock:
                if name != self._media_type:
                    self._rebuild(name)
        return Gst.PadProbeReturn.OK

    def _rebuild(self, media_type: str) -> None:
        """Streaming thread of ``head`` (lock held): swap the chain before the caps pass."""
        descriptions = DECODERS.get(media_type)
        if descriptions is None:
            log.warning("%s: cannot decode %s", self._bin.get_name(), media_type)
            return
        if self._pad.is_linked():
            self._pad.unlink(self._pad.get_peer())
        for element in self._chain:
            element.set_state(Gst.State.NULL)
            self._bin.remove(element)
        if self._tail.is_linked():
            self._tail.get_peer().unlink(self._tail)
        chain = decoder_chain(media_type)
        add_chain(self._bin, chain)
        first = chain[0].get_static_pad("sink") if chain else self._tail
        if chain and chain[-1].get_static_pad("src").link(self._tail) != Gst.PadLinkReturn.OK:
            raise RuntimeError(f"cannot link the {media_type} decoder")
        for element in chain:
            element.sync_state_with_parent()
        self._pad.link(first)
        self._chain = chain
        self._media_type = media_type
        if chain:
            # A decoder cannot start on a delta frame: ask the sender for a keyframe.
            self._head.get_static_pad("sink").push_event(force_key_unit())
        if self._on_change is not None:
            self._on_change(media_type, bool(chain))


def decoder_chain(media_type: str) -> list[Any]:
    """Unlinked elements that decode ``media_type`` (empty for raw media).

    Raises KeyError for a media type we cannot decode.
    """
    return [_decoder(description) for description in DECODERS[media_type]]


def _decoder(factory: str) -> Any:
    element = make(factory)
    if element.find_property("automatic-request-sync-points") is not None:
        element.set_property("automatic-request-sync-points", True)
    return element


def media_kind(media_type: str) -> MediaKind:
    return MediaKind.AUDIO if media_type.startswith("audio/") else MediaKind.VIDEO
