"""The Kurento Protocol methods (reference §1.2, §1.3, §1.6).

``Dispatcher.handle_text`` takes one text frame and the connection it came on,
and returns the response message (or ``None`` for nothing to send).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from kurento.api.naming import snake_case
from kurento.objects.base import MediaObject
from kurento.protocol import errors as e
from kurento.protocol.jsonrpc import (
    Request,
    error_message,
    parse_request,
    request_from_object,
    result_message,
)
from kurento.server.core import MediaServerCore
from kurento.server.resources import check_resources
from kurento.server.sessions import Connection, Session

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Session | None], Awaitable[dict[str, Any] | None]]
NEWREF = "newref:"
# Methods handled before a session is looked up or created.
_SPECIAL = frozenset({"ping", "connect", "keepAlive", "closeSession"})


def _member(params: dict[str, Any], name: str, kind: type, what: str,
            required: bool = True) -> Any:
    """A top-level params member, checked like KMS does (-32000, no data)."""
    if name not in params or params[name] is None:
        if required:
            raise e.ServerError(f"'{name}' parameter is required")
        return None
    value = params[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise e.ServerError(f"'{name}' parameter should be {what}")
    return value


class Dispatcher:
    def __init__(self, core: MediaServerCore) -> None:
        self.core = core
        self.handlers: dict[str, Handler] = {
            "create": self._create,
            "describe": self._describe,
            "invoke": self._invoke,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "release": self._release,
            "ref": self._ref,
            "unref": self._unref,
            "transaction": self._transaction,
        }

    # --- frames ------------------------------------------------------------------------

    async def handle_text(self, text: str | bytes, connection: Connection) -> dict[str, Any] | None:
        try:
            request = parse_request(text)
        except e.KurentoError as error:
            return error_message(None, error)
        response = await self.handle(request, connection)
        if request.is_notification and response is not None:
            # KMS runs notifications, then complains that it cannot answer them.
            data = response.get("result")
            return error_message(
                None, e.ServerError("Ignoring response because of a notification request", data)
            )
        return response

    async def handle(self, request: Request, connection: Connection | None) -> dict[str, Any]:
        bound = self.core.sessions.session_of(connection) if connection is not None else None
        params = request.params
        if params is None and bound is not None:
            params = {"sessionId": bound}
        elif isinstance(params, dict) and "sessionId" not in params and bound is not None:
            params = {**params, "sessionId": bound}
        if request.method not in _SPECIAL and request.method not in self.handlers:
            return error_message(request.id, e.MethodNotFound())
        if params is not None and not isinstance(params, dict):
            return error_message(request.id, e.InvalidParams())
        session_id = params.get("sessionId") if params else None
        if session_id is not None and not isinstance(session_id, str):
            return error_message(
                request.id, e.ServerError("'sessionId' parameter should be a string")
            )
        cached = self.core.cache.get(session_id, request.id)
        if cached is not None:
            return cached
        response = await self._run(request, params or {}, session_id, connection)
        result = response.get("result")
        if connection is not None and isinstance(result, dict) and "sessionId" in result:
            session = self.core.sessions.ensure(result["sessionId"])
            self.core.sessions.bind(session, connection)
        self.core.cache.put(session_id or _sid(result), request.id, response)
        return response

    async def _run(self, request: Request, params: dict[str, Any], session_id: str | None,
                   connection: Connection | None) -> dict[str, Any]:
        try:
            if request.method == "ping":
                result: dict[str, Any] | None = {"value": "pong"}
                if session_id is not None:
                    result = {"sessionId": session_id, "value": "pong"}
            elif request.method == "connect":
                result = self._connect(params)
            elif not params:
                raise e.InvalidParams()
            elif request.method == "keepAlive":
                result = self._keep_alive(params)
            elif request.method == "closeSession":
                await self._close_session(params)
                result = None
            else:
                session = self.core.sessions.ensure(session_id)
                result = await self.handlers[request.method](params, session)
            return result_message(request.id, result)
        except e.KurentoError as error:
            return error_message(request.id, error)
        except Exception as error:
            # Tracebacks never go on the wire: log, and send the generic error.
            log.exception("%s failed", request.method)
            return error_message(
                request.id,
                e.InternalError(f"Unexpected error while processing method: {error}"),
            )

    # --- sessions ------------------------------------------------------------------------

    def _connect(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = _member(params, "sessionId", str, "a string", required=False)
        if session_id is not None:
            session = self.core.sessions.get(session_id)
            if session is None:
                raise e.InvalidSession()
        else:
            session = self.core.sessions.ensure(None)
        session.in_use = True
        return {"serverId": self.core.server_id, "sessionId": session.id}

    def _keep_alive(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = _member(params, "sessionId", str, "a string")
        session = self.core.sessions.get(session_id)
        if session is None:
            raise e.InvalidSession()
        session.in_use = True
        return {"sessionId": session.id}

    async def _close_session(self, params: dict[str, Any]) -> None:
        session = self.core.sessions.get(_member(params, "sessionId", str, "a string"))
        if session is None:
            raise e.InvalidSession()
        release = bool(params.get("release", False))
        await self.core.release_session(session, release_objects=release)

    # --- objects -------------------------------------------------------------------------

    def resolve(self, object_id: str, expected: str | None = None) -> MediaObject:
        if object_id.startswith(NEWREF):
            raise e.MediaObjectNotFoundTransactionNoCommit(
                f"Object '{object_id}' not found (transaction not committed)"
            )
        obj = self.core.store.get(object_id)
        if obj is None:
            raise e.MediaObjectNotFound(f"Object '{object_id}' not found")
        if expected is not None and not self.core.registry.is_a(obj.TYPE, expected):
            raise e.MarshallError(f"Object '{object_id}' is not a {expected}")
        return obj

    async def _create(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        type_name = _member(params, "type", str, "a string")
        short = type_name.removeprefix("kurento.")
        factory = self.core.factories.get(short)
        if factory is None:
            raise e.MediaObjectNotAvailable(f"Factory '{type_name}' not found")
        declared = self.core.registry.constructor(short) or ()
        bound = self.core.marshaller.bind(
            declared, params.get("constructorParams"), self.resolve, "constructorParams"
        )
        check_resources(self.core.settings.resource_exception_limit)
        parent = bound.get("mediaPipeline") or bound.get("hub")
        obj = factory(self.core, parent, bound)
        await obj.start()
        await self.core.register(obj, session)
        return {"sessionId": session.id, "value": obj.id}

    async def _describe(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        obj = self.resolve(_member(params, "object", str, "a string"))
        self.core.reference(obj, session)
        registry = self.core.registry
        return {
            "hierarchy": [registry.qualified(name) for name in registry.ancestors(obj.TYPE)],
            "qualifiedType": registry.qualified(obj.TYPE),
            "sessionId": session.id,
            "type": obj.TYPE,
        }

    async def _invoke(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        obj = self.resolve(_member(params, "object", str, "a string"))
        operation_name = _member(params, "operation", str, "a string")
        given = params.get("operationParams")
        self.core.reference(obj, session)
        operation = self.core.registry.operations(obj.TYPE).get(operation_name)
        if operation is None:
            count = len(given) if isinstance(given, dict) else 0
            raise e.MalformedTransaction(
                f"Method '{operation_name}' with {count} parameters not found"
            )
        bound = self.core.marshaller.bind(
            operation.params, given, self.resolve, "operationParams"
        )
        implementation = getattr(obj, snake_case(operation_name), None)
        if implementation is not None:
            value = implementation(**{snake_case(k): v for k, v in bound.items()})
            if inspect.isawaitable(value):
                value = await value
        elif operation.property is not None:
            prop = operation.property
            if operation.is_setter:
                obj.props[prop.name] = bound[prop.name]
                value = None
            else:
                # KMS default-initialises properties the KMD gives no default for.
                value = obj.props.get(prop.name, _ZERO.get(prop.type))
        else:
            raise e.NotImplementedKurento(
                f"'{operation_name}' is not implemented by this server for {obj.TYPE}"
            )
        return {"sessionId": session.id,
                "value": self.core.marshaller.to_wire(value, operation.returns)}

    async def _subscribe(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        obj = self.resolve(_member(params, "object", str, "a string"))
        event = _member(params, "type", str, "a string")
        if event not in self.core.registry.subscribable_events(obj.TYPE):
            raise e.MediaObjectEventNotSupported(f"Event '{event}' not supported")
        self.core.reference(obj, session)
        subscription = self.core.events.subscribe(session, obj.id, event)
        return {"sessionId": session.id, "value": subscription}

    async def _unsubscribe(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        subscription = _member(params, "subscription", str, "a string")
        self.core.events.unsubscribe(session, subscription)
        return {"sessionId": session.id}

    async def _release(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        object_id = _member(params, "object", str, "a string")
        if object_id.startswith(NEWREF):
            self.resolve(object_id)
        obj = self.core.store.get(object_id)
        if obj is not None and obj is not self.core.manager:
            await self.core.store.release(obj)
        return {"sessionId": session.id}

    async def _ref(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        self.core.reference(self.resolve(_member(params, "object", str, "a string")), session)
        return {"sessionId": session.id}

    async def _unref(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        object_id = _member(params, "object", str, "a string")
        session.references.discard(object_id)
        await self.core.store.unreference(object_id, session.id)
        return {"sessionId": session.id}

    # --- transactions ----------------------------------------------------------------

    async def _transaction(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        assert session is not None
        operations = _member(params, "operations", list, "an array")
        responses: list[dict[str, Any]] = []
        for index, raw in enumerate(operations):
            response = await self._transaction_step(index, raw, responses, session)
            responses.append(response)
            if "error" in response:
                break  # stop at the first failure; nothing is rolled back
        return {"sessionId": session.id, "value": responses}

    async def _transaction_step(self, index: int, raw: Any, done: list[dict[str, Any]],
                                session: Session) -> dict[str, Any]:
        request_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            if request_id != index or isinstance(request_id, bool):
                raise e.MalformedTransaction(f"Id of request '{index}' should be '{index}'")
            request = request_from_object(raw)
            if request.method == "transaction":
                raise e.MalformedTransaction("Transactions cannot be nested")
            sub_params = _substitute(request.params or {}, done)
            if not isinstance(sub_params, dict):
                raise e.InvalidParams()
            sub_params["sessionId"] = session.id
        except e.KurentoError as error:
            return error_message(request_id, error)
        return await self._run(request, sub_params, session.id, None)


def _substitute(value: Any, done: list[dict[str, Any]]) -> Any:
    """Replace every ``"newref:N"`` string, at any depth, with operation N's value."""
    if isinstance(value, str) and value.startswith(NEWREF):
        try:
            index = int(value[len(NEWREF):])
        except ValueError:
            raise e.MalformedTransaction(f"Invalid index of newref '{value}'") from None
        if not 0 <= index < len(done):
            raise e.MalformedTransaction(f"Invalid index of newref '{value}'")
        result = done[index].get("result")
        if not isinstance(result, dict) or "value" not in result:
            raise e.MalformedTransaction(f"Result not found on request {index}")
        return result["value"]
    if isinstance(value, dict):
        return {k: _substitute(v, done) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, done) for v in value]
    return value


_ZERO: dict[str, Any] = {"int": 0, "int64": 0, "float": 0.0, "double": 0.0, "boolean": False,
                         "String": ""}


def _sid(result: Any) -> str | None:
    if isinstance(result, dict) and isinstance(result.get("sessionId"), str):
        return str(result["sessionId"])
    return None
