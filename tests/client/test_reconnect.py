"""Timeouts, dropped sockets, reconnection and sessions (reference §1.3, §4.3, §4.4)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kurento.client import (
    ConnectionClosed,
    Disconnected,
    ElementConnected,
    KurentoClient,
    MediaType,
    PassThrough,
    Reconnected,
    RequestTimeout,
)
from kurento.server.app import MediaServer
from tests.client.conftest import (
    FAST,
    Fail,
    FakeKms,
    Silent,
    drop_sockets,
    make_server,
    wait_for,
)
from tests.client.test_client import make_pair, subscriptions


def record(client: KurentoClient) -> list[Disconnected | Reconnected]:
    seen: list[Disconnected | Reconnected] = []
    client.on(Disconnected, seen.append)
    client.on(Reconnected, seen.append)
    return seen


# --- against a fake server ------------------------------------------------------------


async def test_a_request_without_answer_times_out(fake_kms: FakeKms) -> None:
    async with KurentoClient.connect(fake_kms.url, request_timeout=0.2) as client:
        pipeline = PassThrough(client, "P_kurento.PassThrough")
        with pytest.raises(RequestTimeout):
            await pipeline.get_name()
        assert client.connected  # a timeout is not a disconnection


async def test_pending_requests_fail_when_the_socket_drops(fake_kms: FakeKms) -> None:
    async with KurentoClient.connect(fake_kms.url, backoff=FAST) as client:
        element = PassThrough(client, "P_kurento.PassThrough")
        pending = asyncio.ensure_future(element.get_name())
        await wait_for(lambda: "invoke" in fake_kms.methods())
        await fake_kms.drop()
        with pytest.raises(ConnectionClosed):
            await pending


async def test_ids_never_reset_and_the_session_is_resumed(fake_kms: FakeKms) -> None:
    async def invoke(method: str, params: Any) -> Any:
        return {"sessionId": "S1", "value": "name"}

    fake_kms.handlers["invoke"] = invoke
    async with KurentoClient.connect(fake_kms.url, backoff=FAST) as client:
        seen = record(client)
        element = PassThrough(client, "P_kurento.PassThrough")
        assert await element.get_name() == "name"
        await fake_kms.drop()
        await wait_for(lambda: any(isinstance(e, Reconnected) for e in seen))
        assert await element.get_name() == "name"
    ids = [frame["id"] for frame in fake_kms.frames]
    assert ids == list(range(len(ids)))
    assert [(f["method"], f.get("params")) for f in fake_kms.frames] == [
        ("connect", {}),
        ("invoke", {"object": element.id, "operation": "getName", "sessionId": "S1"}),
        ("connect", {"sessionId": "S1"}),
        ("invoke", {"object": element.id, "operation": "getName", "sessionId": "S1"}),
    ]
    assert seen[0] == Disconnected(seen[0].reason, reconnecting=True)  # type: ignore[union-attr]
    assert seen[1] == Reconnected("S1", same_session=True, server_id="X", server_restarted=False)


async def test_requests_made_while_reconnecting_wait_for_it(fake_kms: FakeKms) -> None:
    async def invoke(method: str, params: Any) -> Any:
        return {"sessionId": "S1", "value": "name"}

    fake_kms.handlers["invoke"] = invoke
    async with KurentoClient.connect(fake_kms.url, backoff=FAST) as client:
        connect = fake_kms.handlers.pop("connect")
        await fake_kms.drop()  # reconnection handshakes now go unanswered
        await wait_for(lambda: not client.connected)
        waiting = asyncio.ensure_future(PassThrough(client, "P_kurento.PassThrough").get_name())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        fake_kms.handlers["connect"] = connect
        await fake_kms.drop()  # the stuck handshake socket: the next attempt succeeds
        assert await asyncio.wait_for(waiting, 5) == "name"


async def test_without_reconnect_the_client_stays_closed(fake_kms: FakeKms) -> None:
    async with KurentoClient.connect(fake_kms.url, reconnect=False) as client:
        seen = record(client)
        await fake_kms.drop()
        await wait_for(lambda: bool(seen))
        assert seen == [Disconnected(seen[0].reason, reconnecting=False)]  # type: ignore[union-attr]
        with pytest.raises(ConnectionClosed):
            await PassThrough(client, "P_kurento.PassThrough").get_name()


async def test_a_new_session_survives_a_drop_during_resubscription(fake_kms: FakeKms) -> None:
    sessions = iter(["S1", "S2"])
    subscription_ids = iter(["sub-1", "dropped", "sub-2"])
    live = {"S1"}

    async def connect(method: str, params: Any) -> Any:
        wanted = (params or {}).get("sessionId")
        if wanted is None:
            wanted = next(sessions)
            live.add(wanted)
        elif wanted not in live:
            raise Fail({"code": 40007, "message": "Invalid session",
                        "data": {"type": "INVALID_SESSION"}})
        return {"serverId": "X", "sessionId": wanted}

    async def subscribe(method: str, params: Any) -> Any:
        value = next(subscription_ids)
        if value == "dropped":
            await fake_kms.drop()
            raise Silent()
        return {"sessionId": params["sessionId"], "value": value}

    fake_kms.handlers.update(connect=connect, subscribe=subscribe)
    async with KurentoClient.connect(fake_kms.url, backoff=FAST) as client:
        seen = record(client)
        await PassThrough(client, "P/a_kurento.PassThrough").on(ElementConnected, print)
        live.clear()  # the server forgets S1
        await fake_kms.drop()
        await wait_for(lambda: any(isinstance(e, Reconnected) for e in seen))
    assert [e for e in seen if isinstance(e, Reconnected)] == [
        Reconnected("S2", same_session=False, server_id="X", server_restarted=False,
                    resubscribed=1)]
    assert [(f["method"], (f.get("params") or {}).get("sessionId")) for f in fake_kms.frames] == [
        ("connect", None), ("subscribe", "S1"),
        ("connect", "S1"), ("connect", None), ("subscribe", "S2"),  # dropped here
        ("connect", "S2"), ("subscribe", "S2"),
    ]


async def test_connecting_to_nothing_fails_cleanly() -> None:
    with pytest.raises(ConnectionClosed):
        await KurentoClient.connect("ws://127.0.0.1:9/kurento")


# --- against the real server ----------------------------------------------------------


async def test_events_still_arrive_after_a_reconnection(
    server: MediaServer, client: KurentoClient
) -> None:
    seen = record(client)
    pipeline, a, b = await make_pair(client)
    received: list[ElementConnected] = []
    await a.on(ElementConnected, received.append)
    session, subscribed = client.session_id, dict(subscriptions(server, client))

    await drop_sockets(server)
    await wait_for(lambda: any(isinstance(e, Reconnected) for e in seen))
    assert isinstance(seen[0], Disconnected) and seen[0].reconnecting
    reconnected = seen[-1]
    assert reconnected == Reconnected(session or "", True, client.server_id, False)
    # Subscriptions live in the session: nothing was sent again.
    assert client.session_id == session and subscriptions(server, client) == subscribed

    await a.connect(b, MediaType.VIDEO)
    await wait_for(lambda: len(received) == 1)
    assert received[0].sink == b
    await pipeline.release()


async def test_an_expired_session_is_replaced_and_listeners_resubscribed(
    server: MediaServer, client: KurentoClient
) -> None:
    seen = record(client)
    pipeline, a, b = await make_pair(client)
    received: list[ElementConnected] = []
    await a.on(ElementConnected, received.append)
    stream = a.events(ElementConnected)
    await stream.__aenter__()
    old_session = client.session_id

    async with KurentoClient.connect(server.url) as other:  # keeps the objects alive
        await other.get_object(a.id)
        await other.get_object(b.id)
        assert server.core is not None and old_session is not None
        expired = server.core.sessions.get(old_session)
        assert expired is not None
        await server.core.release_session(expired, release_objects=False)  # like the GC
        await drop_sockets(server)
        await wait_for(lambda: any(isinstance(e, Reconnected) for e in seen))
        reconnected = seen[-1]
        assert isinstance(reconnected, Reconnected)
        assert not reconnected.same_session and not reconnected.server_restarted
        assert reconnected.resubscribed == 1 and reconnected.lost == ()
        assert client.session_id == reconnected.session_id != old_session
        assert list(subscriptions(server, client).values()) == [(a.id, "ElementConnected")]

        await a.connect(b, MediaType.AUDIO)
        await wait_for(lambda: len(received) == 1)
        event = await asyncio.wait_for(anext(stream), 5)
        assert event == received[0]
        await stream.aclose()
        await pipeline.release()


async def test_after_a_server_restart_lost_listeners_end(engine: str) -> None:
    first = make_server(engine)
    await first.start()
    async with KurentoClient.connect(first.url, backoff=FAST, request_timeout=5) as client:
        seen = record(client)
        _, a, _ = await make_pair(client)
        stream = a.events(ElementConnected)
        await stream.__aenter__()
        old_server = client.server_id
        await first.stop()
        second = make_server(engine, port=first.port)
        await second.start()
        try:
            await wait_for(lambda: any(isinstance(e, Reconnected) for e in seen), timeout=10)
            reconnected = seen[-1]
            assert isinstance(reconnected, Reconnected)
            assert not reconnected.same_session and reconnected.server_restarted
            assert reconnected.lost == ((a.id, "ElementConnected"),)
            assert client.server_id != old_server
            assert [event async for event in stream] == []  # the stream ended
            assert await client.create_media_pipeline()  # and the client works on
        finally:
            await client.close()
            await second.stop()
