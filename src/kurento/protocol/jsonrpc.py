"""JSON-RPC 2.0 as Kurento speaks it: text in, typed messages out, and back.

No I/O here. Reference: kurento-protocol.md §1.1 (one compact JSON object per
text frame, keys sorted like KMS's JsonCpp) and §1.2 (envelope rules).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kurento.protocol.errors import InvalidRequest, KurentoError, ParseError, ProtocolViolation

JsonId = int | str | None


@dataclass(frozen=True)
class Request:
    """A request (``id`` present) or notification (``is_notification``)."""

    method: str
    params: Any
    id: JsonId = None
    is_notification: bool = False


@dataclass(frozen=True)
class Response:
    id: JsonId
    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Notification:
    """A server→client message without id (Kurento sends only ``onEvent``)."""

    method: str
    params: Any


def encode(message: Any) -> str:
    """Compact JSON with sorted keys, as KMS writes it, so traces diff cleanly."""
    return json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_to_wire(request: Request) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": request.method}
    if request.params is not None:
        message["params"] = request.params
    if not request.is_notification:
        message["id"] = request.id
    return message


def result_message(request_id: JsonId, result: Any) -> dict[str, Any]:
    return {"id": request_id, "jsonrpc": "2.0", "result": result}


def error_message(request_id: JsonId, error: KurentoError) -> dict[str, Any]:
    return {"error": error.to_wire(), "id": request_id, "jsonrpc": "2.0"}


def notification_message(method: str, params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def _loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseError() from exc


def parse_request(text: str | bytes) -> Request:
    """Parse one client frame, or raise the error KMS would answer with (id null).

    Batches (top-level arrays) are refused like KMS does: -32600.
    """
    message = _loads(text)
    return request_from_object(message)


def request_from_object(message: Any) -> Request:
    if not isinstance(message, dict):
        raise InvalidRequest()
    if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        raise InvalidRequest()
    has_id = "id" in message
    request_id = message.get("id")
    if has_id and not (
        request_id is None
        or isinstance(request_id, str)
        or (isinstance(request_id, int | float) and not isinstance(request_id, bool))
    ):
        raise InvalidRequest()
    if isinstance(request_id, float) and request_id.is_integer():
        request_id = int(request_id)
    return Request(
        method=message["method"],
        params=message.get("params"),
        id=request_id,
        is_notification=not has_id,
    )


def parse_incoming(text: str | bytes) -> Response | Notification | Request:
    """Parse one server frame on the client side.

    A malformed frame is the peer's fault: ``ProtocolViolation``.
    """
    try:
        message = _loads(text)
    except ParseError as exc:
        raise ProtocolViolation(f"invalid JSON from server: {text!r:.200}") from exc
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise ProtocolViolation(f"not a JSON-RPC 2.0 message: {text!r:.200}")
    if "method" in message:
        if "id" in message:
            return Request(method=message["method"], params=message.get("params"),
                           id=message["id"])
        return Notification(method=message["method"], params=message.get("params"))
    if "result" in message or "error" in message:
        error = message.get("error")
        if error is not None and not isinstance(error, dict):
            raise ProtocolViolation(f"error member is not an object: {text!r:.200}")
        return Response(id=message.get("id"), result=message.get("result"), error=error)
    raise ProtocolViolation(f"neither request nor response: {text!r:.200}")
