"""The WebRtcEndpoint's SCTP data channels and its DATA media kind.

Messages are DATA buffers between elements (one Python call per message: data
channels are low rate)::

    webrtcbin on-message-string/-data → appsrc "data_source" → DATA tee → bridges
    bridge → appsink "data_sink" (new-sample) → send on our channel(s)

A DATA buffer is a 3-byte header and the payload: byte 0 is :data:`TEXT` or
:data:`BINARY` (strings stay strings), bytes 1-2 the channel id it arrived on
(big endian). A sink sends a message on the channel with that id when it has
one open (so a WebRtcEndpoint connected to itself echoes on the same channel),
else on every open channel.

Without data channels (``WebRtcConfig.data_channels`` false) a remote
``m=application`` section is answered with port 0 (rejected), as KMS does.
Our offers (``generateOffer``) carry an ``m=application`` section too: webrtcbin adds
one only while a data channel exists, so a pre-negotiated stand-in channel exists
from the first offer on (:meth:`DataChannels.prepare_offer`). ("no shared cipher"
against aiortc, seen in a first attempt, is not about data channels: aiortc as DTLS
client offers ECDSA suites only, and webrtcbin's own certificate is RSA; any
``generateOffer`` answered by aiortc needs ``certificateKeyType=ECDSA``; browsers,
which also offer ECDHE-RSA suites, should take either: not tested here.)
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gi.repository import GLib, GObject

from ..contract import DataChannelStats, MediaKind, WebRtcError
from ._gst import Gst
from .webrtc_fixes import GstWebRTC

if TYPE_CHECKING:
    from .element import GstElement

log = logging.getLogger(__name__)

TEXT = 0
BINARY = 1
CAPS = "application/x-kurento-data"


def pack(text: bool, channel_id: int, payload: bytes) -> bytes:
    return bytes((TEXT if text else BINARY,)) + (channel_id & 0xFFFF).to_bytes(2, "big") + payload


def unpack(data: bytes) -> tuple[bool, int, bytes] | None:
    if len(data) < 3 or data[0] not in (TEXT, BINARY):
        return None
    return data[0] == TEXT, int.from_bytes(data[1:3], "big"), data[3:]


def reject_data_sections(text: str) -> str:
    """An answer with every ``m=application`` section rejected (port 0, out of BUNDLE)."""
    lines = text.split("\r\n")
    rejected: list[str] = []
    in_data = False
    for index, line in enumerate(lines):
        if line.startswith("m="):
            in_data = line.startswith("m=application ")
            if in_data:
                parts = line.split(" ")
                parts[1] = "0"
                lines[index] = " ".join(parts)
        elif in_data and line.startswith("a=mid:"):
            rejected.append(line[6:])
    if not rejected:
        return text
    for index, line in enumerate(lines):
        if line.startswith("a=group:BUNDLE "):
            mids = [m for m in line.split(" ")[1:] if m not in rejected]
            lines[index] = "a=group:BUNDLE " + " ".join(mids)
    return "\r\n".join(lines)


# "on-open" of a channel we create can fire (webrtcbin's thread) before ``emit``
# returns it to us, i.e. before we could connect a handler: one process-wide emission
# hook sees every on-open. Channels are keyed by ``hash()``, PyGObject's GObject pointer.
_hook_lock = threading.Lock()
_hooked: dict[int, tuple[DataChannels, _Channel]] = {}
_opened_early: set[int] = set()
_stand_ins: set[int] = set()  # offer stand-ins (see DataChannels.prepare_offer): no events
_hook_installed = False

# The stand-in's SCTP stream: pre-negotiated (no DCEP, so the peer never sees it), odd
# and high so that neither side's own channels (even ids for the DTLS client, odd for
# the server, lowest free first) reach it in practice.
STAND_IN_ID = 1023


def _never_release(channel: Any) -> None:
    """Keep ``channel`` (its Python wrapper, hence the GObject) until the process ends.

    When ours was the last reference (webrtcbin drops closed channels), 1.22's channel
    finalize raised "g_object_unref: assertion 'G_IS_OBJECT (object)' failed" and
    then crashed; a list is not enough, it is emptied at interpreter exit. The cost
    is one small object per channel for the life of the process.
    """
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(channel))


def _install_hook() -> None:
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            # The signal exists once the class is initialised (kept for the process).
            GObject.TypeClass.ref(GstWebRTC.WebRTCDataChannel.__gtype__)
            GObject.add_emission_hook(GstWebRTC.WebRTCDataChannel, "on-open", _on_open_hook)
            _hook_installed = True


def _on_open_hook(channel: Any, *_args: Any) -> bool:
    key = hash(channel)
    with _hook_lock:
        found = _hooked.get(key)
        if found is None and key not in _stand_ins:
            _opened_early.add(key)
    if found is not None:
        found[0].opened_now(channel, found[1])
    return True  # keep the hook


@dataclass(eq=False)
class _Channel:
    channel: Any  # GstWebRTC.WebRTCDataChannel
    label: str
    protocol: str
    channel_id: int = -1
    state: str = "connecting"  # tracked from the signals (see _track)
    opened: bool = False
    closed: bool = False
    messages_sent: int = 0
    bytes_sent: int = 0
    messages_received: int = 0
    bytes_received: int = 0


class DataChannels:
    """Data channels of one webrtcbin; ``notify(method, *args)`` runs on the loop."""

    def __init__(self, element: GstElement, webrtc: Any,
                 notify: Callable[..., None]) -> None:
        self._element = element
        self._webrtc = webrtc
        self._notify = notify
        self._lock = threading.Lock()
        self._channels: list[_Channel] = []
        self._signals: list[tuple[Any, int]] = []
        self.enabled = False
        self._stand_in: Any = None
        self.opened = 0
        self.closed = 0
        self._src = element.make("appsrc", "data_source", is_live=True, do_timestamp=True,
                                 format=Gst.Format.TIME, block=False,
                                 caps=Gst.Caps.from_string(CAPS))
        self._sink = element.make("appsink", "data_sink", emit_signals=True, sync=False,
                                  async_=False, max_buffers=1000, drop=True)
        element.add_output(MediaKind.DATA, self._src.get_static_pad("src"))
        element.add_input(MediaKind.DATA, self._sink.get_static_pad("sink"))
        self._connect(self._sink, "new-sample", self._on_sample)
        _install_hook()
        self._connect(webrtc, "on-data-channel", self._on_remote_channel)

    def _connect(self, obj: Any, signal: str, handler: Callable[..., Any], *args: Any) -> None:
        self._signals.append((obj, obj.connect(signal, handler, *args)))

    def teardown(self) -> None:
        """Worker thread, pipeline at NULL."""
        for obj, handler in self._signals:
            obj.disconnect(handler)
        self._signals.clear()
        with self._lock:
            channels, self._channels = self._channels, []
        with _hook_lock:
            for entry in channels:
                _hooked.pop(hash(entry.channel), None)
            if self._stand_in is not None:
                _stand_ins.discard(hash(self._stand_in))

    # -- channels ------------------------------------------------------------------

    def _on_remote_channel(self, _webrtc: Any, channel: Any) -> None:
        """webrtcbin's thread: the peer opened a channel (it is open when announced)."""
        entry = self._track(channel)
        self.opened_now(channel, entry)

    def _track(self, channel: Any) -> _Channel:
        # The state is tracked from on-open/on-close, never read: reading "ready-state"
        # of a channel webrtcbin has just created crashed 1.22 now and then (SIGSEGV).
        entry = _Channel(channel, channel.get_property("label") or "",
                         channel.get_property("protocol") or "")
        with self._lock:
            self._channels.append(entry)
        _never_release(channel)
        self._connect(channel, "on-close", self._on_close, entry)
        self._connect(channel, "on-message-string", self._on_string, entry)
        self._connect(channel, "on-message-data", self._on_data, entry)
        key = hash(channel)
        with _hook_lock:
            _hooked[key] = (self, entry)
            early = key in _opened_early
            _opened_early.discard(key)
        if early:
            self.opened_now(channel, entry)
        return entry

    def opened_now(self, channel: Any, entry: _Channel) -> None:
        """Any thread: ``channel`` is open (once per channel)."""
        with self._lock:
            if entry.opened:
                return
            entry.opened = True
            entry.state = "open"
            entry.channel_id = int(channel.get_property("id"))
            self.opened += 1
        self._element.runtime.call_soon(self._notify, "on_data_channel_opened",
                                        entry.channel_id)

    def _on_close(self, _channel: Any, entry: _Channel) -> None:
        with self._lock:
            if entry.closed:
                return
            entry.closed = True
            entry.state = "closed"
            self.closed += 1
            opened = entry.opened
        if opened:
            self._element.runtime.call_soon(self._notify, "on_data_channel_closed",
                                            entry.channel_id)

    def create_sync(self, label: str, ordered: bool, max_packet_lifetime: int,
                    max_retransmits: int, protocol: str) -> None:
        """Worker thread: webrtcbin ``create-data-channel`` with Kurento's options.

        Only once a data-channel section is negotiated (KMS: 40003 before): webrtcbin
        would otherwise put the channel in its next offer.
        """
        if self._webrtc.get_property("sctp-transport") is None:
            raise WebRtcError("no data channel session negotiated yet")
        options = Gst.Structure.new_empty("data-channel-opts")
        options.set_value("ordered", ordered)
        if max_packet_lifetime >= 0:
            options.set_value("max-packet-lifetime", max_packet_lifetime)
        if max_retransmits >= 0:
            options.set_value("max-retransmits", max_retransmits)
        options.set_value("protocol", protocol)
        channel = self._webrtc.emit("create-data-channel", label, options)
        if channel is None:
            raise WebRtcError(f"webrtcbin could not create data channel {label!r}")
        self._track(channel)

    def prepare_offer(self) -> None:
        """Worker thread, before ``create-offer``: make webrtcbin offer ``m=application``.

        webrtcbin 1.22 adds the data section to an offer only while a data channel
        exists. A pre-negotiated channel on :data:`STAND_IN_ID` stands in: no DCEP
        message ever names it, so the peer sees none, and we report none (no
        DataChannelOpened, no stats). It is never closed (closing a channel before
        its SCTP association exists is not safe in 1.22) and dies with webrtcbin.
        """
        if self._stand_in is not None:
            return
        options = Gst.Structure.new_empty("data-channel-opts")
        options.set_value("negotiated", True)
        options.set_value("id", STAND_IN_ID)
        channel = self._webrtc.emit("create-data-channel", "kurento-offer", options)
        if channel is None:
            raise WebRtcError("webrtcbin could not prepare a data channel section")
        _never_release(channel)
        with _hook_lock:
            _stand_ins.add(hash(channel))
            _opened_early.discard(hash(channel))
        self._stand_in = channel

    def closing(self, channel_id: int) -> Any:
        """The open channel with ``channel_id``, now closing; KeyError when there is none."""
        with self._lock:
            for entry in self._channels:
                if entry.state == "open" and entry.channel_id == channel_id:
                    entry.state = "closing"
                    return entry.channel
        raise KeyError(channel_id)

    def stats(self) -> tuple[int, int, list[DataChannelStats]]:
        with self._lock:
            entries = list(self._channels)
            opened, closed = self.opened, self.closed
        result = [DataChannelStats(
            channel_id=e.channel_id, label=e.label, protocol=e.protocol,
            state=e.state, messages_sent=e.messages_sent, bytes_sent=e.bytes_sent,
            messages_received=e.messages_received, bytes_received=e.bytes_received,
        ) for e in entries]
        return opened, closed, result

    # -- messages --------------------------------------------------------------------

    def _on_string(self, _channel: Any, text: str | None, entry: _Channel) -> None:
        payload = (text or "").encode("utf-8")
        self._received(entry, True, payload)

    def _on_data(self, _channel: Any, data: Any, entry: _Channel) -> None:
        payload = bytes(data.get_data() or b"") if data is not None else b""
        self._received(entry, False, payload)

    def _received(self, entry: _Channel, text: bool, payload: bytes) -> None:
        with self._lock:
            entry.messages_received += 1
            entry.bytes_received += len(payload)
        buffer = Gst.Buffer.new_wrapped(pack(text, entry.channel_id, payload))
        self._src.emit("push-buffer", buffer)

    def _on_sample(self, sink: Any) -> Any:
        """A streaming thread: a DATA buffer reached our input; send it on."""
        sample = sink.emit("pull-sample")
        if sample is None:
            return Gst.FlowReturn.OK
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        if not ok:
            return Gst.FlowReturn.OK
        try:
            message = unpack(bytes(info.data))
        finally:
            buffer.unmap(info)
        if message is not None:
            self._send(*message)
        return Gst.FlowReturn.OK

    def _send(self, text: bool, channel_id: int, payload: bytes) -> None:
        with self._lock:
            targets = [e for e in self._channels if e.state == "open"]
        same = [e for e in targets if e.channel_id == channel_id]
        for entry in same or targets:
            try:
                _send_on(entry.channel, text, payload)
            except Exception:  # a channel closing under us: drop the message
                log.debug("data channel %d: send failed", entry.channel_id, exc_info=True)
                continue
            with self._lock:
                entry.messages_sent += 1
                entry.bytes_sent += len(payload)


def _send_on(channel: Any, text: bool, payload: bytes) -> None:
    """The ``*_full`` methods (1.22+, raise on failure); the old action signals else."""
    if text:
        message = payload.decode("utf-8", "replace")
        send_string = getattr(channel, "send_string_full", None)
        if send_string is not None:
            send_string(message)
        else:
            channel.emit("send-string", message)
        return
    data = GLib.Bytes.new(payload)
    send_data = getattr(channel, "send_data_full", None)
    if send_data is not None:
        send_data(data)
    else:
        channel.emit("send-data", data)
