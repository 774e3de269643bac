"""Replay what kurento-client 7.3.0 sends and diff our replies byte for byte.

The transcript lives in tests/data; see its header for the placeholder rules. Keys are
sorted and frames compact, as KMS writes them, so a textual comparison is meaningful.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import aiohttp

from kurento.server.app import MediaServer

TRANSCRIPT = Path(__file__).parents[1] / "data" / "transcript_kurento_client.txt"
PLACEHOLDER = re.compile(r"<([A-Z]+[0-9]*)>")
UUID_TEXT = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Bindings:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def fill(self, frame: str) -> str:
        """Client frames: substitute bound placeholders (unbound ones get fresh UUIDs)."""
        def value(match: re.Match[str]) -> str:
            return self.values.setdefault(match.group(1), str(uuid.uuid4()))

        return PLACEHOLDER.sub(value, frame)

    def match(self, expected: str, actual: str) -> None:
        """Server frames: equal text once placeholders are bound; binds new ones."""
        pattern, names, pos = "", [], 0
        for found in PLACEHOLDER.finditer(expected):
            pattern += re.escape(expected[pos:found.start()])
            name = found.group(1)
            if name == "TS":
                pattern += r"\d+"
            elif name in self.values:
                pattern += re.escape(self.values[name])
            elif name in names:
                pattern += f"(?P={name})"
            else:
                pattern += f"(?P<{name}>{UUID_TEXT})"
                names.append(name)
            pos = found.end()
        pattern += re.escape(expected[pos:])
        result = re.fullmatch(pattern, actual)
        assert result is not None, f"\nexpected: {expected}\nactual:   {actual}"
        self.values.update({name: result.group(name) for name in names})


async def test_kurento_client_transcript(server: MediaServer,
                                         http: aiohttp.ClientSession) -> None:
    bindings = Bindings()
    lines = [line for line in TRANSCRIPT.read_text().splitlines()
             if line and not line.startswith("#")]
    ws = await http.ws_connect(server.url)
    try:
        for line in lines:
            if line == "== reconnect":
                await ws.close()
                ws = await http.ws_connect(server.url)
            elif line.startswith("C->S "):
                await ws.send_str(bindings.fill(line[5:]))
            else:
                assert line.startswith("S->C ")
                message = await ws.receive(timeout=10)
                bindings.match(line[5:], message.data)
    finally:
        await ws.close()
    assert server.core is not None
    assert bindings.values["SERVERID"] == server.core.server_id
