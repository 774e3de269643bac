"""The resource guard on ``create``: 40009 above the limit, counts refreshed within 0.5 s."""

from __future__ import annotations

import os
import resource
import time

import pytest

from kurento.protocol.errors import NotEnoughResources
from kurento.server import resources


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    resources._counts.clear()  # each test counts from scratch


def test_no_limit_never_refuses() -> None:
    resources.check_resources(0.0)


def test_above_the_file_limit_create_is_refused() -> None:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    open_now = len(os.listdir("/proc/self/fd"))
    # A limit just below what is open: refused with KMS's message and code.
    with pytest.raises(NotEnoughResources, match="files limit") as refused:
        resources.check_resources((open_now - 2) / soft)
    assert refused.value.code == 40009
    resources.check_resources(0.8)


def test_new_descriptors_are_counted_after_the_refresh() -> None:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    open_before = len(os.listdir("/proc/self/fd"))
    limit = (open_before + 20) / soft
    resources.check_resources(limit)  # counted now: under the limit
    descriptors = [os.open("/dev/null", os.O_RDONLY) for _ in range(40)]
    try:
        time.sleep(resources.REFRESH)
        with pytest.raises(NotEnoughResources):
            resources.check_resources(limit)
    finally:
        for fd in descriptors:
            os.close(fd)
