"""Fixtures of the browser tests: one loopback-only network namespace for the whole
package, the media server and the demo launcher (``python -m examples``) inside it,
and headless Chromium inside it too, driven by Python ``playwright``.

Chromium is launched through a two-line wrapper that ``exec``s ``ip netns exec NS
/usr/bin/chromium``: playwright talks to the browser over a pipe, not a socket, so
the driver stays outside and the browser (and every packet of its WebRTC) inside.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.netns import (
    Netns,
    NetnsProcess,
    NetnsUnavailable,
    loopback_netns,
    start_in_netns,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
MEDIA_PORT = 8888  # fixed ports are safe: the namespace is ours alone
DEMO_PORT = 8443
DEMO_URL = f"http://127.0.0.1:{DEMO_PORT}"
MEDIA_URL = f"ws://127.0.0.1:{MEDIA_PORT}/kurento"
NO_WEBRTC = "WebRtcEndpoint not available on this server"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]

# Run inside the namespace: creates a WebRtcEndpoint and prints "ok" or the error code.
WEBRTC_PROBE = """
import asyncio, sys
from kurento.client import KurentoClient, KurentoError, MediaPipeline, WebRtcEndpoint
async def main():
    async with KurentoClient.connect(sys.argv[1], reconnect=False) as client:
        pipeline = await MediaPipeline.create(client)
        try:
            await WebRtcEndpoint.create(pipeline)
            print("ok")
        except KurentoError as exc:
            print(exc.code, exc)
        finally:
            await pipeline.release()
asyncio.run(main())
"""

# Run inside the namespace: prints how many pipelines the media server holds.
PIPELINE_COUNT = """
import asyncio, sys
from kurento.client import KurentoClient
async def main():
    async with KurentoClient.connect(sys.argv[1], reconnect=False) as client:
        print(len(await (await client.get_server_manager()).get_pipelines()))
asyncio.run(main())
"""


@dataclass(frozen=True)
class DemoStack:
    netns: Netns
    media_server: NetnsProcess
    launcher: NetnsProcess
    webrtc_probe: str

    def logs(self) -> str:
        return self.media_server.log_tail() + "\n" + self.launcher.log_tail()

    def pipeline_count(self) -> int:
        probe = self.netns.run(sys.executable, "-c", PIPELINE_COUNT, MEDIA_URL, timeout=30)
        assert probe.returncode == 0, probe.stderr
        return int(probe.stdout)

    def assert_released(self, timeout_s: float = 10.0) -> None:
        """The apps released every pipeline they made (release follows the page's stop)."""
        deadline = time.monotonic() + timeout_s
        while (count := self.pipeline_count()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert count == 0, f"{count} pipelines left on the media server\n{self.logs()}"


@pytest.fixture(scope="package")
def netns() -> Iterator[Netns]:
    try:
        with loopback_netns("kpy-browser") as ns:
            yield ns
    except NetnsUnavailable as exc:  # a failure, not a skip: the browser tests must run
        pytest.fail(f"{exc}; run the tests as root (scripts/test.sh)")


@pytest.fixture(scope="package")
def demo_stack(netns: Netns, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """The media server and the demo launcher, both on 127.0.0.1 inside ``netns``."""
    logs = tmp_path_factory.mktemp("browser-logs")
    server = start_in_netns(
        netns, "media-server",
        [sys.executable, "-m", "kurento.server", "--host", "127.0.0.1",
         "--port", str(MEDIA_PORT), "--path", "kurento"],
        logs, port=MEDIA_PORT, cwd=ROOT,
        # as scripts/run.sh: the magic mirror's hat is fetched from the demo launcher
        extra_env={"KURENTO_INTERNAL_NETWORKS": "127.0.0.1/32"})
    try:
        launcher = start_in_netns(
            netns, "demo-launcher",
            [sys.executable, "-m", "examples", "--host", "127.0.0.1", "--port", str(DEMO_PORT),
             "--media-server", MEDIA_URL],
            logs, port=DEMO_PORT, cwd=ROOT)
        try:
            probe = netns.run(sys.executable, "-c", WEBRTC_PROBE, MEDIA_URL, timeout=30)
            result = probe.stdout.strip() or probe.stderr.strip()[-2000:]
            yield DemoStack(netns, server, launcher, result)
        finally:
            launcher.stop()
    finally:
        server.stop()


@pytest.fixture
def webrtc(demo_stack: DemoStack) -> DemoStack:
    """The stack, for tests that need the server's WebRtcEndpoint (skip while it has none)."""
    if demo_stack.webrtc_probe.startswith("40108"):
        pytest.skip(NO_WEBRTC)
    assert demo_stack.webrtc_probe == "ok", (
        f"WebRtcEndpoint probe failed: {demo_stack.webrtc_probe}\n{demo_stack.logs()}")
    return demo_stack


@pytest.fixture(scope="package")
def playwright(netns: Netns) -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test")
    from playwright import sync_api
    with sync_api.sync_playwright() as driver:
        yield driver


def launch_chromium(playwright: Playwright, netns: Netns, folder: Path,
                    extra_args: Sequence[str] = ()) -> Browser:
    """Headless Debian Chromium inside ``netns`` (a fresh profile per launch)."""
    wrapper = folder / "chromium-in-netns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {netns.name} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return playwright.chromium.launch(executable_path=str(wrapper), headless=True,
                                      args=[*CHROMIUM_ARGS, *extra_args], timeout=30_000)


@pytest.fixture(scope="package")
def browser(playwright: Playwright, netns: Netns,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    browser = launch_chromium(playwright, netns, tmp_path_factory.mktemp("chromium"))
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Pages:
    """Pages of one browser context (one test), with what they logged and asked for."""

    context: BrowserContext
    console: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def open(self, path: str, *, init_script: str | None = None) -> Page:
        """``path`` of the demo launcher in a new page; ``init_script`` runs before
        the page's own scripts (e.g. to change what its RTCPeerConnection offers)."""
        page = self.context.new_page()
        if init_script is not None:
            page.add_init_script(init_script)
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))
        page.goto(DEMO_URL + path, wait_until="load", timeout=15_000)
        page.wait_for_function("window.demo === undefined || window.demo.state !== 'idle'",
                               timeout=10_000)
        return page

    def diagnostics(self) -> str:
        return "browser console:\n" + "\n".join(self.console[-40:])


@pytest.fixture
def pages(browser: Browser, demo_stack: DemoStack) -> Iterator[Pages]:
    """A fresh browser context; any request that is not to the demo launcher is
    refused and makes the test fail (the pages must use only local files)."""
    yield from guarded_pages(browser)


def guarded_pages(browser: Browser) -> Iterator[Pages]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    opened = Pages(context)

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(DEMO_URL + "/"):
            route.continue_()
        else:
            opened.foreign_requests.append(url)
            route.abort()

    context.route("**/*", guard)
    try:
        yield opened
    finally:
        context.close()
    assert opened.foreign_requests == [], "pages asked for non-local files"


# Reads what a page receives: the <video>'s size and clock, and the decoded video
# frames of its RTCPeerConnection (kurento-utils' WebRtcPeer.peerConnection).
MEDIA_STATE = """async (videoId) => {
  const v = document.getElementById(videoId);
  const peer = window.demo.peer;
  const pc = peer && peer.peerConnection;
  let framesDecoded = 0;
  if (pc) (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded || 0;
  });
  return {width: v.videoWidth, height: v.videoHeight, time: v.currentTime, framesDecoded,
          ice: pc ? pc.iceConnectionState : null,
          iceServers: pc ? pc.getConfiguration().iceServers.length : null,
          state: window.demo.state, errors: window.demo.errors};
}"""


def assert_receiving(page: Page, video_id: str, pages: Pages, *, timeout_s: float = 20.0,
                     ice_servers: int = 0) -> dict[str, Any]:
    """The page's ``<video id=video_id>`` plays media decoded from its peer connection,
    which has ``ice_servers`` STUN/TURN servers (none, unless a test runs its own)."""
    try:
        page.wait_for_function(f"document.getElementById('{video_id}').videoWidth > 0",
                               timeout=timeout_s * 1000)
    except Exception as exc:
        state = page.evaluate(MEDIA_STATE, video_id)
        raise AssertionError(f"no video in #{video_id}: {state}\n{pages.diagnostics()}") from exc
    first: dict[str, Any] = page.evaluate(MEDIA_STATE, video_id)
    deadline = time.monotonic() + 10.0
    later = first
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        later = page.evaluate(MEDIA_STATE, video_id)
        if later["time"] > first["time"] and later["framesDecoded"] > first["framesDecoded"] > 0:
            break
    assert later["time"] > first["time"], f"video clock stands still: {first} -> {later}"
    assert later["framesDecoded"] > first["framesDecoded"] > 0, f"{first} -> {later}"
    assert later["iceServers"] == ice_servers, "the page must use no other STUN/TURN server"
    return later
