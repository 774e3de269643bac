"""kurento-client 7.3.0 resumes its session after the server drops the socket.

The server runs in-process so the test can close its side of the socket at the
moment the Node script asks for it (the script prints DROP-NOW on stderr).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from kurento.server.app import MediaServer
from kurento.server.settings import Settings

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        NODE is None or not (JS_DIR / "node_modules" / "kurento-client").is_dir(),
        reason="node or tests/interop/js/node_modules missing (scripts/setup.sh --test)",
    ),
]


async def test_kurento_client_resumes_after_server_drop() -> None:
    server = MediaServer(Settings(port=0))
    await server.start()
    assert NODE is not None and server.transport is not None and server.core is not None
    process = await asyncio.create_subprocess_exec(
        NODE, "server_drop.js", server.url, cwd=JS_DIR,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stderr is not None and process.stdout is not None
        log: list[str] = []
        async with asyncio.timeout(30):
            while True:
                line = (await process.stderr.readline()).decode()
                assert line, f"script ended before DROP-NOW: {''.join(log)}"
                log.append(line)
                if line.strip() == "DROP-NOW":
                    break
        dropped = len(server.transport.connections)
        for connection in list(server.transport.connections):
            await connection.ws.close(code=1001, message=b"server going away")
        async with asyncio.timeout(60):
            stdout, stderr = await process.communicate()
        report = json.loads(stdout.decode().strip().splitlines()[-1])
        assert process.returncode == 0 and report["ok"], (report, stderr.decode()[-3000:])
        assert dropped == 1
        assert report["results"] == {"sameSession": True, "nameAfterReconnect": "kept",
                                     "eventAfterReconnect": True}
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await server.stop()
