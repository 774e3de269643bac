"""The demo pages in Chromium, for what needs no WebRtcEndpoint: pages, bundle and
the apps' own signalling (registration, rejections)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DEMO_URL, MEDIA_URL, Pages

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

DEMOS = ("hello_world", "hello_world_js", "one_to_one", "one_to_many", "recorder", "player",
         "magic_mirror")


def test_landing_page_lists_the_demos_and_each_loads_kurento_utils(pages: Pages) -> None:
    page = pages.open("/")
    links = page.eval_on_selector_all("#demos a", "links => links.map(a => a.pathname)")
    assert links == [f"/{name}/" for name in DEMOS]
    assert page.text_content("#media-server") == MEDIA_URL
    for name in DEMOS:
        demo = pages.open(f"/{name}/")
        state = demo.evaluate("""() => ({
            sendrecv: typeof kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv,
            recvonly: typeof kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly,
            state: window.demo.state, errors: window.demo.errors})""")
        assert state == {"sendrecv": "function", "recvonly": "function", "state": "ready",
                         "errors": []}, pages.diagnostics()
        assert demo.url == f"{DEMO_URL}/{name}/"


def test_one_to_one_names_are_unique_and_calls_need_a_registered_callee(pages: Pages) -> None:
    alice, other = pages.open("/one_to_one/"), pages.open("/one_to_one/")
    alice.fill("#name", "alice")
    alice.click("#register")
    alice.wait_for_function("window.demo.state === 'registered'", polling=100)

    other.fill("#name", "alice")
    other.click("#register")
    other.wait_for_function("window.demo.errors.length > 0", polling=100)
    assert "already registered" in other.evaluate("window.demo.errors[0]")

    alice.fill("#peer", "nobody")
    alice.click("#call")
    alice.wait_for_function("window.demo.errors.length > 0", polling=100)
    assert "'nobody' is not registered" in alice.evaluate("window.demo.errors[0]")
    alice.wait_for_function("window.demo.state === 'registered' && window.demo.peer === null", polling=100)


def test_one_to_many_viewer_needs_a_presenter(pages: Pages) -> None:
    viewer = pages.open("/one_to_many/")
    viewer.click("#viewer")
    viewer.wait_for_function("window.demo.errors.length > 0", polling=100)
    assert "No active presenter" in viewer.evaluate("window.demo.errors[0]")
    viewer.wait_for_function("window.demo.state === 'ready' && window.demo.peer === null", polling=100)


# Talks to an app's socket directly from a page: each message gets exactly one reply.
RAW_SIGNAL = """async ([path, frames]) => {
  const ws = new WebSocket(`ws://${location.host}${path}`);
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
  const replies = [];
  for (const frame of frames) {
    const reply = new Promise((ok) => { ws.onmessage = (e) => ok(JSON.parse(e.data)); });
    ws.send(frame);
    replies.push(await reply);
  }
  ws.close();
  return replies;
}"""


def test_apps_answer_bad_messages_with_errors(pages: Pages) -> None:
    page = pages.open("/")
    replies = page.evaluate(RAW_SIGNAL, ["/hello_world/ws", [
        "not json",
        '{"no": "id"}',
        '{"id": "dance"}',
        '{"id": "onIceCandidate", "candidate": 42}',
        '{"id": "start", "sdpOffer": "this is no SDP"}',
    ]])
    assert [reply["id"] for reply in replies] == ["error"] * 5
    assert replies[0]["message"] == "invalid JSON"
    assert replies[2]["message"] == "unknown message id 'dance'"
    assert "candidate" in replies[3]["message"]
    # Without a WebRtcEndpoint the media server says 40108; with one, the offer is refused.
    assert replies[4]["message"]

    replies = page.evaluate(RAW_SIGNAL, ["/one_to_one/ws", [
        '{"id": "call", "to": "x", "sdpOffer": "v=0"}',
        '{"id": "register", "name": ""}',
    ]])
    assert replies[0] == {"id": "error", "message": "register first", "code": None}
    assert replies[1]["id"] == "registerResponse"
    assert replies[1]["response"] == "rejected"
