"""Transactions: one ``transaction`` request with ``newref:N`` references (reference §1.6)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kurento.client import (
    ElementConnectionData,
    KurentoClient,
    MediaPipeline,
    MediaType,
    PassThrough,
)
from kurento.protocol.errors import MediaObjectNotFound
from tests.client.conftest import FakeKms


async def pipeline_count(client: KurentoClient) -> int:
    manager = await client.get_server_manager()
    return len(await manager.get_pipelines())


async def test_a_batch_creates_connects_and_returns_results(client: KurentoClient) -> None:
    async with client.transaction() as tx:
        pipeline = tx.create(MediaPipeline.create, client)
        a = tx.create(PassThrough.create, pipeline)
        b = tx.create(PassThrough.create, pipeline)
        assert (pipeline.id, a.id, b.id) == ("newref:0", "newref:1", "newref:2")
        assert not a.committed
        connected = tx.invoke(a.connect, b, MediaType.VIDEO)
        connections = tx.invoke(a.get_sink_connections)
        name = tx.invoke(b.get_name)
        assert not connections.done()
    assert type(pipeline) is MediaPipeline and pipeline.committed
    assert a.id.startswith(pipeline.id + "/") and b.id.startswith(pipeline.id + "/")
    assert connected.result() is None
    assert connections.result() == [ElementConnectionData(
        source=a, sink=b, type=MediaType.VIDEO, source_description="default",
        sink_description="default")]
    assert name.result() == b.id
    # The proxies are ordinary ones now.
    assert await a.get_sink_connections() == connections.result()
    await pipeline.release()


async def test_existing_objects_mix_with_placeholders(client: KurentoClient) -> None:
    pipeline = await client.create_media_pipeline()
    async with client.transaction() as tx:
        a = tx.create(PassThrough.create, pipeline)
        tags = tx.invoke(pipeline.get_tags)
        added = tx.invoke(a.add_tag, "k", "v")
        release = tx.invoke(a.release)
    assert tags.result() == [] and added.result() is None and release.result() is None
    with pytest.raises(MediaObjectNotFound):
        await a.get_name()
    await pipeline.release()


async def test_a_failing_operation_raises_its_mapped_error(client: KurentoClient) -> None:
    before = await pipeline_count(client)
    ghost = PassThrough(client, "ghost_kurento.PassThrough")
    with pytest.raises(MediaObjectNotFound) as caught:
        async with client.transaction() as tx:
            pipeline = tx.create(MediaPipeline.create, client)
            ok = tx.invoke(pipeline.get_name)
            bad = tx.invoke(ghost.get_name)
            never = tx.invoke(pipeline.get_children)
    assert caught.value.code == 40101
    # KMS stops at the first failure and rolls nothing back.
    assert pipeline.committed and ok.result() == pipeline.id
    assert bad.exception() is caught.value
    assert never.cancelled()
    assert await pipeline_count(client) == before + 1
    await pipeline.release()


async def test_nothing_is_sent_when_the_block_raises(client: KurentoClient) -> None:
    before = await pipeline_count(client)
    with pytest.raises(RuntimeError):
        async with client.transaction() as tx:
            pipeline = tx.create(MediaPipeline.create, client)
            name = tx.invoke(pipeline.get_name)
            raise RuntimeError("changed my mind")
    assert name.cancelled() and not pipeline.committed
    assert await pipeline_count(client) == before


async def test_only_single_remote_operations_can_be_recorded(client: KurentoClient) -> None:
    async def two_requests() -> None:
        await asyncio.sleep(0)

    async with client.transaction() as tx:
        with pytest.raises(TypeError):
            tx.invoke(two_requests)
        with pytest.raises(TypeError):
            tx.create(client.get_server_manager)  # not a create
        assert tx.invoke(client.get_server_manager) is not None
    with pytest.raises(RuntimeError):
        tx.invoke(client.get_server_manager)  # committed already


async def test_wire_format(fake_kms: FakeKms) -> None:
    async def transaction(method: str, params: Any) -> Any:
        ops = params["operations"]
        return {"sessionId": "S1", "value": [
            {"id": i, "jsonrpc": "2.0", "result": {"sessionId": "S1", "value": f"P{i}"}}
            for i in range(len(ops))]}

    fake_kms.handlers["transaction"] = transaction
    async with KurentoClient.connect(fake_kms.url) as client, client.transaction() as tx:
        pipeline = tx.create(MediaPipeline.create, client)
        tx.create(PassThrough.create, pipeline)
    frame = fake_kms.frames[-1]
    assert frame["method"] == "transaction"
    assert frame["params"] == {"sessionId": "S1", "operations": [
        {"id": 0, "jsonrpc": "2.0", "method": "create", "params": {"type": "MediaPipeline"}},
        {"id": 1, "jsonrpc": "2.0", "method": "create", "params": {
            "type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}}},
    ]}
    assert pipeline.id == "P0"
