"""A local RTSP server (GstRtspServer) serving a clip on 127.0.0.1, on a free port.

::

    with RtspServer(clip_path) as server:
        uri = server.uri  # rtsp://127.0.0.1:PORT/clip

The clip's first H.264 video track is sent as RTP (``rtph264pay``), from the
start, to each client (not shared). The server runs its own GLib main loop in a
thread, so it works beside asyncio tests.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

MOUNT = "/clip"


class RtspServer:
    """Serves ``clip`` (an MP4 with H.264 video) at :attr:`uri` while open."""

    def __init__(self, clip: Path) -> None:
        Gst.init(None)
        self._context = GLib.MainContext.new()
        self._loop = GLib.MainLoop.new(self._context, False)
        self._server: Any = GstRtspServer.RTSPServer.new()
        self._server.set_address("127.0.0.1")
        self._server.set_service("0")  # the kernel picks a free port
        factory = GstRtspServer.RTSPMediaFactory.new()
        factory.set_launch(
            f"( filesrc location={clip} ! qtdemux ! h264parse "
            "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        factory.set_shared(False)
        self._server.get_mount_points().add_factory(MOUNT, factory)
        self._source_id = self._server.attach(self._context)
        self.port: int = self._server.get_bound_port()
        self._thread = threading.Thread(target=self._loop.run, name="rtsp-server", daemon=True)

    @property
    def uri(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}{MOUNT}"

    def __enter__(self) -> RtspServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        pool = self._server.get_session_pool()
        pool.filter(lambda _pool, _session: GstRtspServer.RTSPFilterResult.REMOVE)
        self._context.invoke_full(GLib.PRIORITY_DEFAULT, self._quit)
        self._thread.join(timeout=5)

    def _quit(self) -> bool:
        source = self._context.find_source_by_id(self._source_id)
        if source is not None:
            source.destroy()
        self._loop.quit()
        return False
