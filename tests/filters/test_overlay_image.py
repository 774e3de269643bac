"""Overlay images fetched over http(s): a real HTTPS server (self-signed) on 127.0.0.1.

Through the real server and client: the image is drawn in the video a WebRTC peer
receives; loopback refused without ``internal_networks``; verified TLS refuses a
self-signed server; 404, too big, too slow and redirects are clear 40600 errors
and the server carries on; the downloaded file is gone afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import os
import ssl
import stat
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from aiohttp import web
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kurento.client import ImageOverlayFilter, KurentoClient, MediaPipeline, WebRtcEndpoint
from kurento.objects.overlay_image import _PinnedResolver, overlay_image_file
from kurento.protocol.errors import KurentoError, UriPathFileNotFound
from kurento.server.app import MediaServer
from kurento.server.settings import Settings, load_settings

from ..webrtc.peer import Peer, negotiate_as_answerer

pytestmark = pytest.mark.gst

MAX_BYTES = 64 * 1024
FETCH_TIMEOUT = 1.0
# The image server may reach loopback; quick limits keep the failure cases fast.
FETCHING = Settings(port=0, internal_networks="127.0.0.0/8",
                    extra={"image_fetch_timeout": FETCH_TIMEOUT, "image_fetch_max_bytes": MAX_BYTES})


@pytest.fixture(scope="module")
def red_png(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("overlay-http") / "red.png"
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "pattern=red", "num-buffers=1", "!",
                    "video/x-raw,width=20,height=10", "!", "pngenc", "!", "filesink",
                    f"location={path}"], check=True)
    return path.read_bytes()


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 that nobody signed but itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@dataclass
class ImageServer:
    https: str
    http: str
    hits: Counter[str] = field(default_factory=Counter)


@pytest.fixture
async def images(red_png: bytes, tls_context: ssl.SSLContext) -> AsyncIterator[ImageServer]:
    hits: Counter[str] = Counter()
    release = asyncio.Event()  # lets the stalled handlers end before the server stops

    async def red(_request: web.Request) -> web.Response:
        hits["red"] += 1
        return web.Response(body=red_png, content_type="image/png")

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=bytes(MAX_BYTES + 1), content_type="image/png")

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # no Content-Length: the cap applies while reading
        await response.prepare(request)
        for _ in range(4):
            await response.write(bytes(MAX_BYTES // 2))
        return response

    async def stall(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=red_png, content_type="image/png")

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(red_png[:8])
        await release.wait()
        return response

    async def redirect(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/red.png")

    app = web.Application()
    app.add_routes([web.get("/red.png", red), web.get("/big.png", big),
                    web.get("/big-chunked.png", big_chunked), web.get("/stall.png", stall),
                    web.get("/trickle.png", trickle), web.get("/redirect.png", redirect)])
    runner = web.AppRunner(app)
    await runner.setup()
    secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls_context)
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    await secure.start()
    await plain.start()
    yield ImageServer(f"https://127.0.0.1:{_port(secure)}", f"http://127.0.0.1:{_port(plain)}",
                      hits)
    release.set()
    await runner.cleanup()


def _port(site: web.TCPSite) -> int:
    server: Any = site._server
    return int(server.sockets[0].getsockname()[1])


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[KurentoClient]:
    media_server = MediaServer(settings)
    await media_server.start()
    try:
        async with KurentoClient.connect(media_server.url) as client:
            yield client
    finally:
        await media_server.stop()


def overlay_files() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir())
            if name.startswith("kurento-overlay-")}


class FramePeer(Peer):
    """A peer that keeps the last video frame it received, as RGB."""

    latest: np.ndarray | None = None

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.latest = frame.to_ndarray(format="rgb24")
                self.received[track.kind] += 1


def red_box_drawn(frame: np.ndarray | None) -> bool:
    """The peer's grey frames (160x120) with red in the box x 80..160, y 0..60 only."""
    if frame is None:
        return False
    pixels = frame.astype(np.int32)
    inside, outside = pixels[10:50, 90:150], pixels[70:110, 10:70]
    red = inside[..., 0].mean() > 150 and inside[..., 1:].mean() < 80
    grey = abs(outside[..., 0] - outside[..., 1]).mean() < 30
    return bool(red and grey)


async def test_https_image_with_a_self_signed_certificate_is_drawn(
    _loopback_only: None, images: ImageServer, peers: list[Peer]
) -> None:
    """Peer → WebRtcEndpoint → ImageOverlayFilter (image over HTTPS) → same endpoint → peer."""
    async with running(FETCHING) as client:
        pipeline = await MediaPipeline.create(client)
        endpoint = await WebRtcEndpoint.create(pipeline)
        overlay = await ImageOverlayFilter.create(pipeline)
        before = overlay_files()
        await overlay.add_image("hat", f"{images.https}/red.png", 0.5, 0.0, 0.5, 0.5,
                                False, False)
        assert images.hits["red"] == 1
        assert overlay_files() == before  # the download was removed once decoded
        peer = FramePeer(send_audio=False)
        peers.append(peer)
        await endpoint.connect(overlay)
        await overlay.connect(endpoint)
        await negotiate_as_answerer(endpoint, peer)
        deadline = time.monotonic() + 15
        while not red_box_drawn(peer.latest) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert red_box_drawn(peer.latest)
        await pipeline.release()


async def test_plain_http_image_is_added(images: ImageServer) -> None:
    async with running(FETCHING) as client:
        pipeline = await MediaPipeline.create(client)
        overlay = await ImageOverlayFilter.create(pipeline)
        await overlay.add_image("logo", f"{images.http}/red.png", 0, 0, 0.2, 0.2, True, True)
        assert images.hits["red"] == 1
        await pipeline.release()


async def test_verified_tls_refuses_the_self_signed_server(images: ImageServer) -> None:
    async with running(FETCHING.replace(image_tls_verify=True)) as client:
        pipeline = await MediaPipeline.create(client)
        overlay = await ImageOverlayFilter.create(pipeline)
        with pytest.raises(KurentoError) as refused:
            await overlay.add_image("logo", f"{images.https}/red.png", 0, 0, 0.2, 0.2,
                                    True, True)
        assert refused.value.code == 40600
        assert "certificate" in refused.value.message
        assert "image_tls_verify" in refused.value.message
        await overlay.add_image("logo", f"{images.http}/red.png", 0, 0, 0.2, 0.2, True, True)
        await pipeline.release()


async def test_loopback_is_refused_without_internal_networks(
    client: KurentoClient, images: ImageServer
) -> None:
    pipeline = await MediaPipeline.create(client)
    overlay = await ImageOverlayFilter.create(pipeline)
    for base in (images.https, images.http):
        with pytest.raises(KurentoError) as refused:
            await overlay.add_image("logo", f"{base}/red.png", 0, 0, 0.2, 0.2, True, True)
        assert refused.value.code == 40600
        assert "internal_networks" in refused.value.message
    assert images.hits["red"] == 0  # refused before connecting
    await pipeline.release()


@pytest.mark.parametrize(("path", "says"), [
    ("/missing.png", "HTTP 404"),
    ("/big.png", f"larger than the {MAX_BYTES} bytes"),
    ("/big-chunked.png", f"larger than the {MAX_BYTES} bytes"),
    ("/stall.png", f"within {FETCH_TIMEOUT:g} s"),
    ("/trickle.png", f"within {FETCH_TIMEOUT:g} s"),
    ("/redirect.png", "redirects are not followed"),
])
async def test_failures_are_clear_and_the_server_carries_on(
    images: ImageServer, path: str, says: str
) -> None:
    async with running(FETCHING) as client:
        pipeline = await MediaPipeline.create(client)
        overlay = await ImageOverlayFilter.create(pipeline)
        before = overlay_files()
        started = time.monotonic()
        with pytest.raises(KurentoError) as failed:
            await overlay.add_image("logo", f"{images.https}{path}", 0, 0, 0.2, 0.2, True, True)
        assert time.monotonic() - started < FETCH_TIMEOUT + 2
        assert failed.value.code == 40600
        assert says in failed.value.message and path in failed.value.message
        assert images.hits["red"] == 0  # a redirect is not followed
        assert overlay_files() == before
        await overlay.add_image("logo", f"{images.https}/red.png", 0, 0, 0.2, 0.2, True, True)
        await pipeline.release()


async def test_not_an_image_names_the_uri(images: ImageServer) -> None:
    """A downloaded file the engine cannot decode: the error names the URI, not the temp file."""
    async with running(FETCHING.replace(extra={"image_fetch_max_bytes": 2 * MAX_BYTES})) as client:
        pipeline = await MediaPipeline.create(client)
        overlay = await ImageOverlayFilter.create(pipeline)
        uri = f"{images.http}/big.png"  # zeros, not a PNG
        with pytest.raises(KurentoError) as failed:
            await overlay.add_image("logo", uri, 0, 0, 0.2, 0.2, True, True)
        assert failed.value.code == 40600 and uri in failed.value.message
        assert "kurento-overlay-" not in failed.value.message
        await pipeline.release()


async def test_the_helper_yields_a_private_file_removed_on_exit(
    images: ImageServer, red_png: bytes
) -> None:
    async with overlay_image_file(f"{images.https}/red.png", FETCHING) as name:
        path = Path(name)
        assert path.read_bytes() == red_png
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.exists()
    with pytest.raises(RuntimeError):
        async with overlay_image_file(f"{images.http}/red.png", FETCHING) as name:
            raise RuntimeError("the caller failed")
    assert not Path(name).exists()


@pytest.mark.parametrize("uri", ["ftp://127.0.0.1/red.png", "https:///red.png",
                                 "http://127.0.0.1:99999/red.png"])
async def test_bad_uris_are_refused(uri: str) -> None:
    with pytest.raises(UriPathFileNotFound):
        async with overlay_image_file(uri, FETCHING):
            pass


async def test_the_connection_uses_only_the_checked_addresses() -> None:
    checked = [ipaddress.ip_address("192.0.2.7")]
    resolver = _PinnedResolver("images.example", checked)
    answers = await resolver.resolve("images.example", 443)
    assert [(a["host"], a["port"], a["hostname"]) for a in answers] == [
        ("192.0.2.7", 443, "images.example")]
    with pytest.raises(OSError):
        await resolver.resolve("elsewhere.example", 443)



def test_the_verify_setting_is_read_from_file_and_environment(tmp_path: Path) -> None:
    assert load_settings(environ={}).image_tls_verify is False
    config = tmp_path / "k.toml"
    config.write_text("image_tls_verify = true\n")
    assert load_settings(config, environ={}).image_tls_verify is True
    assert load_settings(config, environ={"KURENTO_IMAGE_TLS_VERIFY": "false"}).image_tls_verify is False
    assert load_settings(environ={"KURENTO_IMAGE_TLS_VERIFY": "1"}).image_tls_verify is True
    with pytest.raises(ValueError, match="image_tls_verify"):
        load_settings(environ={"KURENTO_IMAGE_TLS_VERIFY": "maybe"})


async def test_a_host_name_is_fetched_from_its_checked_addresses(
    images: ImageServer, red_png: bytes
) -> None:
    """``localhost`` goes through the pinned resolver (literal addresses never reach it)."""
    uri = images.https.replace("127.0.0.1", "localhost") + "/red.png"
    with pytest.raises(UriPathFileNotFound, match="internal_networks"):
        async with overlay_image_file(uri, Settings(port=0)):
            pass
    allowed = FETCHING.replace(internal_networks="127.0.0.0/8,::1/128")
    async with overlay_image_file(uri, allowed) as name:
        assert Path(name).read_bytes() == red_png
