"""The browser-only hello world: the page itself talks the Kurento Protocol to the
media server with the official ``kurento-client`` 7.3.0 for JavaScript (browserified,
``/vendor/kurento-client.js``), and kurento-utils' WebRtcPeer is its browser side.

The TURN test runs Debian's coturn ``turnserver`` inside the test namespace, on
127.0.0.1 only (its own config file; relays only to 127.0.0.1), gives it to the page
as its only ICE server with ``iceTransportPolicy: 'relay'`` and to the server's
``WebRtcEndpoint`` as ``turnUrl``, and checks with getStats that the browser's
selected candidate pair runs through a relay candidate (and that the endpoint then
offers a relay candidate of its own). The ``browser-only`` case leaves the endpoint
without ``turnUrl``: the browser relays, the server answers from its host candidate.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, DemoStack, Pages, assert_receiving
from tests.browser.netns import Netns, NetnsProcess, start_in_netns

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

TURN_PORT = 3478
TURN_USER, TURN_PASSWORD = "kurento", "turn-secret"
TURN_URL = f"{TURN_USER}:{TURN_PASSWORD}@127.0.0.1:{TURN_PORT}"

# The browser's selected ICE candidate pair, from its RTCPeerConnection's stats.
SELECTED_PAIR = """async () => {
  const stats = await window.demo.peer.peerConnection.getStats();
  const byId = new Map();
  stats.forEach((s) => byId.set(s.id, s));
  let pair = null;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
  });
  if (!pair) stats.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
  });
  if (!pair) return null;
  const local = byId.get(pair.localCandidateId) || {};
  const remote = byId.get(pair.remoteCandidateId) || {};
  return {state: pair.state, bytesReceived: pair.bytesReceived,
          local: {type: local.candidateType, address: local.address, port: local.port,
                  protocol: local.protocol, relayProtocol: local.relayProtocol, url: local.url},
          remote: {type: remote.candidateType, address: remote.address, port: remote.port}};
}"""

# kurento-client's complex type / class registry: present only in the real client.
OFFICIAL_CLIENT = """() => ({
  client: typeof kurentoClient,
  iceCandidate: typeof kurentoClient.getComplexType('IceCandidate'),
  webRtcEndpoint: typeof kurentoClient.register.classes.WebRtcEndpoint,
})"""


def run_loopback(page: Any, pages: Pages, webrtc: DemoStack, *, ice_servers: int = 0
                 ) -> dict[str, Any]:
    """Starts the page's session, checks the video plays, stops; returns the selected pair."""
    page.click("#start")
    assert_receiving(page, "videoOutput", pages, ice_servers=ice_servers)
    assert page.evaluate("window.demo.state") == "started"
    pair: dict[str, Any] = page.evaluate(SELECTED_PAIR)
    pair["endpointCandidateTypes"] = sorted(set(page.evaluate(
        "window.demo.endpointCandidates.map((c) => c.split(' ')[7])")))
    assert page.evaluate("window.demo.errors") == [], pages.diagnostics()
    page.click("#stop")
    page.wait_for_function("window.demo.state === 'idle' && window.demo.peer === null",
                           polling=100)
    assert page.evaluate("window.demo.errors") == [], pages.diagnostics()
    webrtc.assert_released()
    return pair


def test_page_drives_the_media_server_with_the_official_client(
        webrtc: DemoStack, pages: Pages) -> None:
    page = pages.open("/hello_world_js/")
    assert page.evaluate(OFFICIAL_CLIENT) == {
        "client": "function", "iceCandidate": "function", "webRtcEndpoint": "function"}
    assert page.text_content("#wsUri") == "ws://127.0.0.1:8888/kurento"
    pair = run_loopback(page, pages, webrtc)
    assert pair is not None and pair["local"]["type"] == "host", pair

    # Again on the same page: a fresh client, pipeline and endpoint.
    run_loopback(page, pages, webrtc)


TURN_CONFIG = """\
# coturn for one test run: loopback only, no TLS, one static long-term user.
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port={port}
min-port=49200
max-port=49300
allow-loopback-peers
no-multicast-peers
no-tls
no-dtls
no-cli
no-tcp-relay
fingerprint
lt-cred-mech
realm=kurento-py.test
user={user}:{password}
userdb={dir}/turndb
pidfile={dir}/turnserver.pid
no-software-attribute
log-file=stdout
simple-log
verbose
"""


@pytest.fixture(scope="module")
def turn_server(netns: Netns, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[NetnsProcess]:
    """coturn's ``turnserver`` on 127.0.0.1:3478 inside the test namespace."""
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.fail("turnserver is missing: run scripts/setup.sh --test (Debian coturn)")
    folder: Path = tmp_path_factory.mktemp("turn")
    config = folder / "turnserver.conf"
    config.write_text(TURN_CONFIG.format(port=TURN_PORT, user=TURN_USER, password=TURN_PASSWORD,
                                         dir=folder))
    server = start_in_netns(netns, "turnserver", [binary, "-c", str(config)], folder,
                            port=TURN_PORT, cwd=ROOT)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("endpoint_turn", [True, False], ids=["endpoint-turn", "browser-only"])
def test_relay_only_browser_through_coturn(webrtc: DemoStack, pages: Pages,
                                          turn_server: NetnsProcess, endpoint_turn: bool) -> None:
    query = f"?turn={TURN_URL}" + ("" if endpoint_turn else "&endpointTurn=0")
    page = pages.open("/hello_world_js/" + query)
    pair = run_loopback(page, pages, webrtc, ice_servers=1)
    assert pair is not None, pages.diagnostics()
    assert pair["local"]["type"] == "relay", f"{pair}\n{turn_server.log_tail()}"
    assert pair["local"]["address"] == "127.0.0.1", pair
    assert pair["remote"]["address"] == "127.0.0.1", pair
    # With turnUrl the endpoint allocates on the TURN server too and offers that
    # relay candidate besides its host one; without, it has host candidates only.
    relay_expected = ["host", "relay"] if endpoint_turn else ["host"]
    assert pair["endpointCandidateTypes"] == relay_expected, pair
    print(f"selected pair ({'endpoint with' if endpoint_turn else 'endpoint without'} "
          f"turnUrl): {pair}")
