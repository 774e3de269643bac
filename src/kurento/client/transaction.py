"""Transactions: many operations in one ``transaction`` request (reference §1.6).

::

    async with client.transaction() as tx:
        pipeline = tx.create(MediaPipeline.create, client)     # placeholder proxy
        a = tx.create(PassThrough.create, pipeline)
        b = tx.create(PassThrough.create, pipeline)
        done = tx.invoke(a.connect, b)                         # asyncio.Future[None]
        name = tx.invoke(a.get_name)                           # asyncio.Future[str]
    # committed here: a.id is real, name.result() is a str

``tx.create(Class.create, ...)`` and ``tx.invoke(proxy.method, ...)`` take the
very coroutine functions that would send the operation on their own, with the
same (typed) arguments. Instead of sending, the operation is recorded: the
coroutine is run up to the point where it would send its request (all
synchronous) and parked there; placeholders travel as ``newref:N``. On leaving
the block the batch goes out as one request; each parked coroutine is then
resumed with its own sub-response, so results are decoded exactly as outside a
transaction. KMS runs the operations in order and stops at the first failure
without rolling back: that operation's mapped exception is raised from the
``async with`` (and set on its future); the operations after it did not run,
so their futures are cancelled. If the block itself raises, nothing is sent.

Placeholders get their real id at commit; do not hash them before that.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from kurento.protocol.errors import KurentoError, ProtocolViolation

if TYPE_CHECKING:
    from kurento.client.client import KurentoClient
    from kurento.client.proxy import RemoteObject

Ps = ParamSpec("Ps")
T = TypeVar("T")

_RECORDING: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "kurento_client_recording", default=None)


def recording(client: KurentoClient) -> Transaction | None:
    """The transaction recording this client's next request, if any."""
    tx = _RECORDING.get()
    return tx if tx is not None and tx.client is client else None


class _Slot:
    """Where a recorded coroutine waits for its sub-response."""

    def __init__(self, placeholder: RemoteObject | None) -> None:
        self.placeholder = placeholder

    def __await__(self) -> Generator[Any, Any, dict[str, Any]]:
        result = yield self
        return cast("dict[str, Any]", result)


@dataclass
class _Operation:
    method: str
    params: dict[str, Any]
    slot: _Slot
    coroutine: Coroutine[Any, Any, Any] | None = None
    future: asyncio.Future[Any] | None = None


class Transaction:
    def __init__(self, client: KurentoClient) -> None:
        self.client = client
        self._operations: list[_Operation] = []
        self._open = True

    async def __aenter__(self) -> Transaction:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is not None:
            self._abandon()
            return
        await self.commit()

    # --- recording --------------------------------------------------------------------

    def create(self, factory: Callable[Ps, Coroutine[Any, Any, T]], /,
               *args: Ps.args, **kwargs: Ps.kwargs) -> T:
        """Record ``await factory(*args, **kwargs)`` (a ``Class.create``); return the
        placeholder proxy, usable in later operations of this transaction."""
        operation = self._step(factory(*args, **kwargs))
        if operation.slot.placeholder is None:
            self._operations.pop()
            _cancel(operation)
            raise TypeError("tx.create() takes a create function, e.g. PassThrough.create")
        return cast(T, operation.slot.placeholder)

    def invoke(self, method: Callable[Ps, Coroutine[Any, Any, T]], /,
               *args: Ps.args, **kwargs: Ps.kwargs) -> asyncio.Future[T]:
        """Record ``await method(*args, **kwargs)``; its result arrives after commit."""
        operation = self._step(method(*args, **kwargs))
        assert operation.future is not None
        return operation.future

    def record(self, method: str, params: dict[str, Any],
               creates: type[RemoteObject] | None = None) -> _Slot:
        """Called by the client instead of sending, while a coroutine is being stepped."""
        index = len(self._operations)
        placeholder = creates(self.client, f"newref:{index}") if creates is not None else None
        slot = _Slot(placeholder)
        self._operations.append(_Operation(method, params, slot))
        return slot

    def _step(self, coroutine: Coroutine[Any, Any, Any]) -> _Operation:
        if not self._open:
            coroutine.close()
            raise RuntimeError("this transaction is already committed")
        count = len(self._operations)
        token = _RECORDING.set(self)
        try:
            yielded = coroutine.send(None)
        except StopIteration:
            raise TypeError("the call finished without a remote operation") from None
        finally:
            _RECORDING.reset(token)
        if len(self._operations) != count + 1 or yielded is not self._operations[-1].slot:
            coroutine.close()
            del self._operations[count:]
            raise TypeError("only single remote operations can be put in a transaction")
        operation = self._operations[-1]
        operation.coroutine = coroutine
        operation.future = asyncio.get_running_loop().create_future()
        return operation

    # --- committing ---------------------------------------------------------------------

    async def commit(self) -> None:
        """Send the batch (done by ``async with``); raise the first failure's error."""
        if not self._open:
            return
        self._open = False
        if not self._operations:
            return
        batch = [{"id": i, "jsonrpc": "2.0", "method": op.method, "params": op.params}
                 for i, op in enumerate(self._operations)]
        try:
            result = await self.client._request("transaction", {"operations": batch})
            responses = result.get("value")
            if not isinstance(responses, list):
                raise ProtocolViolation(f"transaction: no response list in {result!r:.100}")
        except BaseException:
            self._abandon()
            raise
        failure: KurentoError | None = None
        for index, operation in enumerate(self._operations):
            response = responses[index] if index < len(responses) else None
            if not isinstance(response, dict):
                _cancel(operation)
            elif response.get("error") is not None:
                error = KurentoError.from_wire(response["error"])
                failure = failure or error
                _resume(operation, error=error)
            else:
                sub = response.get("result")
                sub = sub if isinstance(sub, dict) else {}
                if operation.slot.placeholder is not None:
                    operation.slot.placeholder._bind(str(sub.get("value")))
                _resume(operation, result=sub)
        if failure is not None:
            raise failure

    def _abandon(self) -> None:
        self._open = False
        for operation in self._operations:
            _cancel(operation)


def _cancel(operation: _Operation) -> None:
    if operation.coroutine is not None:
        operation.coroutine.close()
    if operation.future is not None:
        operation.future.cancel()


def _resume(operation: _Operation, *, result: dict[str, Any] | None = None,
            error: BaseException | None = None) -> None:
    """Let a parked coroutine finish with its sub-response; settle its future."""
    coroutine, future = operation.coroutine, operation.future
    assert coroutine is not None and future is not None
    try:
        if error is not None:
            coroutine.throw(error)
        else:
            coroutine.send(result)
    except StopIteration as stop:
        future.set_result(stop.value)
        return
    except Exception as exc:
        future.set_exception(exc)
        if exc is error:
            future.exception()  # raised from ``async with`` already: not "never retrieved"
        return
    coroutine.close()
    future.set_exception(RuntimeError("a transaction operation tried a second request"))
