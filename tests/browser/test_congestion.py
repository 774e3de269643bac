"""Congestion: Chromium backs off under our REMB instead of collapsing (issue 3).

Everything runs in this module's own loopback-only namespace (``kpy-congestion-*``,
not the package's ``kpy-browser`` one): the media server, a tiny signalling app (this
module run as ``python -m tests.browser.test_congestion``: a page with a plain
``RTCPeerConnection`` that sends its fake camera to a ``WebRtcEndpoint`` connected to
itself, driven with :mod:`kurento.client`) and headless Chromium. The path is
limited with ``tc ... tbf`` on the namespace's ``lo`` (never the host's): every
packet of the echo crosses ``lo`` twice (page → server, server → page), so a
``tbf`` rate of R carries at most about R/2 of video each way.

What a user would see, and what the tests assert:

* the endpoint's ``maxVideoRecvBandwidth`` caps what Chromium sends (the ``b=AS`` of
  the answer, and our REMB), and lowering it during the call makes Chromium follow
  at once (only REMB can do that: the SDP is not renegotiated);
* on a path too narrow for what Chromium sends, Chromium lowers its send rate under
  the path's rate and the returned video keeps playing.

``bench/congestion.py`` uses the same lab for N sessions in one Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.netns import Netns, NetnsProcess, loopback_netns, start_in_netns

if TYPE_CHECKING:
    from aiohttp import web
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
NETNS_PREFIX = "kpy-congestion"
MEDIA_PORT = 8888  # fixed ports are safe: the namespace is ours alone
APP_PORT = 8443
APP_URL = f"http://127.0.0.1:{APP_PORT}/"
MEDIA_URL = f"ws://127.0.0.1:{MEDIA_PORT}/kurento"
CHROMIUM_ARGS = [  # as tests/browser/conftest.py
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    # Several pages of one benchmark must not be throttled as background tabs.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]

# -- the page ------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>congestion</title></head>
<body>
<video id="remote" autoplay muted playsinline width="320" height="240"></video>
<script>
const lab = window.lab = {state: 'idle', errors: [], pc: null, ws: null, waiting: []};

function request(message) {  // the app answers each request in order
  return new Promise((resolve, reject) => {
    lab.waiting.push({resolve, reject});
    lab.ws.send(JSON.stringify(message));
  });
}

lab.start = async (maxKbps) => {
  lab.state = 'starting';
  lab.ws = new WebSocket(`ws://${location.host}/ws`);
  await new Promise((resolve, reject) => { lab.ws.onopen = resolve; lab.ws.onerror = reject; });
  lab.ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id === 'iceCandidate') {
      lab.pc.addIceCandidate(message.candidate).catch((e) => lab.errors.push(String(e)));
      return;
    }
    const waiting = lab.waiting.shift();
    if (message.id === 'error') {
      lab.errors.push(message.message);
      if (waiting) waiting.reject(new Error(message.message));
    } else if (waiting) {
      waiting.resolve(message);
    }
  };
  const stream = await navigator.mediaDevices.getUserMedia(
    {video: {width: 640, height: 480, frameRate: 20}, audio: false});
  const pc = lab.pc = new RTCPeerConnection({iceServers: []});
  stream.getTracks().forEach((track) => pc.addTrack(track, stream));
  pc.ontrack = (event) => {
    document.getElementById('remote').srcObject = new MediaStream([event.track]);
  };
  pc.onicecandidate = (event) => {
    if (event.candidate) {
      lab.ws.send(JSON.stringify({id: 'onIceCandidate', candidate: event.candidate.toJSON()}));
    }
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const reply = await request({id: 'start', sdpOffer: offer.sdp, maxKbps});
  await pc.setRemoteDescription({type: 'answer', sdp: reply.sdpAnswer});
  lab.answer = reply.sdpAnswer;
  lab.state = 'started';
};

lab.setMax = (kbps) => request({id: 'setMax', kbps});
lab.serverStats = async () => (await request({id: 'stats'})).stats;

lab.sample = async () => {
  const video = document.getElementById('remote');
  const out = {t: performance.now(), bytesSent: 0, framesEncoded: 0, bytesReceived: 0,
               framesDecoded: 0, packetsLost: 0, available: null, limitation: null,
               sendWidth: 0, width: video.videoWidth, clock: video.currentTime,
               ice: lab.pc ? lab.pc.iceConnectionState : null};
  if (!lab.pc) return out;
  (await lab.pc.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.bytesSent += (s.bytesSent || 0) + (s.headerBytesSent || 0);
      out.framesEncoded += s.framesEncoded || 0;
      out.limitation = s.qualityLimitationReason;
      out.sendWidth = s.frameWidth || 0;
    } else if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.bytesReceived += (s.bytesReceived || 0) + (s.headerBytesReceived || 0);
      out.framesDecoded += s.framesDecoded || 0;
      out.packetsLost += s.packetsLost || 0;
    } else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
      out.available = s.availableOutgoingBitrate === undefined ? null
        : s.availableOutgoingBitrate;
    }
  });
  return out;
};

lab.stop = () => {
  if (lab.pc) lab.pc.close();
  if (lab.ws) lab.ws.close();
  lab.pc = null;
  lab.state = 'idle';
};
</script>
</body></html>
"""

# -- the signalling app (runs inside the namespace) ----------------------------------------


def create_app(media_url: str) -> web.Application:
    """The page at ``/``; its WebSocket at ``/ws``: one pipeline with one endpoint
    connected to itself per socket, released when the socket closes."""
    from aiohttp import WSMsgType, web

    from kurento.client import (
        IceCandidate,
        IceCandidateFound,
        KurentoClient,
        MediaPipeline,
        RTCInboundRTPStreamStats,
        WebRtcEndpoint,
    )

    clients: list[KurentoClient] = []
    lock = asyncio.Lock()

    async def client() -> KurentoClient:
        async with lock:
            if not clients:
                clients.append(await KurentoClient.connect(media_url))
            return clients[0]

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        pipeline: MediaPipeline | None = None
        endpoint: WebRtcEndpoint | None = None

        async def send(message_id: str, **fields: Any) -> None:
            if not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_json({"id": message_id, **fields})

        async def found(event: IceCandidateFound) -> None:
            candidate = event.candidate
            await send("iceCandidate", candidate={
                "candidate": candidate.candidate, "sdpMid": candidate.sdp_mid,
                "sdpMLineIndex": candidate.sdp_m_line_index})

        async def handle(message: dict[str, Any]) -> None:
            nonlocal pipeline, endpoint
            if message["id"] == "start":
                pipeline = await MediaPipeline.create(await client())
                endpoint = await WebRtcEndpoint.create(pipeline)
                if int(message.get("maxKbps") or 0) > 0:
                    await endpoint.set_max_video_recv_bandwidth(int(message["maxKbps"]))
                await endpoint.on(IceCandidateFound, found)
                await endpoint.connect(endpoint)
                answer = await endpoint.process_offer(message["sdpOffer"])
                await send("answer", sdpAnswer=answer)
                await endpoint.gather_candidates()
            elif endpoint is None:
                raise RuntimeError(f"{message['id']} before start")
            elif message["id"] == "onIceCandidate":
                data = message["candidate"]
                await endpoint.add_ice_candidate(IceCandidate(
                    candidate=data["candidate"], sdp_mid=str(data.get("sdpMid") or ""),
                    sdp_m_line_index=int(data.get("sdpMLineIndex") or 0)))
            elif message["id"] == "setMax":
                await endpoint.set_max_video_recv_bandwidth(int(message["kbps"]))
                await send("ok")
            elif message["id"] == "stats":
                stats = await endpoint.get_stats("VIDEO")  # type: ignore[arg-type]
                inbound = [s for s in stats.values() if isinstance(s, RTCInboundRTPStreamStats)]
                await send("stats", stats=[{
                    "remb": s.remb, "packetsLost": s.packets_lost,
                    "fractionLost": s.fraction_lost, "packetsReceived": s.packets_received,
                    "bytesReceived": s.bytes_received} for s in inbound])

        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                message = json.loads(msg.data)
                try:
                    await handle(message)
                except Exception as exc:
                    logging.warning("%s: %s", message.get("id"), exc)
                    await send("error", message=f"{type(exc).__name__}: {exc}")
        finally:
            if pipeline is not None:
                with contextlib.suppress(Exception):
                    await pipeline.release()
        return ws

    async def close_client(app: web.Application) -> None:
        for kurento in clients:
            await kurento.close()

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/ws", socket)
    app.on_cleanup.append(close_client)
    return app


def main() -> None:
    from aiohttp import web

    parser = argparse.ArgumentParser(description="the congestion lab's signalling app")
    parser.add_argument("--port", type=int, default=APP_PORT)
    parser.add_argument("--media-server", default=MEDIA_URL)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(args.media_server), host="127.0.0.1", port=args.port,
                print=None)


# -- the lab (test process) ----------------------------------------------------------------


@dataclass
class Sample:
    """What one page's ``lab.sample()`` read (cumulative counters)."""

    t: float  # ms
    bytes_sent: int
    frames_encoded: int
    bytes_received: int
    frames_decoded: int
    packets_lost: int
    available: float | None  # candidate-pair availableOutgoingBitrate, bps
    limitation: str | None
    send_width: int
    width: int
    clock: float
    ice: str | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Sample:
        return cls(data["t"], data["bytesSent"], data["framesEncoded"], data["bytesReceived"],
                   data["framesDecoded"], data["packetsLost"], data["available"],
                   data["limitation"], data["sendWidth"], data["width"], data["clock"],
                   data["ice"])


@dataclass
class Rates:
    """Between two samples: kbps sent and received (RTP, headers included), fps."""

    seconds: float
    sent_kbps: float
    received_kbps: float
    encoded_fps: float
    decoded_fps: float
    lost: int
    available_kbps: float | None
    limitation: str | None

    @classmethod
    def between(cls, a: Sample, b: Sample) -> Rates:
        seconds = max((b.t - a.t) / 1000, 1e-3)
        return cls(seconds, (b.bytes_sent - a.bytes_sent) * 8 / seconds / 1000,
                   (b.bytes_received - a.bytes_received) * 8 / seconds / 1000,
                   (b.frames_encoded - a.frames_encoded) / seconds,
                   (b.frames_decoded - a.frames_decoded) / seconds,
                   b.packets_lost - a.packets_lost,
                   None if b.available is None else b.available / 1000, b.limitation)

    def __str__(self) -> str:
        available = "-" if self.available_kbps is None else f"{self.available_kbps:.0f}"
        return (f"sent {self.sent_kbps:.0f} kbps, received {self.received_kbps:.0f} kbps, "
                f"encoded {self.encoded_fps:.1f} fps, decoded {self.decoded_fps:.1f} fps, "
                f"lost {self.lost}, available {available} kbps, limited by {self.limitation}")


@dataclass
class Session:
    """One page sending its camera to a WebRtcEndpoint connected to itself."""

    page: Page
    context: BrowserContext
    console: list[str] = field(default_factory=list)

    def start(self, max_kbps: int = 0) -> None:
        self.page.evaluate("(kbps) => lab.start(kbps)", max_kbps)

    def wait_playing(self, timeout_s: float = 20.0) -> None:
        try:
            self.page.wait_for_function(
                "document.getElementById('remote').videoWidth > 0", timeout=timeout_s * 1000)
        except Exception as exc:
            raise AssertionError(f"no video back: {self.sample()}\n{self.diagnostics()}") \
                from exc

    def sample(self) -> Sample:
        return Sample.of(self.page.evaluate("lab.sample()"))

    def server_stats(self) -> list[dict[str, Any]]:
        stats: list[dict[str, Any]] = self.page.evaluate("lab.serverStats()")
        return stats

    def remb_kbps(self) -> float | None:
        values = [s["remb"] for s in self.server_stats() if s.get("remb")]
        return min(values) / 1000 if values else None

    def set_max(self, kbps: int) -> None:
        self.page.evaluate("(kbps) => lab.setMax(kbps)", kbps)

    def answer(self) -> str:
        answer: str = self.page.evaluate("lab.answer")
        return answer

    def diagnostics(self) -> str:
        errors = self.page.evaluate("lab.errors")
        return f"page errors: {errors}\nconsole:\n" + "\n".join(self.console[-30:])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.page.evaluate("lab.stop()")
        with contextlib.suppress(Exception):
            self.context.close()


class Lab:
    """The namespace, the media server, the app and Chromium (a context manager)."""

    def __init__(self, log_dir: Path, *, server_log_level: str = "WARNING") -> None:
        self.log_dir = log_dir
        self.server_log_level = server_log_level
        self._stack = contextlib.ExitStack()
        self.netns: Netns
        self.server: NetnsProcess
        self.app: NetnsProcess
        self.browser: Browser
        self.shaped: str | None = None

    def __enter__(self) -> Lab:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def _start(self) -> None:
        if not CHROMIUM.exists():
            raise RuntimeError(f"{CHROMIUM} is missing: run scripts/setup.sh --test")
        self.netns = self._stack.enter_context(loopback_netns(NETNS_PREFIX))
        # tbf drops any packet bigger than its bucket: keep lo's TCP segments small.
        self._ns("ip", "link", "set", "lo", "mtu", "1500")
        self.server = start_in_netns(
            self.netns, "media-server",
            [sys.executable, "-m", "kurento.server", "--host", "127.0.0.1",
             "--port", str(MEDIA_PORT), "--path", "kurento", "--log-level", self.server_log_level],
            self.log_dir, port=MEDIA_PORT, cwd=ROOT)
        self._stack.callback(self.server.stop)
        self.app = start_in_netns(
            self.netns, "congestion-app",
            [sys.executable, "-m", "tests.browser.test_congestion", "--port", str(APP_PORT),
             "--media-server", MEDIA_URL],
            self.log_dir, port=APP_PORT, cwd=ROOT)
        self._stack.callback(self.app.stop)
        from playwright.sync_api import sync_playwright

        wrapper = self.log_dir / "chromium-in-netns"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {self.netns.name} {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        playwright: Playwright = self._stack.enter_context(sync_playwright())
        self.browser = playwright.chromium.launch(
            executable_path=str(wrapper), headless=True, args=CHROMIUM_ARGS, timeout=30_000)
        self._stack.callback(self.browser.close)
        self._stack.callback(self.unshape)

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _ns(self, *argv: str) -> None:
        result = self.netns.run(*argv)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")

    def shape(self, kbit: int, *, burst: str = "16kb", latency: str = "50ms") -> None:
        """Limits the namespace's ``lo`` to ``kbit`` (both directions of the echo)."""
        self._ns("tc", "qdisc", "replace", "dev", "lo", "root", "tbf", "rate", f"{kbit}kbit",
                 "burst", burst, "latency", latency)
        self.shaped = f"tbf {kbit} kbit/s"

    def unshape(self) -> None:
        if self.shaped is not None:
            self.netns.run("tc", "qdisc", "del", "dev", "lo", "root")
            self.shaped = None

    def _qdisc_stat(self, name: str) -> int:
        out = self.netns.run("tc", "-s", "qdisc", "show", "dev", "lo").stdout
        words = out.replace(",", " ").replace("(", " ").replace(")", " ").split()
        return int(words[words.index(name) + 1]) if name in words else 0

    def drops(self) -> int:
        """Packets the shaper dropped so far."""
        return self._qdisc_stat("dropped")

    def overlimits(self) -> int:
        """Packets the shaper held back (over its rate) so far."""
        return self._qdisc_stat("overlimits")

    def session(self, max_kbps: int = 0, *, start: bool = True) -> Session:
        context = self.browser.new_context()
        context.set_default_timeout(20_000)
        page = context.new_page()
        session = Session(page, context)
        page.on("console", lambda msg: session.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: session.console.append(f"pageerror: {exc}"))
        page.goto(APP_URL, wait_until="load", timeout=15_000)
        if start:
            session.start(max_kbps)
        return session

    def logs(self) -> str:
        return self.server.log_tail() + "\n" + self.app.log_tail()


def watch(session: Session, seconds: float, step: float = 1.0) -> list[Rates]:
    """Per-``step`` rates over ``seconds``."""
    rates = []
    last = session.sample()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        session.page.wait_for_timeout(step * 1000)
        now = session.sample()
        rates.append(Rates.between(last, now))
        last = now
    return rates


def total(session: Session, seconds: float) -> Rates:
    first = session.sample()
    session.page.wait_for_timeout(seconds * 1000)
    return Rates.between(first, session.sample())


# -- the tests ----------------------------------------------------------------------------

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(150)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with Lab(tmp_path_factory.mktemp("congestion")) as opened:
        yield opened


def wait_sending(session: Session, kbps: float, timeout_s: float) -> Rates:
    """Waits until Chromium sends at least ``kbps`` over one second."""
    deadline = time.monotonic() + timeout_s
    last = Rates.between(session.sample(), session.sample())
    while time.monotonic() < deadline:
        [last] = watch(session, 1.0)
        if last.sent_kbps >= kbps:
            return last
    raise AssertionError(f"Chromium never sent {kbps} kbps: {last}")


def test_max_video_recv_bandwidth_caps_what_chromium_sends(lab: Lab) -> None:
    session = lab.session(max_kbps=300)
    try:
        session.wait_playing()
        answer = session.answer()
        assert "b=AS:300" in answer and "goog-remb" in answer
        # Uncapped, Chromium's fake camera settles near 500 kbps (bench/congestion.py);
        # here it climbs to the ceiling and stays there.
        wait_sending(session, 200, timeout_s=8)
        session.page.wait_for_timeout(2000)
        capped = watch(session, 4.0)
        mean = sum(r.sent_kbps for r in capped) / len(capped)
        assert 200 <= mean <= 300 * 1.1, [str(r) for r in capped]
        assert all(r.available_kbps is None or r.available_kbps <= 300 for r in capped)
        assert min(r.decoded_fps for r in capped) >= 15, [str(r) for r in capped]
        # What our REMB says (getStats): the ceiling, or a little under it while the
        # jitter of a resolution change reads as a queue (see the lowered case below).
        remb = session.remb_kbps()
        assert remb is not None and 200 <= remb <= 300, remb

        # Lowered during the call: no renegotiation, so only REMB can tell Chromium.
        session.set_max(150)
        session.page.wait_for_timeout(4000)
        lowered = watch(session, 4.0)
        mean = sum(r.sent_kbps for r in lowered) / len(lowered)
        assert mean <= 150 * 1.15, [str(r) for r in lowered]
        assert all(r.available_kbps is None or r.available_kbps <= 150 for r in lowered)
        # Chromium lowers its resolution and frame rate to fit; what it encodes plays.
        decoded = sum(r.decoded_fps for r in lowered)
        assert min(r.decoded_fps for r in lowered) > 0, [str(r) for r in lowered]
        assert decoded / len(lowered) >= 5, [str(r) for r in lowered]
        # At most the new ceiling. Not exactly it: when Chromium drops its resolution
        # the frames arrive in bursts, the jitter says "queue" and the estimate may
        # go under the ceiling for a while (webrtc_remb, JITTER_OVERUSE); the CI run
        # of stop 10 saw 102 kbps there.
        lowered_remb = session.remb_kbps()
        assert lowered_remb is not None and 30 <= lowered_remb <= 150, lowered_remb
    finally:
        session.close()


PATH_KBIT = 600  # both directions of the echo: about 280 kbps of video each way


def test_chromium_backs_off_on_a_narrow_path_and_the_video_keeps_playing(lab: Lab) -> None:
    session = lab.session()
    try:
        session.wait_playing()
        before = wait_sending(session, 400, timeout_s=15)  # more than the path will carry
        lab.shape(PATH_KBIT)
        session.page.wait_for_timeout(8000)  # the back-off
        assert lab.overlimits() > 0, "the shaper never held a packet: the path was not narrow"
        after = watch(session, 10.0, step=2.0)
        remb = session.remb_kbps()
        trace = f"before: {before}\n" + "\n".join(map(str, after)) + f"\nREMB {remb} kbps"
        # Chromium backed off under the path's rate (each packet crosses lo twice) ...
        mean_sent = sum(r.sent_kbps for r in after) / len(after)
        assert mean_sent <= PATH_KBIT / 2, trace
        # ... because of our REMB (Chromium's availableOutgoingBitrate), which keeps
        # under the path's rate but to probe it now and then.
        available = [r.available_kbps for r in after if r.available_kbps is not None]
        assert len(available) >= len(after) // 2, trace  # (now and then not reported)
        assert sum(available) / len(available) <= PATH_KBIT / 2, trace
        assert max(available) <= PATH_KBIT / 2 * 1.2, trace
        assert remb is not None and remb <= PATH_KBIT / 2 * 1.2, trace
        # The returned video keeps playing: no 2 s without frames, 10 fps or more overall
        # (20 on a quiet machine; a loaded one jitters, and the estimate backs off more).
        assert min(r.decoded_fps for r in after) >= 3, trace
        assert sum(r.decoded_fps for r in after) / len(after) >= 10, trace
        print(trace, f"\nshaper: {lab.drops()} packets dropped, {lab.overlimits()} held")
    finally:
        lab.unshape()
        session.close()


if __name__ == "__main__":
    main()
