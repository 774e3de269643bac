"""The sans-I/O JSON-RPC core: exact envelopes and errors (reference §1.1-1.2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kurento.protocol import errors as e
from kurento.protocol.jsonrpc import (
    Notification,
    Request,
    Response,
    encode,
    error_message,
    parse_incoming,
    parse_request,
    result_message,
)


def test_encode_is_compact_with_sorted_keys_like_kms() -> None:
    message = result_message(3, {"value": None, "sessionId": "S"})
    assert encode(message) == '{"id":3,"jsonrpc":"2.0","result":{"sessionId":"S","value":null}}'


def test_kurento_error_carries_data_type() -> None:
    text = encode(error_message(14, e.MalformedTransaction("Method 'x' with 0 parameters not found")))
    assert text == (
        '{"error":{"code":40008,"data":{"type":"MALFORMED_TRANSACTION"},'
        '"message":"Method \'x\' with 0 parameters not found"},"id":14,"jsonrpc":"2.0"}'
    )


def test_jsonrpc_level_errors_have_no_data_except_invalid_params() -> None:
    assert e.InvalidRequest().to_wire() == {"code": -32600, "message": "Invalid JSON-RPC request."}
    assert e.MethodNotFound().to_wire() == {"code": -32601, "message": "Method not found."}
    assert e.ServerError("'object' parameter is required").to_wire() == {
        "code": -32000, "message": "'object' parameter is required"}
    assert e.InvalidParams().to_wire() == {
        "code": -32602, "message": "'params' is required", "data": {"type": "INVALID_PARAMS"}}


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '[{"jsonrpc":"2.0","method":"ping","id":1}]',
        '"ping"',
        "42",
        '{"method":"ping","id":1}',
        '{"jsonrpc":"1.0","method":"ping","id":1}',
        '{"jsonrpc":"2.0","method":7,"id":1}',
        '{"jsonrpc":"2.0","method":"ping","id":[1]}',
        '{"jsonrpc":"2.0","method":"ping","id":{"a":1}}',
        '{"jsonrpc":"2.0","method":"ping","id":true}',
    ],
)
def test_invalid_requests_are_32600(text: str) -> None:
    with pytest.raises(e.InvalidRequest):
        parse_request(text)


@pytest.mark.parametrize("text", ["{", "", "nul", '{"a":}', "\x00", b"\xff\xfe"])
def test_malformed_json_is_a_parse_error(text: str | bytes) -> None:
    with pytest.raises(e.ParseError):
        parse_request(text)


def test_request_fields() -> None:
    request = parse_request('{"jsonrpc":"2.0","method":"ping","params":{"interval":5000},"id":0}')
    assert request == Request("ping", {"interval": 5000}, 0)
    notification = parse_request('{"jsonrpc":"2.0","method":"ping"}')
    assert notification.is_notification
    assert parse_request('{"jsonrpc":"2.0","method":"x","id":"abc"}').id == "abc"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_any_text_gives_a_request_or_a_documented_error(text: str) -> None:
    try:
        result = parse_request(text)
    except (e.ParseError, e.InvalidRequest):
        return
    assert isinstance(result, Request)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(["jsonrpc", "method", "id", "params", "x"]), json_values))
def test_any_json_object_gives_a_request_or_invalid_request(message: dict[str, Any]) -> None:
    try:
        result = parse_request(json.dumps(message))
    except e.InvalidRequest:
        return
    assert result.method == message["method"]


def test_client_side_parsing() -> None:
    assert parse_incoming('{"id":1,"jsonrpc":"2.0","result":{"value":"pong"}}') == Response(
        1, {"value": "pong"})
    event = parse_incoming('{"jsonrpc":"2.0","method":"onEvent","params":{"value":{}}}')
    assert event == Notification("onEvent", {"value": {}})
    for bad in ("{", "[]", '{"jsonrpc":"2.0"}', '{"jsonrpc":"2.0","id":1,"error":5}'):
        with pytest.raises(e.ProtocolViolation):
            parse_incoming(bad)


def test_every_error_code_round_trips_to_its_class() -> None:
    for code, klass in e.ERRORS_BY_CODE.items():
        wire = klass("boom").to_wire()
        back = e.KurentoError.from_wire(wire)
        assert type(back) is klass and back.code == code and back.message == "boom"
    unknown = e.KurentoError.from_wire({"code": 49001, "message": "custom"})
    assert isinstance(unknown, e.UnknownCodeError)


def test_error_names_match_the_reference() -> None:
    names = {code: k.type_name for code, k in e.ERRORS_BY_CODE.items() if code > 0}
    assert names[40007] == "INVALID_SESSION"
    assert names[40210] == "SDP_END_POINT_ANSWER_ALREADY_PROCCESED"
    assert names[40211] == "SDP_END_POINT_CANNOT_CREATE_SESSON"
    assert names[40109] == "MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT"
    assert len(names) == 36
