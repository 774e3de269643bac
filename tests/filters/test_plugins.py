"""Filter plug-ins: classes from a setting or an entry point become remote classes.

The plug-ins are real modules written to a temporary directory put on
``sys.path``; entry points come from a ``*.dist-info`` directory there (what
``pip install`` would leave), read by ``importlib.metadata``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from kurento.api.registry import default_registry
from kurento.client import KurentoClient, MediaPipeline, WebRtcEndpoint
from kurento.client import generated as g
from kurento.client.values import FieldSpec, TypeTable
from kurento.filters.plugins import ENTRY_POINT_GROUP, FilterPluginError, load_filter_plugins
from kurento.objects.filter import PythonAudioFilter, python_filter_types
from kurento.server.app import MediaServer
from kurento.server.settings import Settings, load_settings

from ..webrtc.peer import Peer, negotiate_as_answerer

RED_PLUGIN = """
    import numpy as np
    from kurento.filters import FilterEvent, VideoFilter


    class Red(VideoFilter):
        \"\"\"Paints every frame red.\"\"\"

        name = "RedFilter"
        events = (FilterEvent("Painted", {"frames": "int"}, "Every tenth frame."),)

        def __init__(self) -> None:
            super().__init__()
            self.frames = 0

        def process(self, frame: np.ndarray, pts: int) -> None:
            frame[...] = (255, 0, 0)
            self.frames += 1
            if self.frames % 10 == 0:
                self.emit("Painted", frames=self.frames)
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """``write(module, source)``: a module importable from a directory on sys.path."""
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    written: list[str] = []

    def write(module: str, source: str) -> None:
        (directory / f"{module}.py").write_text(textwrap.dedent(source))
        written.append(module)

    yield write
    for module in written:
        sys.modules.pop(module, None)


def entry_point(tmp_path: Path, distribution: str, lines: str) -> None:
    """Declare entry points as an installed distribution does (in the ``site`` dir)."""
    info = tmp_path / "site" / f"{distribution}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}\n")


# --- loading and refusing --------------------------------------------------------------


def test_the_setting_names_modules_or_classes(site: Callable[[str, str], None]) -> None:
    site("plug_red", RED_PLUGIN)
    site("plug_two", """
        from kurento.filters import video_filter

        @video_filter("InvertPlugFilter")
        def invert(frame):
            return 255 - frame

        @video_filter("GreyPlugFilter")
        def grey(frame):
            frame[...] = frame.mean(axis=2, keepdims=True)
    """)
    assert [c.name for c in load_filter_plugins("plug_red:Red", entry_points=False)] == [
        "RedFilter"]
    found = load_filter_plugins("plug_two, plug_red", entry_points=False)
    assert [c.name for c in found] == ["InvertPlugFilter", "GreyPlugFilter", "RedFilter"]
    # The same class twice (here: module and module:Class) is one plug-in.
    assert len(load_filter_plugins("plug_red,plug_red:Red", entry_points=False)) == 1


def test_audio_filters_are_plugins_too(site: Callable[[str, str], None]) -> None:
    site("plug_quiet", """
        from kurento.filters.examples import AudioLevel

        class Quiet(AudioLevel):
            \"\"\"The level example at half volume.\"\"\"
            name = "QuietLevelFilter"
            GAIN = 0.5

        FILTERS = (Quiet,)
    """)
    (quiet,) = load_filter_plugins("plug_quiet", entry_points=False)
    registry = default_registry((quiet,))
    assert registry.classes["QuietLevelFilter"].doc.startswith(
        "Extension (not in Kurento), an audio filter written in Python: The level example")
    # The event is the shipped example's, already in the description: shared, not redeclared.
    assert "AudioLevelCrossed" in registry.subscribable_events("QuietLevelFilter")
    remote = python_filter_types((quiet,))["QuietLevelFilter"]
    assert remote.TYPE == "QuietLevelFilter" and issubclass(remote, PythonAudioFilter)


def test_the_setting_comes_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('filter_plugins = "a, b:C"\n')
    assert load_settings(config, environ={}).filter_plugins == "a, b:C"
    assert load_settings(environ={"KURENTO_FILTER_PLUGINS": "x"}).filter_plugins == "x"
    assert Settings().filter_plugins == ""


def test_entry_points_are_discovered(site: Callable[[str, str], None], tmp_path: Path) -> None:
    site("plug_ep_red", RED_PLUGIN)
    entry_point(tmp_path, "red_filters", "red = plug_ep_red:Red")
    found = load_filter_plugins()
    assert [c.name for c in found] == ["RedFilter"]
    assert found[0].__module__ == "plug_ep_red"
    # Named by the setting as well: still one.
    assert load_filter_plugins("plug_ep_red") == found


@pytest.mark.parametrize(("source", "item", "message"), [
    ("", "plug_missing_nowhere", "cannot be loaded: ModuleNotFoundError"),
    ("import not_a_module_anywhere\n", "plug_bad", "No module named 'not_a_module_anywhere'"),
    ("X = 1\n", "plug_bad:X", "1 is not a subclass of kurento.filters.VideoFilter"),
    ("X = 1\n", "plug_bad:Y", "AttributeError"),
    ("X = 1\n", "plug_bad", "defines no VideoFilter or AudioFilter subclass"),
    ("from kurento.filters.examples import Sepia\n", "plug_bad:Sepia",
     "the name 'SepiaFilter' is already a remote class"),
    ("from kurento.filters import video_filter\n"
     "F = video_filter('WebRtcEndpoint')(lambda frame: frame)\n", "plug_bad:F",
     "'WebRtcEndpoint' is already a remote class"),
    ("from kurento.filters import FilterEvent, video_filter\n"
     "F = video_filter('F1', (FilterEvent('Error', {}),))(lambda frame: frame)\n",
     "plug_bad:F", "event 'Error' is already an event of the server"),
    ("from kurento.filters import FilterEvent, video_filter\n"
     "F = video_filter('F5', (FilterEvent('MotionDetected', {'x': 'int'}),))(lambda f: f)\n",
     "plug_bad", "event 'MotionDetected' is already an event of the server, with fields "
     "{'ratio': 'float'}"),
    ("from kurento.filters import FilterEvent, video_filter\n"
     "F = video_filter('F2', (FilterEvent('Seen', {'at': 'datetime'}),))(lambda f: f)\n",
     "plug_bad", "field 'at' has type 'datetime'"),
    ("from kurento.filters import video_filter\n"
     "F = video_filter('F3', ('Seen',))(lambda frame: frame)\n",
     "plug_bad", "events holds 'Seen', not a FilterEvent"),
    ("from kurento.filters import VideoFilter\n"
     "class F(VideoFilter):\n    name = 'F4'\n", "plug_bad", "does not implement process()"),
    ("from kurento.filters import video_filter\n"
     "F = video_filter('no-dash')(lambda frame: frame)\n", "plug_bad", "is not a remote class"),
    ("FILTERS = 'F'\n", "plug_bad", "plug_bad.FILTERS is not a tuple of filter classes"),
    ("from kurento.filters import VideoFilter\n"
     "def make():\n"
     "    class F(VideoFilter):\n"
     "        name, isolation = 'F6', 'process'\n"
     "        def process(self, frame, pts): pass\n"
     "    return F\n"
     "F = make()\n", "plug_bad:F", "process of its own but is not defined at module level"),
])
def test_bad_plugins_are_refused_with_the_reason(
    site: Callable[[str, str], None], source: str, item: str, message: str
) -> None:
    if source:
        site("plug_bad", source)
    with pytest.raises(FilterPluginError, match="filter plug-in filter_plugins item") as caught:
        load_filter_plugins(item, entry_points=False)
    assert message in str(caught.value)


def test_two_plugins_may_not_share_a_name(
    site: Callable[[str, str], None], tmp_path: Path
) -> None:
    site("plug_red", RED_PLUGIN)
    site("plug_red_too", RED_PLUGIN)
    entry_point(tmp_path, "more_red", "red = plug_red_too:Red")
    with pytest.raises(FilterPluginError) as caught:
        load_filter_plugins("plug_red")
    assert "entry point red = 'plug_red_too:Red'" in str(caught.value)
    assert "already taken by filter plug-in filter_plugins item 'plug_red'" in str(caught.value)


@pytest.mark.gst
async def test_a_server_with_a_bad_plugin_refuses_to_start(
    site: Callable[[str, str], None],
) -> None:
    site("plug_broken", "raise RuntimeError('this plug-in is broken')\n")
    server = MediaServer(Settings(port=0, filter_plugins="plug_broken"))
    with pytest.raises(FilterPluginError,
                       match=r"plug_broken.*RuntimeError: this plug-in is broken"):
        await server.start()
    assert server.core is None and server.transport is None  # nothing half-started
    await server.stop()


# --- a plug-in in a running server ------------------------------------------------------


class RedFilter(g.Filter):
    """What a client needs to know of the plug-in (the generated client has no such class)."""

    WIRE_TYPE: ClassVar[str] = "RedFilter"
    EVENTS: ClassVar[frozenset[str]] = g.Filter.EVENTS | {"Painted"}
    CONSTRUCTOR: ClassVar[tuple[tuple[str, str, Any], ...] | None] = g.SepiaFilter.CONSTRUCTOR


@dataclass(frozen=True, kw_only=True)
class Painted(g.Media):
    EVENT_TYPE: ClassVar[str] = "Painted"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = (*g.Media.FIELDS, FieldSpec("frames", "frames",
                                                                          "int"))
    frames: int


class FramePeer(Peer):
    """A peer that keeps the last video frame it receives, as RGB."""

    last: np.ndarray | None = None

    async def _consume(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.received[track.kind] += 1
            if track.kind == "video":
                self.last = frame.to_ndarray(format="rgb24")


@pytest.fixture
async def plugin_server(
    site: Callable[[str, str], None], _loopback_only: None
) -> AsyncIterator[MediaServer]:
    site("plug_server_red", RED_PLUGIN)
    server = MediaServer(Settings(port=0, filter_plugins="plug_server_red"))
    await server.start()
    yield server
    await server.stop()


@pytest.mark.gst
async def test_a_client_creates_a_plugin_by_name_and_it_filters(
    plugin_server: MediaServer, peers: list[Peer]
) -> None:
    """Peer → WebRtcEndpoint → RedFilter (a plug-in) → same endpoint → peer: red video."""
    async with KurentoClient.connect(plugin_server.url) as client:
        manager = await client.get_server_manager()
        info = await manager.get_info()
        kurentopy = next(m for m in info.modules if m.name == "kurentopy")
        assert "RedFilter" in kurentopy.factories and "SepiaFilter" in kurentopy.factories
        kmd = json.loads(await manager.get_kmd("kurentopy"))
        assert "RedFilter" in {c["name"] for c in kmd["remoteClasses"]}
        assert "Painted" in {e["name"] for e in kmd["events"]}

        types = client.types
        client.types = TypeTable(classes={**types.classes, "RedFilter": RedFilter},
                                 structs=types.structs, enums=types.enums,
                                 events={**types.events, "Painted": Painted})
        pipeline = await MediaPipeline.create(client)
        endpoint = await WebRtcEndpoint.create(pipeline)
        red = await client.create("RedFilter", media_pipeline=pipeline)
        assert isinstance(red, RedFilter)
        described = await client._request("describe", {"object": red.id})
        assert described["qualifiedType"] == "kurento.RedFilter"  # as every module
        assert described["hierarchy"][0] == "kurento.Filter"
        painted: list[Painted] = []
        await red.on(Painted, painted.append)
        peer = FramePeer(send_audio=False)
        peers.append(peer)
        await endpoint.connect(red)
        await red.connect(endpoint)
        await negotiate_as_answerer(endpoint, peer)
        assert await peer.wait_frames("video", 20, timeout=10) >= 20
        assert peer.last is not None
        mean = peer.last.reshape(-1, 3).mean(axis=0)
        # The peer sends grey; what comes back is red (VP8 noise allowed).
        assert mean[0] > 200 and mean[1] < 50 and mean[2] < 50, mean
        deadline = time.monotonic() + 5
        while not painted and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert painted and painted[0].frames == 10
        await pipeline.release()


def test_the_builtin_description_is_unchanged_without_plugins() -> None:
    assert "RedFilter" not in default_registry().classes
    assert default_registry() is default_registry(())
