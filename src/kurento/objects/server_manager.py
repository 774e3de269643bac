"""ServerManager, the singleton ``manager_ServerManager`` (reference §2.4)."""

from __future__ import annotations

import asyncio
import os
import resource
from typing import Any

from kurento.api.kmd import module_kmd_json
from kurento.objects.base import MediaObject
from kurento.objects.pipeline import MediaPipeline
from kurento.protocol.errors import KmdNotFound

SERVER_ID = "manager_ServerManager"
SERVER_VERSION = "7.3.0"


class ServerManager(MediaObject):
    TYPE = "ServerManager"

    def get_info(self) -> dict[str, Any]:
        registry = self.context.registry
        return {
            "__type__": "ServerInfo",
            "version": SERVER_VERSION,
            "type": "KMS",
            "capabilities": ["transactions"],
            "modules": [
                {
                    "__type__": "ModuleInfo",
                    "name": module.name,
                    "version": module.version,
                    "generationTime": "kurento-py",
                    "factories": [
                        name
                        for name in registry.factories(module.name)
                        if name in self.context.implemented_factories()
                    ],
                }
                for module in registry.modules
            ],
        }

    def get_pipelines(self) -> list[MediaObject]:
        return [o for o in self.context.all_objects() if isinstance(o, MediaPipeline)]

    def get_sessions(self) -> list[str]:
        # KMS 7.3.0 pads this list with empty strings (reference §2.4); clients do not
        # rely on that bug, so we return the real ids only.
        return self.context.session_ids()

    def get_metadata(self) -> str:
        return self.context.settings.metadata

    def get_kmd(self, module_name: str) -> str:
        for module in self.context.registry.modules:
            if module.name == module_name:
                return module_kmd_json(module)
        raise KmdNotFound(f"Module '{module_name}' not found")

    def get_cpu_count(self) -> int:
        return len(os.sched_getaffinity(0))

    async def get_used_cpu(self, interval: int = 1000) -> float:
        """Average CPU use of the machine over ``interval`` ms, percent (KMS blocks too)."""
        before = _cpu_times()
        await asyncio.sleep(max(0, min(interval, 60_000)) / 1000)
        after = _cpu_times()
        busy = (after[0] - before[0])
        total = (after[1] - before[1])
        return round(100.0 * busy / total, 2) if total > 0 else 0.0

    def get_used_memory(self) -> int:
        """Resident memory of the server process, KiB."""
        try:
            with open("/proc/self/statm") as handle:
                pages = int(handle.read().split()[1])
            return pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except OSError:
            return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total
