"""Hello world, browser-only: the page itself drives the media server with the official
``kurento-client`` for JavaScript, as Kurento's original browser tutorials did. The
launcher only serves the files, and ``config.json`` with the media server's URL (the
page's ``?ws_uri=`` wins over it).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from examples.common import MEDIA_SERVER_KEY

STATIC = Path(__file__).resolve().parent / "static"


def create_app() -> web.Application:
    app = web.Application()

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def config(request: web.Request) -> web.Response:
        return web.json_response({"ws_uri": request.config_dict[MEDIA_SERVER_KEY].url})

    app.router.add_get("/", index)
    app.router.add_get("/config.json", config)
    app.router.add_static("/", STATIC)
    return app
