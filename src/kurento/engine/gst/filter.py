"""Media part of filters: one media kind through a processing step, the others untouched.

Layout (one element pipeline; see :mod:`kurento.engine.filtering` for the contract)::

    KIND_in ⇢ [decoder] → convert → STEP → convert → encoder → KIND_out → tee
    OTHER_in → OTHER_out → tee                      (the kinds not filtered, and DATA)

``⇢`` is a :class:`~.filter_codec.Decoder`: nothing for raw input, the codec's
decoder for encoded input (chosen from the input's caps, swapped if a new
source brings another codec). The encoder (VP8 for video, Opus for audio)
answers keyframe requests from consumers. Threads: the bridge feeding the input
carries media through decoding and the step (a GStreamer step) or up to the
Python worker's hand-off (a Python step, see ``filter_python``); a slow step
makes the bridge's leaky queue drop, never grow. With no consumer the output
tee drops natively. The video encoder's bitrate is the element's
``encoderBitrate``, moved by the REMB of WebRtcEndpoints fed by the filter within
``min/maxEncoderBitrate`` (:mod:`.encoder_rate`).
"""

from __future__ import annotations

import logging
import shlex
from typing import Any

from gi.repository import GLib, GObject

from ..contract import MediaKind
from ..filtering import (
    FilterCommandError,
    FilterListener,
    PropertyTypeNotSupported,
    PropertyValueError,
)
from ._gst import Gst
from .element import GstElement
from .encoder_rate import EncoderRate
from .filter_codec import Decoder, add_chain, encoder_chain, make

log = logging.getLogger(__name__)

KINDS = (MediaKind.AUDIO, MediaKind.VIDEO, MediaKind.DATA)
_CODECS = {MediaKind.VIDEO: "VP8", MediaKind.AUDIO: "OPUS"}
_CONVERTS = {MediaKind.VIDEO: ("videoconvert",), MediaKind.AUDIO: ("audioconvert",
                                                                      "audioresample")}
# Kurento's audio caps for AUTODETECT (reference §3.1): raw and the common encoded kinds.
_AUDIO_CAPS = "audio/x-raw; audio/x-opus; audio/x-vorbis; audio/mpeg; audio/x-alaw; audio/x-mulaw"
_VIDEO_CAPS = "video/x-raw; video/x-vp8; video/x-h264; video/x-vp9"


class FilterElement(GstElement):
    """Base of filters: :meth:`insert` puts a step in one kind's path."""

    listener: FilterListener

    def build(self) -> None:
        self._ends: dict[MediaKind, tuple[Any, Any]] = {}
        self._decoder: Decoder | None = None
        self.filtered: MediaKind | None = None
        self.encoder_rate = EncoderRate(self.runtime, self.name)
        for kind in KINDS:
            name = kind.value.lower()
            entry = self.make("identity", f"{name}_in")
            exit_ = self.make("identity", f"{name}_filtered")
            self._ends[kind] = (entry, exit_)
            self.add_input(kind, entry.get_static_pad("sink"))
            self.add_output(kind, exit_.get_static_pad("src"))

    def routes(self, kind: MediaKind) -> tuple[MediaKind, ...]:
        return (kind,)

    def insert(self, kind: MediaKind, step: list[Any], step_in: Any, step_out: Any) -> None:
        """Put ``step`` (elements not yet added; ``step_in``/``step_out`` their raw pads)
        in ``kind``'s path, decoding before and encoding after; link the other kinds.

        Called once, on the loop, before media can arrive (links wait for the start).
        """
        self.filtered = kind
        for other, (entry, exit_) in self._ends.items():
            if other is not kind:
                entry.link(exit_)
        entry, exit_ = self._ends[kind]
        before = [make(factory) for factory in _CONVERTS[kind]]
        after = encoder_chain(_CODECS[kind], rate=self.encoder_rate)
        add_chain(self.pipeline, before)
        add_chain(self.pipeline, after)
        for element in step:
            if element.get_parent() is None:
                self.pipeline.add(element)
        if (before[-1].get_static_pad("src").link(step_in) != Gst.PadLinkReturn.OK
                or step_out.link(after[0].get_static_pad("sink")) != Gst.PadLinkReturn.OK
                or not after[-1].link(exit_)):
            raise FilterCommandError("Given command is not valid, pad templates don't match")
        for element in (*before, *step, *after):
            element.sync_state_with_parent()
        self._decoder = Decoder(self.pipeline, entry, before[0].get_static_pad("sink"),
                                self._on_decoding)

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        self.encoder_rate.configure(target, minimum, maximum)

    def teardown(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
        self.encoder_rate.close()

    def _on_decoding(self, media_type: str, _decoding: bool) -> None:
        """Streaming thread: media reached the step: it is decoded (or raw) and encoded."""
        kind = self.filtered
        if kind is not None:
            log.debug("%r: filtering %s", self, media_type)
            self.runtime.call_soon(self.listener.on_media_transcoding, kind, True,
                                   f"{self.name}_{kind.value.lower()}")


class GStreamerFilterElement(FilterElement):
    """Kurento ``GStreamerFilter``: one element given in gst-launch syntax (reference §3.1)."""

    factory = "GStreamerFilter"

    def build(self) -> None:
        super().build()
        self._element: Any = None

    def configure_command(self, command: str, filter_type: str) -> MediaKind:
        element = parse_command(command)
        sink = element.get_static_pad("sink") or element.get_static_pad("video_sink")
        src = element.get_static_pad("src")
        if sink is None or src is None:
            raise FilterCommandError("Given command is not valid, pad templates don't match")
        kind = _filter_kind(filter_type, sink, src)
        self._element = element
        self.insert(kind, [element], sink, src)
        return kind

    def set_element_property(self, name: str, value: str) -> None:
        element = self._element
        if element is None:
            raise PropertyValueError("The filter has no element")
        spec = element.find_property(name)
        if spec is None:
            raise PropertyValueError(f"No property named '{name}' in object "
                                     f"'{element.get_name()}'")
        fundamental = GObject.type_fundamental(spec.value_type)
        if fundamental == GObject.TYPE_INT:
            element.set_property(name, _convert(int, value, "int"))
        elif fundamental in (GObject.TYPE_FLOAT, GObject.TYPE_DOUBLE):
            element.set_property(name, _convert(float, value, "float"))
        elif fundamental == GObject.TYPE_STRING:
            element.set_property(name, value)
        elif fundamental == GObject.TYPE_ENUM:
            values = type(spec.default_value).__enum_values__.values()
            nicks = {v.value_nick: int(v) for v in values}
            if value not in nicks:
                raise PropertyValueError(f"Cannot convert '{value}' to enum: Invalid value for "
                                         f"enum {spec.value_type.name}")
            element.set_property(name, nicks[value])
        else:
            raise PropertyTypeNotSupported(
                f"Property type not implemented: {spec.value_type.name}")


def parse_command(command: str) -> Any:
    """One GStreamer element from gst-launch text, or :class:`FilterCommandError`."""
    try:
        element = Gst.parse_launch(command)
    except GLib.Error as error:
        raise FilterCommandError(f"GStreamer element cannot be created: {error.message}") from None
    if element is None:
        raise FilterCommandError("GStreamer element cannot be created: empty command")
    if isinstance(element, Gst.Pipeline):
        raise FilterCommandError("Given command is not valid, only one element can be created")
    _reapply(element, command)
    return element


def _reapply(element: Any, command: str) -> None:
    """Set the command's ``key=value`` properties again, in order.

    GStreamer 1.22's parser loses some of them (``videoflip method=horizontal-flip``
    yields an unflipped videoflip: measured); setting them on the made element works.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        return  # the parser accepted it; keep what it did
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if sep and element.find_property(key) is not None:
            Gst.util_set_object_arg(element, key, value)


def _filter_kind(filter_type: str, sink: Any, src: Any) -> MediaKind:
    if filter_type in ("AUDIO", "VIDEO"):
        return MediaKind(filter_type)
    for kind, caps_text in ((MediaKind.AUDIO, _AUDIO_CAPS), (MediaKind.VIDEO, _VIDEO_CAPS)):
        caps = Gst.Caps.from_string(caps_text)
        if (sink.get_pad_template_caps().can_intersect(caps)
                and src.get_pad_template_caps().can_intersect(caps)):
            return kind
    raise FilterCommandError("Given command is not valid, pad templates don't match")


def _convert(kind: type[int] | type[float], value: str, label: str) -> int | float:
    try:
        return kind(value)
    except ValueError as error:
        raise PropertyValueError(f"Cannot convert '{value}' to {label}: {error}") from None
