"""Which URIs a player or recorder may use (issue: paths confined to media roots).

A client of the control API must not be able to make the server read or write
anywhere on its disk, nor reach hosts on its own network. So:

* ``file://`` paths must lie inside one of the configured media roots after
  every symlink and ``..`` is resolved (a link pointing out of a root is
  refused, wherever it sits);
* ``http://``, ``https://`` and ``rtsp://`` hosts are resolved, and loopback,
  private, link-local and other non-global addresses are refused unless they
  fall in a configured ``internal_networks`` range;
* any other scheme is refused.

Every refusal is Kurento's URI error (40600 URI_PATH_FILE_NOT_FOUND) with a
message saying why. Name resolution may block, so :func:`check_network_uri` is
a coroutine that resolves through the loop's executor.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kurento.protocol.errors import UriPathFileNotFound

FILE_SCHEMES = ("file",)
NETWORK_SCHEMES = ("http", "https", "rtsp", "rtsps")
_DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class UriPolicy:
    """The server's confinement rules (from ``Settings.media_roots`` / ``internal_networks``)."""

    media_roots: tuple[Path, ...]
    internal_networks: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, media_roots: str, internal_networks: str) -> UriPolicy:
        roots = tuple(Path(r).resolve() for r in media_roots.split(os.pathsep) if r.strip())
        networks = tuple(
            ipaddress.ip_network(n.strip(), strict=False)
            for n in internal_networks.split(",")
            if n.strip()
        )
        return cls(roots, networks)


def scheme_of(uri: str) -> str:
    return urllib.parse.urlsplit(uri).scheme.lower()


def file_path(uri: str, policy: UriPolicy, *, for_writing: bool) -> Path:
    """The confined local path of a ``file://`` URI, or 40600.

    For reading, the file must exist. For writing, its directory must exist (the
    file itself is created or replaced by the recorder).
    """
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme.lower() != "file":
        raise UriPathFileNotFound(f"Not a file URI: '{uri}'")
    if parts.netloc not in ("", "localhost"):
        raise UriPathFileNotFound(f"File URI with a remote host: '{uri}'")
    raw = urllib.parse.unquote(parts.path)
    if not raw.startswith("/") or "\x00" in raw:
        raise UriPathFileNotFound(f"File URI without an absolute path: '{uri}'")
    if ".." in Path(raw).parts:
        raise UriPathFileNotFound(f"Path traversal refused: '{uri}'")
    path = Path(raw)
    # resolve(strict=False) follows every symlink that exists, including a final
    # link to a not-yet-written file: what the recorder would really open.
    resolved = path.resolve()
    if not _inside(resolved, policy.media_roots):
        roots = os.pathsep.join(str(r) for r in policy.media_roots) or "(none)"
        raise UriPathFileNotFound(f"Path '{raw}' is outside the media roots ({roots})")
    if for_writing:
        if not resolved.parent.is_dir():
            raise UriPathFileNotFound(f"Directory of '{raw}' does not exist")
        if resolved.is_dir():
            raise UriPathFileNotFound(f"'{raw}' is a directory")
    elif not resolved.is_file():
        raise UriPathFileNotFound(f"File '{raw}' not found")
    return resolved


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


async def check_network_uri(uri: str, policy: UriPolicy) -> None:
    """Refuse (40600) a network URI whose host is not a public address or allowed range."""
    await checked_addresses(uri, policy)


async def checked_addresses(uri: str, policy: UriPolicy) -> tuple[str, list[Address]]:
    """The host of a network ``uri`` and its addresses, every one allowed by ``policy``.

    Refuses (40600) an unsupported scheme, a missing host or port, a name that does
    not resolve, and any address that is neither public nor in ``internal_networks``.
    A caller that connects should use exactly these addresses (DNS may answer
    differently the second time).
    """
    parts = urllib.parse.urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in NETWORK_SCHEMES:
        raise UriPathFileNotFound(f"Unsupported URI scheme '{scheme}' in '{uri}'")
    host = parts.hostname
    if not host:
        raise UriPathFileNotFound(f"URI without a host: '{uri}'")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise UriPathFileNotFound(f"Bad port in '{uri}'") from None
    addresses = await _resolve(host, port)
    if not addresses:
        raise UriPathFileNotFound(f"Cannot resolve host '{host}'")
    for address in addresses:
        if not _allowed(address, policy.internal_networks):
            raise UriPathFileNotFound(
                f"Host '{host}' resolves to internal address {address}, "
                "which the server's internal_networks setting does not allow"
            )
    return host, addresses


async def check_uri(uri: str, policy: UriPolicy, *, for_writing: bool,
                    network: bool = True) -> None:
    """Check any URI a player (``for_writing=False``) or recorder may be given."""
    scheme = scheme_of(uri)
    if scheme in FILE_SCHEMES:
        file_path(uri, policy, for_writing=for_writing)
    elif network and scheme in NETWORK_SCHEMES:
        await check_network_uri(uri, policy)
    else:
        raise UriPathFileNotFound(f"Unsupported URI scheme '{scheme}' in '{uri}'")


async def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _allowed(address: Address,
             networks: Sequence[Network]) -> bool:
    if any(address in network for network in networks):
        return True
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return _allowed(mapped, networks)
    return address.is_global
