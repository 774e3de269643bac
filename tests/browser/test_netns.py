"""The namespace the browser tests run in has only ``lo``: nothing can leave it."""

from __future__ import annotations

import errno
import sys

import pytest

from tests.browser.netns import Netns

# A UDP connect() only looks the route up; it sends nothing, even where a route exists.
ROUTE_LOOKUP = """
import errno, socket, sys
for address in sys.argv[1:]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((address, 9))
            print(address, "ok")
        except OSError as exc:
            print(address, errno.errorcode.get(exc.errno, exc.errno))
"""


@pytest.mark.timeout(30)
def test_namespace_has_only_loopback(netns: Netns) -> None:
    links = netns.run("ip", "-o", "link", "show").stdout.splitlines()
    assert [line.split(":")[1].strip() for line in links] == ["lo"]
    assert "UP" in links[0] or "LOOPBACK,UP" in links[0]
    assert netns.run("ip", "route", "show").stdout.strip() == ""

    lookup = netns.run(sys.executable, "-c", ROUTE_LOOKUP, "127.0.0.1", "192.0.2.1",
                       "10.1.2.3", "198.51.100.7")
    results = dict(line.split() for line in lookup.stdout.splitlines())
    unreachable = errno.errorcode[errno.ENETUNREACH]
    assert results == {
        "127.0.0.1": "ok",
        "192.0.2.1": unreachable,
        "10.1.2.3": unreachable,
        "198.51.100.7": unreachable,
    }, lookup.stderr
