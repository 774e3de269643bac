"""The composition root: settings → engine → control plane → transport."""

from __future__ import annotations

import asyncio
import gc
import logging

from aiohttp import web

from kurento.api.registry import default_registry
from kurento.engine.contract import MediaEngine
from kurento.filters.plugins import load_filter_plugins
from kurento.objects.filter import python_filter_types
from kurento.server.core import MediaServerCore
from kurento.server.dispatch import Dispatcher
from kurento.server.settings import Settings
from kurento.server.transport import WebSocketTransport

log = logging.getLogger(__name__)


def default_engine(settings: Settings) -> MediaEngine:
    from kurento.engine.gst import GstMediaEngine

    return GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=settings.teardown_timeout)


class MediaServer:
    """A running server: ``await start()``, then ``await stop()``."""

    def __init__(self, settings: Settings, engine: MediaEngine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self.core: MediaServerCore | None = None
        self.transport: WebSocketTransport | None = None
        self._runner: web.AppRunner | None = None
        self.port: int = settings.port

    async def start(self) -> None:
        # A bad filter plug-in stops the start here (FilterPluginError), before anything runs.
        plugins = load_filter_plugins(self.settings.filter_plugins)
        engine = self._engine or default_engine(self.settings)
        self.core = MediaServerCore(self.settings, default_registry(plugins), engine)
        self.core.factories.update(python_filter_types(plugins))
        self.core.start_gc()
        self.transport = WebSocketTransport(
            Dispatcher(self.core), self.settings.path, self.settings.max_message_size
        )
        app = web.Application()
        app.add_routes(self.transport.routes())
        app.add_routes(self.core.http_media.routes())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        self.core.http_media.base_url = (
            self.settings.http_public_url or f"http://{self.settings.host}:{self.port}"
        ).rstrip("/")
        # Everything loaded so far (modules, API description, GStreamer bindings) lives
        # as long as the process: keep it out of the collections that releases trigger.
        gc.freeze()
        log.info("Kurento Protocol on ws://%s:%d/%s", self.settings.host, self.port,
                 self.settings.path)

    @property
    def url(self) -> str:
        return f"ws://{self.settings.host}:{self.port}/{self.settings.path}"

    async def stop(self) -> None:
        if self.transport is not None:
            await self.transport.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.core is not None:
            await self.core.close()
