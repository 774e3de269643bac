"""Teardown soak: 50 hello-world sessions in a row on one media server, five pages at a
time. Each round has five sessions: two on the app-driven hello world ended with Stop
and one on the browser-only page ended with Stop (the official kurento-client in the
page releases the pipeline itself); their pages stay for the next round. Two more on
the app-driven page end by closing the page mid-call (no stop message: the app sees
its socket close and releases the pipeline). Every session's video must play, the server must
answer a ping at the end and hold no pipeline, and its RSS, threads and open fds must
come back to what they were after the warm-up rounds.

The resource check compares the server's usage after the soak with that after the
warm-up rounds, each taken once the counts have settled: RSS within 10 %, threads and
fds within a small slack.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import MEDIA_URL, DemoStack, Pages, assert_receiving

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

ROUNDS = 10
WARM_UP_ROUNDS = 3
# The five sessions of a round: (page, how it ends).
SLOTS = (
    ("/hello_world/", "stop"),
    ("/hello_world/", "close"),
    ("/hello_world_js/", "stop"),
    ("/hello_world/", "stop"),
    ("/hello_world/", "close"),
)
RSS_TOLERANCE = 0.10
THREAD_SLACK = 4
FD_SLACK = 16

# Run inside the namespace: a Kurento Protocol ping, printing the reply's value.
PING = """
import asyncio, json, sys
import aiohttp
async def main():
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(sys.argv[1]) as ws:
            await ws.send_json({"jsonrpc": "2.0", "id": 1, "method": "ping",
                                "params": {"interval": 240000}})
            reply = json.loads((await ws.receive(timeout=10)).data)
            print(reply["result"]["value"])
asyncio.run(main())
"""


@dataclass(frozen=True)
class Usage:
    rss_kib: int
    threads: int
    fds: int

    @classmethod
    def of(cls, pid: int) -> Usage:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines()
                   if line.startswith("VmRSS:"))
        return cls(rss, len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd")))

    def __str__(self) -> str:
        return f"RSS {self.rss_kib / 1024:.1f} MiB, {self.threads} threads, {self.fds} fds"


def click(page: Page, selector: str) -> None:
    # A DOM click: playwright's click() waits for animation frames, which are slow
    # while five pages render video.
    page.dispatch_event(selector, "click")


def run_round(pages: Pages, slots: list[Page | None]) -> None:
    """One session in each slot: start all, check each plays, end each."""
    for index, (path, _ending) in enumerate(SLOTS):
        page = slots[index]
        if page is None:
            page = slots[index] = pages.open(path)
        click(page, "#start")
    for page in slots:
        assert page is not None
        assert_receiving(page, "videoOutput", pages)
    for index, (_path, ending) in enumerate(SLOTS):
        page = slots[index]
        assert page is not None
        if ending == "stop":
            click(page, "#stop")
            page.wait_for_function("window.demo.state === 'idle' && window.demo.peer === null",
                                   polling=100)
            assert page.evaluate("window.demo.errors") == [], pages.diagnostics()
        else:  # mid-call, no stop message
            page.close()
            slots[index] = None


def settled_usage(pid: int, timeout: float = 10.0) -> Usage:
    """Usage once releases have finished freeing: three equal samples over a second.

    The server frees released endpoints shortly after the release (its deferred
    collector runs within about a second, and once more two seconds later), and pages
    closed mid-call are noticed a little later still; so wait past that first.
    """
    deadline = time.monotonic() + timeout
    time.sleep(3.0)
    samples = [Usage.of(pid)]
    while time.monotonic() < deadline:
        time.sleep(0.5)
        samples.append(Usage.of(pid))
        recent = {(u.threads, u.fds) for u in samples[-3:]}
        if len(samples) >= 3 and len(recent) == 1:
            break
    return samples[-1]


def test_fifty_sessions_leave_the_media_server_as_it_was(webrtc: DemoStack, pages: Pages) -> None:
    pid = webrtc.media_server.proc.pid
    started = time.monotonic()
    slots: list[Page | None] = [None] * len(SLOTS)
    history: list[Usage] = []
    for number in range(1, ROUNDS + 1):
        run_round(pages, slots)
        if number in (WARM_UP_ROUNDS, ROUNDS):
            webrtc.assert_released()
            history.append(settled_usage(pid))
        else:
            history.append(Usage.of(pid))
    elapsed = time.monotonic() - started
    warm, after = history[WARM_UP_ROUNDS - 1], history[-1]
    report = (f"{ROUNDS * len(SLOTS)} sessions in {elapsed:.0f} s; after warm-up: {warm}; "
              f"after the soak: {after}; after each round:\n" + "\n".join(map(str, history)))
    print("\n" + report)

    ping = webrtc.netns.run(sys.executable, "-c", PING, MEDIA_URL, timeout=30)
    assert ping.stdout.strip() == "pong", ping.stderr + webrtc.logs()
    assert webrtc.pipeline_count() == 0

    back = (after.rss_kib <= warm.rss_kib * (1 + RSS_TOLERANCE)
            and after.threads <= warm.threads + THREAD_SLACK
            and after.fds <= warm.fds + FD_SLACK)
    assert back, report
