"""Overlay images (ImageOverlayFilter, FaceOverlayFilter) as local files the engine decodes.

Kurento's tutorials serve the overlay image (a logo, the hat of the face overlay)
from the application's own HTTPS server, usually with a self-signed certificate,
and KMS downloads it. We download it too, under the confinement rules of
players (:mod:`kurento.objects.media_uri`), because a client must not use us
to read our disk or probe our network:

* ``file://`` paths must lie inside the media roots and are used in place;
* ``http(s)://`` hosts are resolved once and every address is checked against
  ``internal_networks``; the connection goes to those checked addresses only
  (a pinned resolver), so a second DNS answer cannot point it elsewhere.
  The Host header, SNI and certificate name stay the URI's host;
* redirects are not followed (the target could be any address);
* the download must finish within ``extra.image_fetch_timeout`` seconds
  (default 10) and hold at most ``extra.image_fetch_max_bytes`` (default 16 MiB);
* certificates are not verified unless the ``image_tls_verify`` setting is on
  (tutorial servers are self-signed).

Every failure is Kurento's URI error (40600 URI_PATH_FILE_NOT_FOUND, what KMS
answers for an image it cannot load) with a message saying what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from kurento.engine.filtering import ImageLoadError
from kurento.objects.media_uri import (
    Address,
    UriPolicy,
    checked_addresses,
    file_path,
    scheme_of,
)
from kurento.protocol.errors import UriPathFileNotFound

if TYPE_CHECKING:
    from kurento.server.settings import Settings

DEFAULT_FETCH_TIMEOUT = 10.0
DEFAULT_FETCH_MAX_BYTES = 16 * 1024 * 1024
_HTTP_PORTS = {"http": 80, "https": 443}
_CHUNK = 64 * 1024


@contextlib.asynccontextmanager
async def overlay_image_file(uri: str, settings: Settings) -> AsyncIterator[str]:
    """Yields a local file path holding the image at ``uri`` (file:// confined as today;
    http(s):// downloaded to a private temp file, removed on exit). Raises the Kurento
    error (kurento.protocol.errors) a client should get.

    An :class:`ImageLoadError` raised by the engine inside the block (the file is
    not an image) becomes that error too, naming ``uri`` rather than the temp file.
    """
    policy = UriPolicy.from_settings(settings.media_roots, settings.internal_networks)
    scheme = scheme_of(uri)
    if scheme == "file":
        path = str(file_path(uri, policy, for_writing=False))
        with _as_uri_error(uri, path):
            yield path
        return
    if scheme not in _HTTP_PORTS:
        raise UriPathFileNotFound(f"Unsupported URI scheme '{scheme}' for an image: '{uri}'")
    limits = _FetchLimits.from_settings(settings)
    body = await _download(uri, policy, limits, verify_tls=settings.image_tls_verify)
    # Created here, not in the thread, so that a cancelled call still removes it.
    descriptor, path = tempfile.mkstemp(prefix="kurento-overlay-")  # mode 0600: ours alone
    try:
        await asyncio.to_thread(_write_and_close, descriptor, body)
        with _as_uri_error(uri, path):
            yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


@contextlib.contextmanager
def _as_uri_error(uri: str, path: str) -> Iterator[None]:
    try:
        yield
    except ImageLoadError as error:
        raise UriPathFileNotFound(str(error).replace(path, uri)) from None


@dataclass(frozen=True)
class _FetchLimits:
    timeout: float
    max_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> _FetchLimits:
        extra = settings.extra
        return cls(float(extra.get("image_fetch_timeout", DEFAULT_FETCH_TIMEOUT)),
                   int(extra.get("image_fetch_max_bytes", DEFAULT_FETCH_MAX_BYTES)))


async def _download(uri: str, policy: UriPolicy, limits: _FetchLimits, *,
                    verify_tls: bool) -> bytes:
    try:
        async with asyncio.timeout(limits.timeout):
            host, addresses = await checked_addresses(uri, policy)
            connector = aiohttp.TCPConnector(resolver=_PinnedResolver(host, addresses),
                                             use_dns_cache=False)
            # trust_env=False: no proxy from the environment, the checked address is the peer.
            async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
                return await _get(session, uri, limits.max_bytes, verify_tls=verify_tls)
    except TimeoutError:
        raise UriPathFileNotFound(
            f"Image '{uri}' was not downloaded within {limits.timeout:g} s") from None
    except aiohttp.ClientConnectorCertificateError as error:
        raise UriPathFileNotFound(
            f"TLS certificate of '{uri}' is not trusted (server setting image_tls_verify "
            f"is on): {error.certificate_error}") from None
    except aiohttp.ClientConnectorError as error:
        raise UriPathFileNotFound(
            f"Cannot connect to fetch image '{uri}': {error.os_error.strerror or error}"
        ) from None
    except aiohttp.ClientError as error:
        raise UriPathFileNotFound(f"Fetching image '{uri}' failed: {error}") from None


async def _get(session: aiohttp.ClientSession, uri: str, max_bytes: int, *,
               verify_tls: bool) -> bytes:
    async with session.get(uri, allow_redirects=False, ssl=verify_tls) as response:
        if 300 <= response.status < 400:
            target = response.headers.get("Location", "?")
            raise UriPathFileNotFound(
                f"Image '{uri}' redirects (HTTP {response.status}) to '{target}'; "
                "redirects are not followed")
        if response.status != 200:
            raise UriPathFileNotFound(
                f"Image '{uri}' not fetched: HTTP {response.status} {response.reason or ''}"
                .rstrip())
        too_big = f"Image '{uri}' is larger than the {max_bytes} bytes allowed"
        if response.content_length is not None and response.content_length > max_bytes:
            raise UriPathFileNotFound(f"{too_big} ({response.content_length} bytes)")
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise UriPathFileNotFound(too_big)
        return bytes(body)


class _PinnedResolver(AbstractResolver):
    """Answers for the one checked host with the addresses already checked, never asks DNS."""

    def __init__(self, host: str, addresses: list[Address]) -> None:
        self._host = host
        self._addresses = addresses

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host != self._host:
            raise OSError(f"'{host}' was not checked against the server's URI rules")
        return [
            ResolveResult(hostname=host, host=str(address), port=port,
                          family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                          proto=0, flags=socket.AI_NUMERICHOST)
            for address in self._addresses
        ]

    async def close(self) -> None:
        pass


def _write_and_close(descriptor: int, data: bytes) -> None:
    """Worker thread: the downloaded image into the file opened for it."""
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
