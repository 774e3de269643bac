"""The resource guard on ``create`` (reference §1.3 "Resource guard").

Counting threads and file descriptors lists ``/proc/self/task`` and ``/proc/self/fd``;
done on every ``create`` it was ~7 % of the control plane's CPU under load (py-spy),
so a count is reused for ``REFRESH`` seconds: a burst of creates within that time can
overshoot the limit by what the burst itself opens, which the 0.8 margin absorbs.
"""

from __future__ import annotations

import os
import resource
import time

from kurento.protocol.errors import NotEnoughResources

REFRESH = 0.5  # seconds a thread or fd count is reused
_counts: dict[str, tuple[float, int]] = {}


def _count(path: str) -> int:
    now = time.monotonic()
    counted_at, value = _counts.get(path, (float("-inf"), 0))
    if now - counted_at >= REFRESH:
        try:
            value = len(os.listdir(path))
        except OSError:
            value = 0
        _counts[path] = (now, value)
    return value


def check_resources(limit: float) -> None:
    """Refuse new objects above ``limit`` times the process's thread or fd limit."""
    if limit <= 0:
        return
    soft_threads, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft_threads != resource.RLIM_INFINITY and soft_threads > 0:
        threads = _count("/proc/self/task")
        if threads > limit * soft_threads:
            raise NotEnoughResources(f"Reached KMS threads limit: {soft_threads}")
    soft_files, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft_files != resource.RLIM_INFINITY and soft_files > 0:
        files = _count("/proc/self/fd")
        if files > limit * soft_files:
            raise NotEnoughResources(f"Reached KMS files limit: {soft_files}")
