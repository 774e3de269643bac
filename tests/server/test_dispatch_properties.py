"""Property: any frame gets a JSON-RPC reply (result or a documented error), never a crash."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kurento.api.registry import default_registry
from kurento.protocol.errors import ERRORS_BY_CODE
from kurento.server.core import MediaServerCore
from kurento.server.dispatch import Dispatcher
from kurento.server.settings import Settings
from tests.server.fake_engine import FakeEngine

METHODS = ["ping", "connect", "create", "describe", "invoke", "subscribe", "unsubscribe",
           "release", "ref", "unref", "keepAlive", "closeSession", "transaction", "fly"]
NAMES = ["type", "object", "operation", "operationParams", "constructorParams", "sessionId",
         "subscription", "operations", "sink", "mediaType", "name", "key", "release"]
scalars = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
           | st.sampled_from(["MediaPipeline", "PassThrough", "manager_ServerManager", "VIDEO",
                              "getName", "connect", "newref:0", "ObjectCreated", ""]) | st.text())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(NAMES), inner, max_size=4), max_leaves=10)
frames = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "2.0", "1.0"]), "method": st.sampled_from(METHODS)},
    optional={"id": st.integers(0, 10**6) | st.text(max_size=5),
              "params": st.dictionaries(st.sampled_from(NAMES), values, max_size=5)},
)


class Sink:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames, min_size=1, max_size=6))
def test_any_frames_get_a_reply_and_the_server_keeps_serving(batch: list[dict[str, Any]]) -> None:
    async def run() -> None:
        core = MediaServerCore(Settings(gc_period=0), default_registry(), FakeEngine())
        dispatcher = Dispatcher(core)
        connection = Sink()
        for frame in batch:
            reply = await dispatcher.handle_text(json.dumps(frame), connection)
            assert reply is not None and reply["jsonrpc"] == "2.0"
            if "error" in reply:
                code = reply["error"]["code"]
                assert code in ERRORS_BY_CODE, reply
                assert code != -32603, reply  # no unexpected exception escaped a handler
                assert "Traceback" not in reply["error"]["message"]
            else:
                assert "result" in reply
        ping = await dispatcher.handle_text('{"jsonrpc":"2.0","method":"ping","id":"x"}',
                                            connection)
        assert ping is not None and ping["result"]["value"] == "pong"

    asyncio.run(run())
