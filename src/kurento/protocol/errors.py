"""Every error of the Kurento Protocol, in one table shared by server and client.

Reference: kurento-protocol.md §1.2 (JSON-RPC level) and §1.7 (Kurento codes).
A Kurento error always carries ``data.type`` (its symbolic name); the JSON-RPC
-32000 errors carry no ``data``; -32602 carries ``{"type": "INVALID_PARAMS"}``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class KurentoError(Exception):
    """An error with a Kurento Protocol code; raised by the server, received by the client."""

    code: ClassVar[int] = 40003
    type_name: ClassVar[str | None] = "UNEXPECTED_ERROR"
    default_message: ClassVar[str] = "Unexpected error"

    def __init__(self, message: str | None = None, data: Any = None) -> None:
        self.message = message if message is not None else self.default_message
        self.data = data
        super().__init__(self.message)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` member for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        elif self.type_name is not None:
            error["data"] = {"type": self.type_name}
        return error

    @classmethod
    def from_wire(cls, error: Any) -> KurentoError:
        """Build the exception class registered for ``error["code"]``."""
        if not isinstance(error, dict):
            return UnexpectedError(f"Malformed error: {error!r}")
        code = error.get("code")
        message = str(error.get("message", ""))
        data = error.get("data")
        klass = ERRORS_BY_CODE.get(code) if isinstance(code, int) else None
        if klass is None:
            unknown = UnknownCodeError(message, data)
            unknown.unknown_code = code if isinstance(code, int) else 0
            return unknown
        exc = klass.__new__(klass)
        KurentoError.__init__(exc, message, data)
        return exc


class UnknownCodeError(KurentoError):
    """An error code this table does not know (e.g. a custom module's 49xxx)."""

    type_name = "UNDEFINED"
    unknown_code: int = 0


# --- JSON-RPC level ---------------------------------------------------------------


class ParseError(KurentoError):
    code = -32700
    type_name = None
    default_message = "Parse error."


class InvalidRequest(KurentoError):
    code = -32600
    type_name = None
    default_message = "Invalid JSON-RPC request."


class MethodNotFound(KurentoError):
    code = -32601
    type_name = None
    default_message = "Method not found."


class InvalidParams(KurentoError):
    code = -32602
    type_name = "INVALID_PARAMS"
    default_message = "'params' is required"


class InternalError(KurentoError):
    code = -32603
    type_name = None
    default_message = "Unexpected error while processing method"


class ServerError(KurentoError):
    """-32000: a top-level ``params`` member is missing or has the wrong JSON type."""

    code = -32000
    type_name = None
    default_message = "Server error"


# --- Kurento level -----------------------------------------------------------------


def _kurento(code: int, name: str, message: str, doc: str) -> type[KurentoError]:
    return type(
        "".join(part.title() for part in name.split("_")) + "Error",
        (KurentoError,),
        {"code": code, "type_name": name, "default_message": message, "__doc__": doc},
    )


MarshallError = _kurento(40001, "MARSHALL_ERROR", "Marshall error", "Bad or missing parameter.")
UnexpectedError = _kurento(40003, "UNEXPECTED_ERROR", "Unexpected error", "Unexpected failure.")
ConnectError = _kurento(40004, "CONNECT_ERROR", "Connect error", "Elements cannot be connected.")
UnsupportedMediaType = _kurento(
    40005, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", "Media type not supported."
)
NotImplementedKurento = _kurento(
    40006, "NOT_IMPLEMENTED", "Not implemented", "Feature not implemented by this server."
)
InvalidSession = _kurento(40007, "INVALID_SESSION", "Invalid session", "Unknown session id.")
MalformedTransaction = _kurento(
    40008,
    "MALFORMED_TRANSACTION",
    "Malformed transaction",
    "Transaction errors, and unknown invoke operations (reference §5 item 4).",
)
NotEnoughResources = _kurento(
    40009, "NOT_ENOUGH_RESOURCES", "Not enough resources", "Process limits reached."
)
MediaObjectTypeNotFound = _kurento(
    40100, "MEDIA_OBJECT_TYPE_NOT_FOUND", "Type not found", "Unknown type."
)
MediaObjectNotFound = _kurento(
    40101, "MEDIA_OBJECT_NOT_FOUND", "Object not found", "No object with that id."
)
MediaObjectConstructorNotFound = _kurento(
    40104, "MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND", "Constructor not found", "No such constructor."
)
MediaObjectMethodNotFound = _kurento(
    40105, "MEDIA_OBJECT_METHOD_NOT_FOUND", "Method not found", "Defined by KMS, never sent."
)
MediaObjectEventNotSupported = _kurento(
    40106, "MEDIA_OBJECT_EVENT_NOT_SUPPORTED", "Event not supported", "Unknown event type."
)
MediaObjectIllegalParamError = _kurento(
    40107, "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR", "Illegal parameter", "Parameter value refused."
)
MediaObjectNotAvailable = _kurento(
    40108, "MEDIA_OBJECT_NOT_AVAILABLE", "Object not available", "No factory for that type."
)
MediaObjectNotFoundTransactionNoCommit = _kurento(
    40109,
    "MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT",
    "Object not found, transaction not committed",
    "A newref: id used outside its transaction.",
)
MediaObjectTagKeyNotFound = _kurento(
    40110, "MEDIA_OBJECT_TAG_KEY_NOT_FOUND", "Tag key not found", "getTag of a missing key."
)
MediaObjectOperationNotSupported = _kurento(
    40111,
    "MEDIA_OBJECT_OPERATION_NOT_SUPPORTED",
    "Operation not supported",
    "The object cannot do that in its current configuration.",
)
SdpCreateError = _kurento(40200, "SDP_CREATE_ERROR", "SDP create error", "SDP creation failed.")
SdpParseError = _kurento(40201, "SDP_PARSE_ERROR", "Error parsing SDP", "SDP text invalid.")
SdpNoLocalSdp = _kurento(
    40202, "SDP_END_POINT_NO_LOCAL_SDP_ERROR", "No local SDP", "No local description yet."
)
SdpNoRemoteSdp = _kurento(
    40203, "SDP_END_POINT_NO_REMOTE_SDP_ERROR", "No remote SDP", "No remote description yet."
)
SdpGenerateOfferError = _kurento(
    40204, "SDP_END_POINT_GENERATE_OFFER_ERROR", "Generate offer error", "Offer failed."
)
SdpProcessOfferError = _kurento(
    40205, "SDP_END_POINT_PROCESS_OFFER_ERROR", "Process offer error", "Offer refused."
)
SdpProcessAnswerError = _kurento(
    40206, "SDP_END_POINT_PROCESS_ANSWER_ERROR", "Process answer error", "Answer refused."
)
SdpConfigurationError = _kurento(
    40207, "SDP_CONFIGURATION_ERROR", "SDP configuration error", "Bad SDP configuration."
)
SdpAlreadyNegotiated = _kurento(
    40208, "SDP_END_POINT_ALREADY_NEGOTIATED", "Endpoint already negotiated", "One negotiation."
)
SdpNotOfferGenerated = _kurento(
    40209, "SDP_END_POINT_NOT_OFFER_GENERATED", "Offer not generated", "No offer to answer."
)
SdpAnswerAlreadyProcessed = _kurento(
    40210,
    "SDP_END_POINT_ANSWER_ALREADY_PROCCESED",
    "Answer already processed",
    "Second processAnswer (KMS spells the name this way).",
)
SdpCannotCreateSession = _kurento(
    40211, "SDP_END_POINT_CANNOT_CREATE_SESSON", "Cannot create session", "Misspelt as in KMS."
)
HttpEndPointRegistrationError = _kurento(
    40300, "HTTP_END_POINT_REGISTRATION_ERROR", "HTTP registration error", "HTTP endpoint."
)
IceGatherCandidatesError = _kurento(
    40400, "ICE_GATHER_CANDIDATES_ERROR", "Error gathering candidates", "ICE gathering."
)
IceAddCandidateError = _kurento(
    40401, "ICE_ADD_CANDIDATE_ERROR", "Error adding candidate", "Remote candidate refused."
)
KmdNotFound = _kurento(
    40500, "SERVER_MANAGER_ERROR_KMD_NOT_FOUND", "Module not found", "getKmd of unknown module."
)
UriPathFileNotFound = _kurento(
    40600, "URI_PATH_FILE_NOT_FOUND", "URI path file not found", "URI cannot be used."
)
PlayerSeekFail = _kurento(40700, "PLAYER_SEEK_FAIL", "Seek failed", "setPosition failed.")


ERRORS_BY_CODE: dict[int, type[KurentoError]] = {
    klass.code: klass
    for klass in (
        ParseError,
        InvalidRequest,
        MethodNotFound,
        InvalidParams,
        InternalError,
        ServerError,
        MarshallError,
        UnexpectedError,
        ConnectError,
        UnsupportedMediaType,
        NotImplementedKurento,
        InvalidSession,
        MalformedTransaction,
        NotEnoughResources,
        MediaObjectTypeNotFound,
        MediaObjectNotFound,
        MediaObjectConstructorNotFound,
        MediaObjectMethodNotFound,
        MediaObjectEventNotSupported,
        MediaObjectIllegalParamError,
        MediaObjectNotAvailable,
        MediaObjectNotFoundTransactionNoCommit,
        MediaObjectTagKeyNotFound,
        MediaObjectOperationNotSupported,
        SdpCreateError,
        SdpParseError,
        SdpNoLocalSdp,
        SdpNoRemoteSdp,
        SdpGenerateOfferError,
        SdpProcessOfferError,
        SdpProcessAnswerError,
        SdpConfigurationError,
        SdpAlreadyNegotiated,
        SdpNotOfferGenerated,
        SdpAnswerAlreadyProcessed,
        SdpCannotCreateSession,
        HttpEndPointRegistrationError,
        IceGatherCandidatesError,
        IceAddCandidateError,
        KmdNotFound,
        UriPathFileNotFound,
        PlayerSeekFail,
    )
}


class ProtocolViolation(Exception):
    """The peer broke the protocol (e.g. a response that is not JSON-RPC); h11-style split."""


class ConnectionClosed(Exception):
    """The WebSocket closed while a request was pending."""


class RequestTimeout(Exception):
    """No response arrived within the request timeout."""
