"""The demo launcher's aiohttp application: a landing page and the demos.

Routes: ``/`` (landing page), ``/static/`` (shared page code), ``/vendor/kurento-utils.js``
and ``/vendor/kurento-client.js`` (browser bundles of kurento-utils and of the official
kurento-client), and one sub-application per demo under ``/<name>/``.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

from examples.common import HERE, KURENTO_UTILS_BUNDLE, MEDIA_SERVER_KEY, MediaServer
from examples.hello_world import server as hello_world
from examples.hello_world_js import server as hello_world_js
from examples.magic_mirror import server as magic_mirror
from examples.one_to_many import server as one_to_many
from examples.one_to_one import server as one_to_one
from examples.player import server as player
from examples.recorder import server as recorder

# The official kurento-client for JavaScript, browserified by scripts/setup.sh
# (`npm run bundle` in examples/) as its own Gruntfile did: standalone `kurentoClient`.
KURENTO_CLIENT_BUNDLE = HERE / "node_modules" / ".kurento-py" / "kurento-client.js"


@dataclass(frozen=True)
class Demo:
    path: str
    title: str
    summary: str
    create_app: Callable[[], web.Application]


DEMOS = (
    Demo("hello_world", "Hello world",
         "WebRTC loopback: a WebRtcEndpoint connected to itself.",
         hello_world.create_app),
    Demo("hello_world_js", "Hello world, browser only",
         "The same loopback driven from the page by the official kurento-client for JavaScript.",
         hello_world_js.create_app),
    Demo("one_to_one", "One to one call",
         "Two users register by name, call each other and see each other.",
         one_to_one.create_app),
    Demo("one_to_many", "One to many",
         "One presenter, many viewers.",
         one_to_many.create_app),
    Demo("recorder", "Recorder",
         "Record your camera (RecorderEndpoint), then play the recording back (PlayerEndpoint).",
         recorder.create_app),
    Demo("player", "Player",
         "A file, HTTP URL or RTSP stream played to the browser, with pause and seek.",
         player.create_app),
    Demo("magic_mirror", "Magic mirror",
         "A hat on every face (FaceOverlayFilter), shown back and recorded.",
         magic_mirror.create_app),
)


def landing_page(media_server_url: str) -> str:
    items = "\n".join(
        f'    <li><a href="/{d.path}/">{d.title}</a>: {d.summary}</li>' for d in DEMOS
    )
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>kurento-py demos</title>
  <link rel="stylesheet" href="/static/style.css">
</head>
<body>
  <h1>kurento-py demos</h1>
  <ul id="demos">
{items}
  </ul>
  <p>Media server: <code id="media-server">{html.escape(media_server_url)}</code></p>
</body>
</html>
"""


def create_app(media_server_url: str) -> web.Application:
    app = web.Application()
    media_server = MediaServer(media_server_url)
    app[MEDIA_SERVER_KEY] = media_server
    page = landing_page(media_server_url)

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def bundle(request: web.Request) -> web.StreamResponse:
        if not KURENTO_UTILS_BUNDLE.is_file():
            raise web.HTTPNotFound(text="kurento-utils bundle missing: run scripts/setup.sh")
        return web.FileResponse(KURENTO_UTILS_BUNDLE)

    async def client_bundle(request: web.Request) -> web.StreamResponse:
        if not KURENTO_CLIENT_BUNDLE.is_file():
            raise web.HTTPNotFound(text="kurento-client bundle missing: run scripts/setup.sh")
        return web.FileResponse(KURENTO_CLIENT_BUNDLE)

    async def close_media_server(app: web.Application) -> AsyncIterator[None]:
        yield
        await media_server.close()

    app.router.add_get("/", index)
    app.router.add_get("/vendor/kurento-utils.js", bundle)
    app.router.add_get("/vendor/kurento-client.js", client_bundle)
    app.router.add_static("/static/", HERE / "static")
    for demo in DEMOS:
        app.add_subapp(f"/{demo.path}/", demo.create_app())
    app.cleanup_ctx.append(close_media_server)
    return app
