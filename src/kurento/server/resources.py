"""The resource guard on ``create`` (reference §1.3 "Resource guard")."""

from __future__ import annotations

import os
import resource

from kurento.protocol.errors import NotEnoughResources


def _count(path: str) -> int:
    try:
        return len(os.listdir(path))
    except OSError:
        return 0


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
