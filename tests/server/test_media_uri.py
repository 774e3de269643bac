"""URI confinement for players and recorders: roots, traversal, symlinks, schemes, hosts."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from kurento.objects.media_uri import UriPolicy, check_uri, file_path
from kurento.protocol.errors import UriPathFileNotFound


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    (media / "clip.webm").write_bytes(b"x")
    return media


def policy(root: Path, networks: str = "") -> UriPolicy:
    return UriPolicy.from_settings(str(root), networks)


def test_file_inside_root_is_accepted(root: Path) -> None:
    assert file_path(f"file://{root}/clip.webm", policy(root), for_writing=False) == (
        root / "clip.webm"
    ).resolve()
    assert file_path(f"file://{root}/new.webm", policy(root), for_writing=True).name == "new.webm"


@pytest.mark.parametrize(
    "suffix",
    ["/../outside.webm", "/%2e%2e/outside.webm", "/sub/../../outside.webm"],
)
def test_traversal_is_refused(root: Path, suffix: str) -> None:
    with pytest.raises(UriPathFileNotFound, match="traversal"):
        file_path(f"file://{root}{suffix}", policy(root), for_writing=True)


def test_symlink_out_of_root_is_refused(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, root / "link.webm")
    os.symlink(tmp_path, root / "dirlink")
    with pytest.raises(UriPathFileNotFound, match="outside the media roots"):
        file_path(f"file://{root}/link.webm", policy(root), for_writing=False)
    with pytest.raises(UriPathFileNotFound, match="outside the media roots"):
        file_path(f"file://{root}/dirlink/new.webm", policy(root), for_writing=True)


def test_paths_outside_roots_and_missing_files(root: Path) -> None:
    with pytest.raises(UriPathFileNotFound, match="outside the media roots"):
        file_path("file:///etc/passwd", policy(root), for_writing=False)
    with pytest.raises(UriPathFileNotFound, match="not found"):
        file_path(f"file://{root}/missing.webm", policy(root), for_writing=False)
    with pytest.raises(UriPathFileNotFound, match="does not exist"):
        file_path(f"file://{root}/nodir/out.webm", policy(root), for_writing=True)
    with pytest.raises(UriPathFileNotFound, match="remote host"):
        file_path(f"file://evil.example{root}/clip.webm", policy(root), for_writing=False)


@pytest.mark.parametrize(
    "uri", ["ftp://example.com/a.webm", "gopher://x/", "data:text/plain,hi", "/tmp/a.webm"]
)
def test_unknown_schemes_are_refused(root: Path, uri: str) -> None:
    with pytest.raises(UriPathFileNotFound, match="scheme"):
        asyncio.run(check_uri(uri, policy(root), for_writing=False))


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:8000/a.webm",
        "rtsp://10.1.2.3/stream",
        "https://[::1]/a.webm",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/a.webm",
        "http://[::ffff:127.0.0.1]/a.webm",
    ],
)
def test_internal_hosts_are_refused_by_default(root: Path, uri: str) -> None:
    with pytest.raises(UriPathFileNotFound, match="internal address"):
        asyncio.run(check_uri(uri, policy(root), for_writing=False))


def test_configured_internal_networks_are_allowed(root: Path) -> None:
    allowed = policy(root, "127.0.0.0/8, ::1/128")
    asyncio.run(check_uri("http://127.0.0.1:8000/a.webm", allowed, for_writing=False))
    asyncio.run(check_uri("rtsp://[::1]:8554/s", allowed, for_writing=False))
    with pytest.raises(UriPathFileNotFound):
        asyncio.run(check_uri("http://10.0.0.1/a.webm", allowed, for_writing=False))


def test_unresolvable_host_is_refused(root: Path) -> None:
    with pytest.raises(UriPathFileNotFound, match="resolve"):
        asyncio.run(check_uri("http://no-such-host.invalid/a", policy(root), for_writing=False))
