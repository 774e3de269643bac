"""Each Kurento Protocol method, as a client sees it on the wire (reference §1.3, §1.6)."""

from __future__ import annotations

import json
import re

import aiohttp

from kurento.server.app import MediaServer
from tests.server.conftest import Rpc

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
PIPELINE_ID = re.compile(rf"^{UUID}_kurento\.MediaPipeline$")


async def test_ping_before_and_after_a_session(rpc: Rpc) -> None:
    assert await rpc.send_raw('{"jsonrpc":"2.0","method":"ping","params":{"interval":5000},"id":0}') \
        == {"id": 0, "jsonrpc": "2.0", "result": {"value": "pong"}}
    session = (await rpc.ok("describe", {"object": "manager_ServerManager"}))["sessionId"]
    assert await rpc.ok("ping") == {"sessionId": session, "value": "pong"}


async def test_session_is_injected_from_the_socket(rpc: Rpc) -> None:
    first = await rpc.ok("create", {"type": "MediaPipeline", "properties": {}})
    second = await rpc.ok("create", {"type": "MediaPipeline"})
    assert first["sessionId"] == second["sessionId"]
    assert PIPELINE_ID.match(first["value"])


async def test_describe_lists_ancestors_qualified(rpc: Rpc) -> None:
    assert await rpc.ok("describe", {"object": "manager_ServerManager"}) == {
        "hierarchy": ["kurento.MediaObject"],
        "qualifiedType": "kurento.ServerManager",
        "sessionId": (await rpc.ok("ping"))["sessionId"],
        "type": "ServerManager",
    }
    pipeline = await rpc.value("create", {"type": "kurento.MediaPipeline"})
    element = await rpc.value(
        "create", {"type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}}
    )
    assert element.startswith(pipeline + "/") and element.endswith("_kurento.PassThrough")
    described = await rpc.ok("describe", {"object": element})
    assert described["hierarchy"] == ["kurento.MediaElement", "kurento.MediaObject"]
    assert described["type"] == "PassThrough"


async def test_media_object_properties_and_tags(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    target = {"object": pipeline}
    assert await rpc.value("invoke", {**target, "operation": "getName"}) == pipeline
    assert await rpc.value("invoke", {**target, "operation": "setName",
                                      "operationParams": {"name": "room"}}) is None
    assert await rpc.value("invoke", {**target, "operation": "getName"}) == "room"
    assert await rpc.value("invoke", {**target, "operation": "getParent"}) is None
    assert await rpc.value("invoke", {**target, "operation": "getMediaPipeline"}) == pipeline
    created = await rpc.value("invoke", {**target, "operation": "getCreationTime"})
    assert isinstance(created, int) and created > 1_700_000_000
    await rpc.ok("invoke", {**target, "operation": "addTag",
                            "operationParams": {"key": "k", "value": "v"}})
    assert await rpc.value("invoke", {**target, "operation": "getTag",
                                      "operationParams": {"key": "k"}}) == "v"
    assert await rpc.value("invoke", {**target, "operation": "getTags"}) == [
        {"__module__": "kurento", "__type__": "Tag", "key": "k", "value": "v"}]
    await rpc.ok("invoke", {**target, "operation": "removeTag", "operationParams": {"key": "k"}})
    missing = await rpc.call("invoke", {**target, "operation": "getTag",
                                        "operationParams": {"key": "k"}})
    assert missing["error"] == {"code": 40110, "message": "Tag key not found",
                                "data": {"type": "MEDIA_OBJECT_TAG_KEY_NOT_FOUND"}}
    assert await rpc.value("invoke", {**target, "operation": "getLatencyStats"}) is False
    # Lenient coercion like KMS: a string for a boolean.
    await rpc.ok("invoke", {**target, "operation": "setLatencyStats",
                            "operationParams": {"latencyStats": "true"}})
    assert await rpc.value("invoke", {**target, "operation": "getLatencyStats"}) is True


async def test_connect_events_and_connection_queries(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    a, b = [await rpc.value("create", {"type": "PassThrough",
                                       "constructorParams": {"mediaPipeline": pipeline}})
            for _ in range(2)]
    subscription = await rpc.value("subscribe", {"object": a, "type": "ElementConnected"})
    assert re.fullmatch(UUID, subscription)
    await rpc.ok("invoke", {"object": a, "operation": "connect",
                            "operationParams": {"sink": b}})
    kinds = set()
    for _ in range(3):
        event = (await rpc.wait_event("ElementConnected"))["params"]["value"]
        assert event["object"] == a
        data = event["data"]
        assert data["source"] == a and data["sink"] == b and data["type"] == "ElementConnected"
        assert data["tags"] == [] and data["timestampMillis"].isdigit()
        assert data["sourceMediaDescription"] == data["sinkMediaDescription"] == "default"
        kinds.add(data["mediaType"])
    assert kinds == {"AUDIO", "VIDEO", "DATA"}
    sinks = await rpc.value("invoke", {"object": a, "operation": "getSinkConnections",
                                       "operationParams": {"mediaType": "VIDEO"}})
    assert sinks == [{"__module__": "kurento", "__type__": "ElementConnectionData",
                      "source": a, "sink": b, "type": "VIDEO",
                      "sourceDescription": "default", "sinkDescription": "default"}]
    sources = await rpc.value("invoke", {"object": b, "operation": "getSourceConnections"})
    assert len(sources) == 3
    assert await rpc.value("invoke", {"object": a, "operation": "getChildren"}) == []
    assert sorted(await rpc.value("invoke", {"object": pipeline, "operation": "getChildren"})) \
        == sorted([a, b])
    await rpc.ok("invoke", {"object": a, "operation": "disconnect",
                            "operationParams": {"sink": b, "mediaType": "AUDIO"}})
    assert len(await rpc.value("invoke", {"object": b, "operation": "getSourceConnections"})) == 2


async def test_a_sink_has_one_source_per_media_type(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    a, b, c = [await rpc.value("create", {"type": "PassThrough",
                                          "constructorParams": {"mediaPipeline": pipeline}})
               for _ in range(3)]
    await rpc.ok("subscribe", {"object": a, "type": "ElementDisconnected"})
    await rpc.ok("invoke", {"object": a, "operation": "connect",
                            "operationParams": {"sink": c, "mediaType": "VIDEO"}})
    await rpc.ok("invoke", {"object": b, "operation": "connect",
                            "operationParams": {"sink": c, "mediaType": "VIDEO"}})
    event = await rpc.wait_event("ElementDisconnected")
    assert event["params"]["value"]["data"]["sink"] == c
    sources = await rpc.value("invoke", {"object": c, "operation": "getSourceConnections"})
    assert [s["source"] for s in sources] == [b]


async def test_element_connected_to_itself(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    a = await rpc.value("create", {"type": "PassThrough",
                                   "constructorParams": {"mediaPipeline": pipeline}})
    await rpc.ok("invoke", {"object": a, "operation": "connect", "operationParams": {"sink": a}})
    assert len(await rpc.value("invoke", {"object": a, "operation": "getSinkConnections"})) == 3
    await rpc.ok("release", {"object": pipeline})


async def test_subscribing_twice_delivers_once(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    a, b = [await rpc.value("create", {"type": "PassThrough",
                                       "constructorParams": {"mediaPipeline": pipeline}})
            for _ in range(2)]
    first = await rpc.value("subscribe", {"object": a, "type": "ElementConnected"})
    second = await rpc.value("subscribe", {"object": a, "type": "ElementConnected"})
    assert first != second
    await rpc.ok("invoke", {"object": a, "operation": "connect",
                            "operationParams": {"sink": b, "mediaType": "VIDEO"}})
    await rpc.ok("ping")
    assert len([ev for ev in rpc.events if ev["params"]["value"]["type"] == "ElementConnected"]) \
        == 1
    await rpc.ok("unsubscribe", {"object": a, "subscription": first})
    await rpc.ok("invoke", {"object": a, "operation": "connect",
                            "operationParams": {"sink": b, "mediaType": "AUDIO"}})
    await rpc.ok("ping")
    assert len([ev for ev in rpc.events if ev["params"]["value"]["type"] == "ElementConnected"]) \
        == 2
    await rpc.ok("unsubscribe", {"object": a, "subscription": second})
    await rpc.ok("invoke", {"object": a, "operation": "disconnect", "operationParams": {"sink": b}})
    await rpc.ok("invoke", {"object": a, "operation": "connect",
                            "operationParams": {"sink": b, "mediaType": "AUDIO"}})
    await rpc.ok("ping")
    assert len([ev for ev in rpc.events if ev["params"]["value"]["type"] == "ElementConnected"]) \
        == 2


async def test_server_manager(rpc: Rpc) -> None:
    manager = {"object": "manager_ServerManager"}
    await rpc.ok("subscribe", {**manager, "type": "ObjectCreated"})
    await rpc.ok("subscribe", {**manager, "type": "ObjectDestroyed"})
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    created = (await rpc.wait_event("ObjectCreated"))["params"]["value"]
    assert created["object"] == "manager_ServerManager"
    assert created["data"]["object"] == pipeline and "type" not in created["data"]
    info = await rpc.value("invoke", {**manager, "operation": "getInfo"})
    assert info["__type__"] == "ServerInfo" and info["type"] == "KMS"
    assert info["capabilities"] == ["transactions"]
    modules = {m["name"]: m for m in info["modules"]}
    # Kurento's three modules, and ours with the extensions (HttpGetEndpoint, Python filters).
    assert set(modules) == {"core", "elements", "filters", "kurentopy"}
    assert modules["kurentopy"]["factories"] == [
        "AudioLevelFilter", "HttpGetEndpoint", "MotionDetectorFilter", "SepiaFilter"]
    assert "PassThrough" in modules["core"]["factories"]
    assert await rpc.value("invoke", {**manager, "operation": "getPipelines"}) == [pipeline]
    session = (await rpc.ok("ping"))["sessionId"]
    assert session in await rpc.value("invoke", {**manager, "operation": "getSessions"})
    assert await rpc.value("invoke", {**manager, "operation": "getCpuCount"}) >= 1
    assert await rpc.value("invoke", {**manager, "operation": "getUsedMemory"}) > 1000
    cpu = await rpc.value("invoke", {**manager, "operation": "getUsedCpu",
                                     "operationParams": {"interval": 100}})
    assert 0.0 <= cpu <= 100.0
    kmd = json.loads(await rpc.value("invoke", {**manager, "operation": "getKmd",
                                                "operationParams": {"moduleName": "elements"}}))
    assert kmd["name"] == "elements"
    assert any(c["name"] == "WebRtcEndpoint" for c in kmd["remoteClasses"])
    unknown = await rpc.call("invoke", {**manager, "operation": "getKmd",
                                        "operationParams": {"moduleName": "nope"}})
    assert unknown["error"]["code"] == 40500
    await rpc.ok("release", {"object": pipeline})
    destroyed = (await rpc.wait_event("ObjectDestroyed"))["params"]["value"]["data"]
    assert destroyed["objectId"] == pipeline


async def test_release_cascades_and_is_idempotent(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    element = await rpc.value("create", {"type": "PassThrough",
                                         "constructorParams": {"mediaPipeline": pipeline}})
    assert await rpc.ok("release", {"object": pipeline}) == {
        "sessionId": (await rpc.ok("ping"))["sessionId"]}
    gone = await rpc.call("invoke", {"object": element, "operation": "getName"})
    assert gone["error"]["code"] == 40101
    assert gone["error"]["message"] == f"Object '{element}' not found"
    assert "result" in await rpc.call("release", {"object": pipeline})


async def test_transaction_with_newref(rpc: Rpc) -> None:
    session = (await rpc.ok("connect"))["sessionId"]
    result = await rpc.ok("transaction", {"object": {"_events": {}}, "operations": [
        {"jsonrpc": "2.0", "id": 0, "method": "create", "params": {"type": "MediaPipeline"}},
        {"jsonrpc": "2.0", "id": 1, "method": "create", "params": {
            "type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}}},
        {"jsonrpc": "2.0", "id": 2, "method": "invoke", "params": {
            "object": "newref:1", "operation": "getMediaPipeline"}},
        {"jsonrpc": "2.0", "id": 3, "method": "invoke", "params": {
            "object": "newref:1", "operation": "frobnicate"}},
        {"jsonrpc": "2.0", "id": 4, "method": "release", "params": {"object": "newref:0"}},
    ]})
    replies = result["value"]
    assert [r["id"] for r in replies] == [0, 1, 2, 3]
    pipeline = replies[0]["result"]["value"]
    assert replies[0]["result"]["sessionId"] == session
    assert replies[1]["result"]["value"].startswith(pipeline + "/")
    assert replies[2]["result"]["value"] == pipeline
    assert replies[3]["error"]["code"] == 40008
    # Nothing is rolled back.
    assert await rpc.value("invoke", {"object": pipeline, "operation": "getName"}) == pipeline


async def test_transaction_errors(rpc: Rpc) -> None:
    bad_id = await rpc.value("transaction", {"operations": [
        {"jsonrpc": "2.0", "id": 5, "method": "create", "params": {"type": "MediaPipeline"}}]})
    assert bad_id[0]["error"]["message"] == "Id of request '0' should be '0'"
    bad_ref = await rpc.value("transaction", {"operations": [
        {"jsonrpc": "2.0", "id": 0, "method": "invoke",
         "params": {"object": "newref:7", "operation": "getName"}}]})
    assert bad_ref[0]["error"] == {"code": 40008, "message": "Invalid index of newref 'newref:7'",
                                   "data": {"type": "MALFORMED_TRANSACTION"}}
    outside = await rpc.call("invoke", {"object": "newref:0", "operation": "getName"})
    assert outside["error"]["code"] == 40109


async def test_duplicate_request_is_answered_from_cache(rpc: Rpc) -> None:
    session = (await rpc.ok("connect"))["sessionId"]
    frame = json.dumps({"jsonrpc": "2.0", "method": "create", "id": 77,
                        "params": {"type": "MediaPipeline", "sessionId": session}})
    first = await rpc.send_raw(frame)
    again = await rpc.send_raw(frame)
    assert first == again
    pipelines = await rpc.value("invoke", {"object": "manager_ServerManager",
                                           "operation": "getPipelines"})
    assert pipelines == [first["result"]["value"]]


async def test_reconnect_keeps_session_objects_and_subscriptions(
    server: MediaServer, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(server.url) as ws1:
        first = Rpc(ws1)
        session = (await first.ok("connect"))["sessionId"]
        pipeline = await first.value("create", {"type": "MediaPipeline"})
        a, b = [await first.value("create", {"type": "PassThrough",
                                             "constructorParams": {"mediaPipeline": pipeline}})
                for _ in range(2)]
        await first.ok("subscribe", {"object": a, "type": "ElementConnected"})
    async with http.ws_connect(server.url) as ws2:
        second = Rpc(ws2)
        second.ids = first.ids  # request ids stay unique per session (duplicate cache)
        assert await second.ok("connect", {"sessionId": session}) == {
            "serverId": server.core.server_id if server.core else "", "sessionId": session}
        await second.ok("invoke", {"object": a, "operation": "connect",
                                   "operationParams": {"sink": b, "mediaType": "VIDEO"}})
        event = await second.wait_event("ElementConnected")
        assert event["params"]["value"]["data"]["sink"] == b
        unknown = await second.call("connect", {"sessionId": "no-such-session"})
        assert unknown["error"] == {"code": 40007, "message": "Invalid session",
                                    "data": {"type": "INVALID_SESSION"}}
        assert (await second.call("keepAlive", {"sessionId": "nope"}))["error"]["code"] == 40007
        assert await second.ok("keepAlive", {"sessionId": session}) == {"sessionId": session}


async def test_unknown_session_ids_are_accepted_where_kms_accepts_them(rpc: Rpc) -> None:
    reply = await rpc.ok("create", {"type": "MediaPipeline", "sessionId": "stale-session"})
    assert reply["sessionId"] == "stale-session"


async def test_gc_expires_sessions_without_socket(server: MediaServer,
                                                  http: aiohttp.ClientSession) -> None:
    assert server.core is not None
    async with http.ws_connect(server.url) as ws:
        rpc = Rpc(ws)
        pipeline = await rpc.value("create", {"type": "MediaPipeline"})
        await server.core.gc_tick()
        await server.core.gc_tick()  # an open socket keeps the session
        assert server.core.store.get(pipeline) is not None
    for _ in range(50):
        if not server.transport or not server.transport.connections:
            break
        import asyncio

        await asyncio.sleep(0.01)
    await server.core.gc_tick()  # first period: in use → cleared
    assert server.core.store.get(pipeline) is not None
    await server.core.gc_tick()  # second period: expired, objects released
    assert server.core.store.get(pipeline) is None


async def test_close_session_releases_when_asked(rpc: Rpc) -> None:
    session = (await rpc.ok("connect"))["sessionId"]
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    reply = await rpc.call("closeSession", {"sessionId": session, "release": True})
    assert reply == {"id": reply["id"], "jsonrpc": "2.0", "result": None}
    assert (await rpc.call("invoke", {"object": pipeline, "operation": "getName",
                                      "sessionId": "other"}))["error"]["code"] == 40101


async def test_encoder_bitrate_properties_have_kms_defaults(rpc: Rpc) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    element = await rpc.value("create", {"type": "PassThrough",
                                         "constructorParams": {"mediaPipeline": pipeline}})
    assert await rpc.value("invoke", {"object": element, "operation": "getEncoderBitrate"}) \
        == 300_000
    assert await rpc.value("invoke", {"object": element, "operation": "getMaxEncoderBitrate"}) == 0
    await rpc.ok("invoke", {"object": element, "operation": "setMaxEncoderBitrate",
                            "operationParams": {"maxEncoderBitrate": "900000"}})
    assert await rpc.value("invoke", {"object": element, "operation": "getMaxEncoderBitrate"}) \
        == 900_000


async def test_concurrent_connects_leave_one_source_per_type(
    server: MediaServer, http: aiohttp.ClientSession
) -> None:
    import asyncio

    sockets = [await http.ws_connect(server.url) for _ in range(4)]
    try:
        peers = [Rpc(ws) for ws in sockets]
        pipeline = await peers[0].value("create", {"type": "MediaPipeline"})
        sources = [await peers[0].value("create", {
            "type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}})
            for _ in range(4)]
        sink = await peers[0].value("create", {"type": "PassThrough",
                                               "constructorParams": {"mediaPipeline": pipeline}})

        async def churn(peer: Rpc, source: str) -> None:
            for _ in range(10):
                await peer.ok("invoke", {"object": source, "operation": "connect",
                                         "operationParams": {"sink": sink}})

        await asyncio.gather(*(churn(peer, src) for peer, src in zip(peers, sources, strict=True)))
        connections = await peers[0].value("invoke", {"object": sink,
                                                      "operation": "getSourceConnections"})
        assert sorted(c["type"] for c in connections) == ["AUDIO", "DATA", "VIDEO"]
    finally:
        for ws in sockets:
            await ws.close()


async def test_objects_live_while_any_session_references_them(
    server: MediaServer, http: aiohttp.ClientSession
) -> None:
    assert server.core is not None
    async with http.ws_connect(server.url) as ws_a, http.ws_connect(server.url) as ws_b:
        a, b = Rpc(ws_a), Rpc(ws_b)
        pipeline = await a.value("create", {"type": "MediaPipeline"})
        await b.ok("describe", {"object": pipeline})  # b now references the pipeline
        element = await a.value("create", {"type": "PassThrough",
                                           "constructorParams": {"mediaPipeline": pipeline}})
        session_a = (await a.ok("ping"))["sessionId"]
        session_b = (await b.ok("ping"))["sessionId"]
        await a.ok("unref", {"object": element, "sessionId": session_a})
        assert server.core.store.get(element) is not None  # b holds it through the parent
        # Closing b's session lets the child go; a still holds the pipeline.
        await b.call("closeSession", {"sessionId": session_b})
        assert server.core.store.get(element) is None
        assert server.core.store.get(pipeline) is not None
        await a.ok("unref", {"object": pipeline, "sessionId": session_a})
        assert server.core.store.get(pipeline) is None
