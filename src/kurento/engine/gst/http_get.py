"""Media part of HttpGetEndpoint (our extension): the inputs as live WebM for HTTP clients.

Layout::

    video input → decodebin ─VP8 as is──────────────────→ queue ─┐
                            └raw (decoded H.264...) → vp8enc → ┘  webmmux streamable
    audio input → decodebin ─Opus → opusparse────────────→ queue ─┐  → multifdsink
                            └raw → audioconvert → opusenc ─┘

``decodebin`` stops at VP8 and Opus (``autoplug-continue``), so those pass
without decoding; anything else is decoded and encoded to VP8/Opus.

Each HTTP client is one end of a socket pair whose other end ``multifdsink``
writes to: GStreamer sends a new client the WebM header (the muxer's
``streamheader``) and then the stream from the next keyframe, drops clients
that fall too far behind, and no Python runs per buffer. The loop reads the
client's end in large chunks (:class:`SocketStreamClient`). A new client also
sends a keyframe request upstream, so it does not wait for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import threading
from collections.abc import Iterable
from typing import Any

from ..contract import MediaKind
from ..http_contract import StreamProfile
from ._gst import Gst
from .element import GstElement
from .encoder_rate import EncoderRate

log = logging.getLogger(__name__)

CONTENT_TYPE = "video/webm"
# A client this far behind the live edge is dropped (its reader sees the end).
MAX_CLIENT_LAG_NS = 10 * Gst.SECOND
READ_SIZE = 64 * 1024
_SYNC_NEXT_KEYFRAME = 1  # GstMultiHandleSinkSyncMethod
_PASS_THROUGH = ("video/x-vp8", "audio/x-opus")
_KINDS = {
    StreamProfile.AUDIO_AND_VIDEO: (MediaKind.VIDEO, MediaKind.AUDIO),
    StreamProfile.VIDEO_ONLY: (MediaKind.VIDEO,),
    StreamProfile.AUDIO_ONLY: (MediaKind.AUDIO,),
}


class SocketStreamClient:
    """One HTTP client: the loop's end of a socket pair that ``multifdsink`` writes into."""

    content_type = CONTENT_TYPE

    def __init__(self, element: HttpGetElement, reader: socket.socket, writer_fd: int) -> None:
        self._element = element
        self._reader = reader
        self.writer_fd = writer_fd
        self._closed = False

    async def read(self) -> bytes:
        if self._closed:
            return b""
        try:
            return await asyncio.get_running_loop().sock_recv(self._reader, READ_SIZE)
        except OSError:
            return b""

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._element.remove_client(self)
            self._reader.close()


class HttpGetElement(GstElement):
    """Muxes its inputs to live WebM and fans it out to any number of HTTP clients."""

    factory = "HttpGetEndpoint"

    def build(self) -> None:
        profile = getattr(self.listener, "stream_profile", StreamProfile.AUDIO_AND_VIDEO)
        self._lock = threading.Lock()
        self._clients: dict[int, SocketStreamClient] = {}  # by multifdsink's fd
        # Only encoderBitrate and its bounds matter here: no REMB comes from HTTP clients.
        self.encoder_rate = EncoderRate(self.runtime, self.name)
        # Every keyframe starts a cluster, so a new client starts at the one it asked for.
        self._mux = self.make("webmmux", streamable=True, min_cluster_duration=0)
        self._fanout = self.make(
            "multifdsink", sync=False, async_=False, sync_method=_SYNC_NEXT_KEYFRAME,
            unit_format=Gst.Format.TIME, units_max=MAX_CLIENT_LAG_NS,
        )
        # (object, handler id): C holds these closures, and through them us.
        self._handlers = [(self._fanout, self._fanout.connect("client-fd-removed",
                                                              self._on_client_fd_removed))]
        self._mux.link(self._fanout)
        self._mux_pads: dict[MediaKind, Any] = {}
        for kind in _KINDS[profile]:
            name = kind.value.lower()
            mux_pad = self._mux.request_pad_simple(f"{name}_%u")
            self._mux_pads[kind] = mux_pad
            decoder = self.make("decodebin", f"{name}_decode")
            decoder.connect("autoplug-continue", _stop_at_pass_through)
            self._handlers.append(
                (decoder, decoder.connect("pad-added", self._on_decoded, kind)))
            self.add_input(kind, decoder.get_static_pad("sink"))

    def routes(self, kind: MediaKind) -> Iterable[MediaKind]:
        return ()  # the inputs go to the network, not to other elements

    def teardown(self) -> None:
        for gobject, handler in self._handlers:
            gobject.disconnect(handler)
        self._handlers.clear()
        with self._lock:
            fds = list(self._clients)
            self._clients.clear()
        for fd in fds:
            _close_fd(fd)
        self.encoder_rate.close()

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        self.encoder_rate.configure(target, minimum, maximum)

    # -- StreamMedia (loop thread) ------------------------------------------------------

    async def open_client(self) -> SocketStreamClient:
        await self.started()  # multifdsink takes clients from READY on
        if self._close_task is not None:
            raise RuntimeError(f"{self!r} is closed")
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        client = SocketStreamClient(self, reader, writer.detach())
        with self._lock:
            self._clients[client.writer_fd] = client
        self._fanout.emit("add", client.writer_fd)
        self.request_key_frame()
        return client

    def client_count(self) -> int:
        with self._lock:
            return len(self._clients)

    def remove_client(self, client: SocketStreamClient) -> None:
        """Stop writing to ``client``; its fd is closed when multifdsink lets it go."""
        with self._lock:
            known = client.writer_fd in self._clients
        if known and self._close_task is None:
            self._fanout.emit("remove", client.writer_fd)

    def request_key_frame(self) -> bool:
        """Ask whatever feeds the muxer's video for a keyframe (GstForceKeyUnit upstream)."""
        mux_pad = self._mux_pads.get(MediaKind.VIDEO)
        if mux_pad is None:
            return False
        structure = Gst.Structure.new_from_string(
            "GstForceKeyUnit, all-headers=(boolean)true, count=(uint)0"
        )
        return bool(mux_pad.push_event(Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM,
                                                             structure)))

    # -- streaming threads ------------------------------------------------------------

    def _on_decoded(self, _decodebin: Any, pad: Any, kind: MediaKind) -> None:
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_name() if caps.get_size() else ""
        if kind is MediaKind.VIDEO:
            chain = [] if media == "video/x-vp8" else [
                self.make("videoconvert"),
                self.make("vp8enc", deadline=1, cpu_used=8, keyframe_max_dist=60,
                          error_resilient=1),
            ]
            if chain:
                self.encoder_rate.attach(chain[-1], listen=False)
        elif media == "audio/x-opus":
            chain = [self.make("opusparse")]
        else:
            chain = [self.make("audioconvert"), self.make("audioresample"),
                     self.make("opusenc")]
        chain.append(self.make("queue", max_size_buffers=0, max_size_bytes=0,
                               max_size_time=2 * Gst.SECOND))
        for element in chain:
            element.sync_state_with_parent()
        for upstream, downstream in itertools.pairwise(chain):
            upstream.link(downstream)
        chain[-1].get_static_pad("src").link(self._mux_pads[kind])
        if pad.link(chain[0].get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            log.error("%r: cannot take %s input %s", self, kind.value, media)

    def _on_client_fd_removed(self, _sink: Any, fd: int) -> None:
        with self._lock:
            known = self._clients.pop(fd, None) is not None
        if known:
            _close_fd(fd)  # the client's reader now sees the end of the stream


def _stop_at_pass_through(_decodebin: Any, _pad: Any, caps: Any) -> bool:
    """decodebin: keep decoding unless the stream is already VP8 or Opus."""
    name = caps.get_structure(0).get_name() if caps.get_size() else ""
    return name not in _PASS_THROUGH


def _close_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        socket.close(fd)
