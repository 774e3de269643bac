"""The demos end to end: Chromium's fake camera → media server → Chromium, all inside
the loopback-only namespace. Skipped (with the reason below) while the server has no
WebRtcEndpoint."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DemoStack, Pages, assert_receiving

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


def test_hello_world_loopback_plays_the_camera_back(webrtc: DemoStack, pages: Pages) -> None:
    page = pages.open("/hello_world/")
    page.click("#start")
    assert_receiving(page, "videoOutput", pages)
    assert page.evaluate("window.demo.state") == "started"
    page.click("#stop")
    page.wait_for_function("window.demo.state === 'idle' && window.demo.peer === null", polling=100)
    webrtc.assert_released()

    page.click("#start")  # again, then leave without stopping: the app cleans up
    assert_receiving(page, "videoOutput", pages)
    page.close()
    webrtc.assert_released()


def test_one_to_one_call_each_sees_the_other(webrtc: DemoStack, pages: Pages) -> None:
    alice, bob = pages.open("/one_to_one/"), pages.open("/one_to_one/")
    for page, name in ((alice, "alice"), (bob, "bob")):
        page.fill("#name", name)
        page.click("#register")
        page.wait_for_function("window.demo.state === 'registered'", polling=100)
    bob.check("#autoAccept")
    alice.fill("#peer", "bob")
    alice.click("#call")
    for page in (alice, bob):
        page.wait_for_function("window.demo.state === 'in call'", polling=100)
    assert_receiving(alice, "videoOutput", pages)
    assert_receiving(bob, "videoOutput", pages)

    alice.click("#stop")
    bob.wait_for_function("window.demo.state === 'registered' && window.demo.peer === null", polling=100)
    webrtc.assert_released()


def test_one_to_many_three_viewers_see_the_presenter(webrtc: DemoStack, pages: Pages) -> None:
    presenter = pages.open("/one_to_many/")
    presenter.click("#presenter")
    presenter.wait_for_function("window.demo.state === 'presenting'", polling=100)
    viewers = [pages.open("/one_to_many/") for _ in range(3)]
    for viewer in viewers:
        viewer.click("#viewer")
    for viewer in viewers:
        viewer.wait_for_function("window.demo.state === 'viewing'", polling=100)
        assert_receiving(viewer, "video", pages)

    viewers[0].click("#stop")  # one viewer leaves; the others go on
    viewers[0].wait_for_function("window.demo.state === 'ready' && window.demo.peer === null", polling=100)
    assert_receiving(viewers[1], "video", pages)

    second = pages.open("/one_to_many/")
    second.click("#presenter")
    second.wait_for_function("window.demo.errors.length > 0", polling=100)
    assert "Another user is currently acting as presenter" in second.evaluate(
        "window.demo.errors[0]")

    presenter.click("#stop")
    for viewer in viewers[1:]:
        viewer.wait_for_function("window.demo.state === 'ended' && window.demo.peer === null", polling=100)
    webrtc.assert_released()
