"""An in-memory media engine for control-plane unit tests (never proof media works)."""

from __future__ import annotations

from kurento.engine.contract import ElementEngine, ElementListener, Link, MediaKind


class FakeLink:
    def __init__(self, engine: FakePipeline, source: FakeElement, sink: ElementEngine,
                 kind: MediaKind) -> None:
        self.engine, self.source, self.sink, self.kind = engine, source, sink, kind
        engine.links.add(self)

    async def unlink(self) -> None:
        self.engine.links.discard(self)


class FakeElement:
    def __init__(self, pipeline: FakePipeline, factory: str, listener: ElementListener) -> None:
        self.pipeline, self.factory, self.listener = pipeline, factory, listener
        self.closed = False

    def link(self, sink: ElementEngine, kind: MediaKind) -> Link:
        return FakeLink(self.pipeline, self, sink, kind)

    def gstreamer_dot(self, details: str) -> str:
        return f'digraph "{self.factory}" {{}}'

    async def close(self) -> None:
        self.closed = True


class FakePipeline:
    def __init__(self, name: str) -> None:
        self.name = name
        self.elements: list[FakeElement] = []
        self.links: set[FakeLink] = set()
        self.closed = False

    def create_element(self, factory: str, listener: ElementListener) -> ElementEngine:
        if factory not in ("PassThrough",):
            raise ValueError(factory)
        element = FakeElement(self, factory, listener)
        self.elements.append(element)
        return element

    def gstreamer_dot(self, details: str) -> str:
        return f'digraph "{self.name}" {{}}'

    def set_latency_stats(self, enabled: bool) -> None:
        pass

    async def close(self) -> None:
        self.closed = True


class FakeEngine:
    def __init__(self) -> None:
        self.pipelines: list[FakePipeline] = []

    def create_pipeline(self, name: str) -> FakePipeline:
        pipeline = FakePipeline(name)
        self.pipelines.append(pipeline)
        return pipeline

    async def shutdown(self) -> None:
        pass
