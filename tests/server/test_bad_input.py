"""Bad input gets the exact KMS error, and other clients are not disturbed (issue §5)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
import pytest

from kurento.server.app import MediaServer
from tests.server.conftest import Rpc

INVALID_REQUEST = {"error": {"code": -32600, "message": "Invalid JSON-RPC request."},
                   "id": None, "jsonrpc": "2.0"}


def kurento_error(code: int, name: str, message: str, request_id: Any) -> dict[str, Any]:
    return {"error": {"code": code, "data": {"type": name}, "message": message},
            "id": request_id, "jsonrpc": "2.0"}


def server_error(message: str, request_id: Any) -> dict[str, Any]:
    return {"error": {"code": -32000, "message": message}, "id": request_id, "jsonrpc": "2.0"}


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("malformed JSON", '{"jsonrpc":"2.0",', {"error": {"code": -32700, "message": "Parse error."},
                                             "id": None, "jsonrpc": "2.0"}),
    ("non-object", '"ping"', INVALID_REQUEST),
    ("batch", '[{"jsonrpc":"2.0","method":"ping","id":1}]', INVALID_REQUEST),
    ("missing jsonrpc", '{"method":"ping","id":1}', INVALID_REQUEST),
    ("wrong jsonrpc", '{"jsonrpc":"1.0","method":"ping","id":1}', INVALID_REQUEST),
    ("array id", '{"jsonrpc":"2.0","method":"ping","id":[1]}', INVALID_REQUEST),
    ("unknown method", '{"jsonrpc":"2.0","method":"fly","id":5}',
     {"error": {"code": -32601, "message": "Method not found."}, "id": 5, "jsonrpc": "2.0"}),
    ("missing params", '{"jsonrpc":"2.0","method":"create","id":6}',
     kurento_error(-32602, "INVALID_PARAMS", "'params' is required", 6)),
    ("missing type", '{"jsonrpc":"2.0","method":"create","params":{"properties":{}},"id":7}',
     server_error("'type' parameter is required", 7)),
    ("type not a string", '{"jsonrpc":"2.0","method":"create","params":{"type":5},"id":8}',
     server_error("'type' parameter should be a string", 8)),
    ("unknown type", '{"jsonrpc":"2.0","method":"create","params":{"type":"Teleporter"},"id":9}',
     kurento_error(40108, "MEDIA_OBJECT_NOT_AVAILABLE", "Factory 'Teleporter' not found", 9)),
    ("abstract type", '{"jsonrpc":"2.0","method":"create","params":{"type":"MediaElement"},"id":10}',
     kurento_error(40108, "MEDIA_OBJECT_NOT_AVAILABLE", "Factory 'MediaElement' not found", 10)),
    ("missing constructorParams",
     '{"jsonrpc":"2.0","method":"create","params":{"type":"PassThrough"},"id":11}',
     kurento_error(40001, "MARSHALL_ERROR", "'constructorParams' is required", 11)),
    ("wrong constructor param type",
     '{"jsonrpc":"2.0","method":"create","params":{"type":"PassThrough",'
     '"constructorParams":{"mediaPipeline":42}},"id":12}',
     kurento_error(40001, "MARSHALL_ERROR", "'mediaPipeline' parameter should be a string", 12)),
    ("unknown object id",
     '{"jsonrpc":"2.0","method":"invoke","params":{"object":"x_kurento.MediaPipeline",'
     '"operation":"getName"},"id":13}',
     kurento_error(40101, "MEDIA_OBJECT_NOT_FOUND", "Object 'x_kurento.MediaPipeline' not found",
                   13)),
    ("missing operation",
     '{"jsonrpc":"2.0","method":"invoke","params":{"object":"manager_ServerManager"},"id":14}',
     server_error("'operation' parameter is required", 14)),
    ("unknown operation",
     '{"jsonrpc":"2.0","method":"invoke","params":{"object":"manager_ServerManager",'
     '"operation":"fly","operationParams":{"a":1,"b":2}},"id":15}',
     kurento_error(40008, "MALFORMED_TRANSACTION", "Method 'fly' with 2 parameters not found", 15)),
    ("missing operationParams",
     '{"jsonrpc":"2.0","method":"invoke","params":{"object":"manager_ServerManager",'
     '"operation":"getKmd"},"id":16}',
     kurento_error(40001, "MARSHALL_ERROR", "'operationParams' is required", 16)),
    ("unknown event",
     '{"jsonrpc":"2.0","method":"subscribe","params":{"object":"manager_ServerManager",'
     '"type":"IceCandidateFound"},"id":17}',
     kurento_error(40106, "MEDIA_OBJECT_EVENT_NOT_SUPPORTED",
                   "Event 'IceCandidateFound' not supported", 17)),
    ("operations not a list",
     '{"jsonrpc":"2.0","method":"transaction","params":{"operations":{}},"id":18}',
     server_error("'operations' parameter should be an array", 18)),
]


@pytest.mark.parametrize(("case", "frame", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_bad_request_gets_exact_error(
    rpc: Rpc, server: MediaServer, http: aiohttp.ClientSession, case: str, frame: str,
    expected: dict[str, Any],
) -> None:
    async with http.ws_connect(server.url) as bystander_ws:
        bystander = Rpc(bystander_ws)
        pipeline = await bystander.value("create", {"type": "MediaPipeline"})
        assert await rpc.send_raw(frame) == expected
        # The offender and a bystander both go on being served.
        assert (await rpc.ok("ping"))["value"] == "pong"
        assert await bystander.value("invoke", {"object": pipeline,
                                                "operation": "getName"}) == pipeline


async def test_wrong_enum_and_bad_types_in_invoke(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    element = await rpc.value("create", {"type": "PassThrough",
                                         "constructorParams": {"mediaPipeline": pipeline}})
    reply = await rpc.call("invoke", {"object": element, "operation": "connect",
                                      "operationParams": {"sink": element, "mediaType": "video"}})
    assert reply["error"]["code"] == 40001
    assert reply["error"]["message"] == "Invalid value for 'MediaType'"
    reply = await rpc.call("invoke", {"object": element, "operation": "isMediaFlowingIn",
                                      "operationParams": {"mediaType": "DATA"}})
    assert reply["error"]["code"] == 40107
    reply = await rpc.call("invoke", {"object": element, "operation": "setName",
                                      "operationParams": {"name": {"a": 1}}})
    assert reply["error"]["message"] == "'name' parameter should be a string"
    reply = await rpc.call("invoke", {"object": pipeline, "operation": "setLatencyStats",
                                      "operationParams": {"latencyStats": [1]}})
    assert reply["error"]["message"] == "'latencyStats' parameter should be a boolean"


async def test_connect_across_pipelines_is_refused(rpc: Rpc) -> None:
    elements = []
    for _ in range(2):
        pipeline = await rpc.value("create", {"type": "MediaPipeline"})
        elements.append(await rpc.value("create", {
            "type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}}))
    reply = await rpc.call("invoke", {"object": elements[0], "operation": "connect",
                                      "operationParams": {"sink": elements[1]}})
    assert reply["error"] == {"code": 40004, "data": {"type": "CONNECT_ERROR"},
                              "message": "Media elements do not share pipeline"}


async def test_release_twice_succeeds(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    assert "result" in await rpc.call("release", {"object": pipeline})
    assert "result" in await rpc.call("release", {"object": pipeline})


async def test_wrong_path_is_closed_with_1002(server: MediaServer,
                                              http: aiohttp.ClientSession) -> None:
    url = server.url.replace("/kurento", "/elsewhere")
    async with http.ws_connect(url) as ws:
        message = await ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 1002
        assert message.extra == "Invalid path"
    async with http.ws_connect(server.url + "?access_token=abc") as ws:
        await ws.send_str('{"jsonrpc":"2.0","method":"ping","id":1}')
        assert json.loads((await ws.receive(timeout=5)).data)["result"]["value"] == "pong"


async def test_oversized_message_is_refused_and_server_lives(
    rpc: Rpc, server: MediaServer, http: aiohttp.ClientSession
) -> None:
    big = json.dumps({"jsonrpc": "2.0", "method": "ping", "id": 1,
                      "params": {"junk": "x" * (10 * 1024 * 1024)}})
    async with http.ws_connect(server.url, max_msg_size=0) as ws:
        with contextlib.suppress(ConnectionError):
            await ws.send_str(big)  # the server may close the socket while we still send
        message = await ws.receive(timeout=10)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.ERROR)
        assert ws.closed
        assert ws.close_code in (1009, 1006, None)  # 1009: message too big
    assert (await rpc.ok("ping"))["value"] == "pong"


async def test_many_sockets_opened_and_dropped(
    rpc: Rpc, server: MediaServer, http: aiohttp.ClientSession
) -> None:
    async def open_and_drop(index: int) -> None:
        ws = await http.ws_connect(server.url)
        if index % 2:
            await ws.send_str('{"jsonrpc":"2.0","method":"create",'
                              '"params":{"type":"MediaPipeline"},"id":1}')
        await ws.close()

    for batch in range(5):
        await asyncio.gather(*(open_and_drop(batch * 100 + i) for i in range(100)))
    assert (await rpc.ok("ping"))["value"] == "pong"
    assert server.transport is not None
    for _ in range(100):
        if len(server.transport.connections) <= 1:
            break
        await asyncio.sleep(0.02)
    assert len(server.transport.connections) == 1
