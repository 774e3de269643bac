"""Our description of Kurento's ``elements`` module (KMD version 7.3.0).

Endpoints (WebRTC, RTP, player, recorder, HTTP POST) and hubs (Composite,
AlphaBlending, Mixer, Dispatcher, DispatcherOneToMany). The facts follow
Kurento's interface definition; the wording of every ``doc`` is ours.
"""

from __future__ import annotations

from kurento.api import build
from kurento.api.build import enum, method, opt, p, prop, struct
from kurento.api.model import Event, Module, Param, RemoteClass


def event(name: str, doc: str, *fields: Param) -> Event:
    """Every event of this module derives from core's ``Media``."""
    return build.event(name, "Media", doc, *fields)


def _pipeline(what: str) -> Param:
    return p("mediaPipeline", "MediaPipeline", f"Pipeline that will own the {what}.")


# --- hubs ----------------------------------------------------------------------------

COMPOSITE = RemoteClass(
    "Composite",
    extends="Hub",
    constructor=(
        _pipeline("hub"),
        opt("width", "int", "Width of the output picture in pixels.", 800),
        opt("height", "int", "Height of the output picture in pixels.", 600),
        opt("framerate", "int", "Frame rate of the output in frames per second.", 15),
    ),
    doc="Hub that mixes the audio of all its ports and tiles their video into one grid.",
)

ALPHA_BLENDING = RemoteClass(
    "AlphaBlending",
    extends="Hub",
    constructor=(_pipeline("hub"),),
    methods=(
        method(
            "setMaster",
            "Choose the port whose picture is the background of the blend.",
            p("source", "HubPort", "Port that becomes the master."),
            p("zOrder", "int", "Stacking position of the master picture."),
        ),
        method(
            "setPortProperties",
            "Place one port's picture on top of the master picture.",
            p("relativeX", "float", "Left edge, as a fraction (0 to 1) of the master width."),
            p("relativeY", "float", "Top edge, as a fraction (0 to 1) of the master height."),
            p("zOrder", "int", "Stacking position; higher values are drawn on top."),
            p("relativeWidth", "float", "Width as a fraction (0 to 1) of the master width."),
            p("relativeHeight", "float", "Height as a fraction (0 to 1) of the master height."),
            p("port", "HubPort", "Port being placed."),
        ),
    ),
    doc="Hub that overlays the video of its ports on a master picture and mixes their audio.",
)

MIXER = RemoteClass(
    "Mixer",
    extends="Hub",
    constructor=(_pipeline("hub"),),
    methods=(
        method(
            "connect",
            "Route one media type from a source port to a sink port.",
            p("media", "MediaType", "Kind of media to route."),
            p("source", "HubPort", "Port the media comes from."),
            p("sink", "HubPort", "Port the media goes to."),
        ),
        method(
            "disconnect",
            "Remove a route set up with connect.",
            p("media", "MediaType", "Kind of media to stop routing."),
            p("source", "HubPort", "Port the media came from."),
            p("sink", "HubPort", "Port the media went to."),
        ),
    ),
    doc="Hub that routes video between chosen ports and mixes audio among them.",
)

DISPATCHER = RemoteClass(
    "Dispatcher",
    extends="Hub",
    constructor=(_pipeline("hub"),),
    methods=(
        method(
            "connect",
            "Send every media type of a source port to a sink port.",
            p("source", "HubPort", "Port the media comes from."),
            p("sink", "HubPort", "Port the media goes to."),
        ),
    ),
    doc="Hub that routes media between any chosen pairs of ports.",
)

DISPATCHER_ONE_TO_MANY = RemoteClass(
    "DispatcherOneToMany",
    extends="Hub",
    constructor=(_pipeline("hub"),),
    methods=(
        method(
            "setSource",
            "Broadcast the media of one port to every other port.",
            p("source", "HubPort", "Port to broadcast."),
        ),
        method("removeSource", "Stop broadcasting and forget the source port."),
    ),
    doc="Hub that broadcasts one port's media to all the others.",
)

# --- endpoints -----------------------------------------------------------------------

HTTP_ENDPOINT = RemoteClass(
    "HttpEndpoint",
    extends="SessionEndpoint",
    abstract=True,
    methods=(method("getUrl", "The URL at which the endpoint can be reached.", returns="String"),),
    doc="Endpoint through which HTTP clients exchange media with the server.",
)

HTTP_POST_ENDPOINT = RemoteClass(
    "HttpPostEndpoint",
    extends="HttpEndpoint",
    constructor=(
        _pipeline("endpoint"),
        opt(
            "disconnectionTimeout",
            "int",
            "How long to wait for the client to come back after its connection drops.",
            2,
        ),
        opt(
            "useEncodedMedia",
            "boolean",
            "Pass uploaded media on without decoding it first.",
            False,
        ),
    ),
    events=("EndOfStream",),
    doc="Endpoint that receives media uploaded by an HTTP client with POST requests.",
)

PLAYER_ENDPOINT = RemoteClass(
    "PlayerEndpoint",
    extends="UriEndpoint",
    constructor=(
        _pipeline("endpoint"),
        p("uri", "String", "Where to read the media from (file, HTTP or RTSP)."),
        opt(
            "useEncodedMedia",
            "boolean",
            "Pass the media on without decoding it first.",
            False,
        ),
        opt("networkCache", "int", "Receive buffer for RTSP sources, in milliseconds.", 2000),
    ),
    properties=(
        prop("videoInfo", "VideoInfo", "Seekability and duration of the source.", read_only=True),
        prop(
            "elementGstreamerDot",
            "String",
            "Dot graph of the player's own internal GStreamer pipeline.",
            read_only=True,
        ),
        prop("position", "int64", "Playback position in ms; settable for seekable sources."),
    ),
    methods=(method("play", "Start reading the source and sending its media downstream."),),
    events=("EndOfStream",),
    doc="Endpoint that reads media from a file or network source and feeds it into a pipeline.",
)

RECORDER_ENDPOINT = RemoteClass(
    "RecorderEndpoint",
    extends="UriEndpoint",
    constructor=(
        _pipeline("endpoint"),
        p("uri", "String", "Where to write the recording (file or HTTP)."),
        opt(
            "mediaProfile",
            "MediaProfileSpecType",
            "Container and codecs of the recording.",
            "WEBM",
        ),
        opt(
            "stopOnEndOfStream",
            "boolean",
            "Finish the recording by itself when the input ends.",
            False,
        ),
    ),
    methods=(
        method("record", "Start writing the incoming media."),
        method("stopAndWait", "Stop recording and return only once everything is written."),
    ),
    events=("Recording", "Paused", "Stopped"),
    doc="Endpoint that stores the media it receives to a file or remote location.",
)

RTP_ENDPOINT = RemoteClass(
    "RtpEndpoint",
    extends="BaseRtpEndpoint",
    constructor=(
        _pipeline("endpoint"),
        opt("crypto", "SDES", "Keys and suite for SRTP; plain RTP when absent.", {}),
        opt("useIpv6", "boolean", "Use IPv6 instead of IPv4.", False),
    ),
    events=("OnKeySoftLimit",),
    doc="Endpoint that exchanges media over plain RTP or SRTP after an SDP negotiation.",
)

WEBRTC_ENDPOINT = RemoteClass(
    "WebRtcEndpoint",
    extends="BaseRtpEndpoint",
    constructor=(
        _pipeline("endpoint"),
        opt("recvonly", "boolean", "Only receive media from the peer.", False),
        opt("sendonly", "boolean", "Only send media to the peer.", False),
        opt("useDataChannels", "boolean", "Enable SCTP data channels.", False),
        opt("certificateKeyType", "CertificateKeyType", "Key type of the DTLS certificate.", "RSA"),
        opt("qosDscp", "DSCPValue", "DSCP mark to put on outgoing packets.", "NO_VALUE"),
    ),
    properties=(
        prop("networkInterfaces", "String", "Comma-separated interfaces to gather ICE on."),
        prop("iceTcp", "boolean", "Whether TCP candidates are gathered as well as UDP."),
        prop("stunServerAddress", "String", "IP address (not host name) of the STUN server."),
        prop("stunServerPort", "int", "Port number of the STUN server."),
        prop("turnUrl", "String", "TURN server as user:password@address:port with options."),
        prop("externalIPv4", "String", "Public IPv4 address to announce in local candidates."),
        prop("externalIPv6", "String", "Public IPv6 address to announce in local candidates."),
        prop(
            "ICECandidatePairs",
            "IceCandidatePair[]",
            "Candidate pair chosen by ICE for each stream.",
            read_only=True,
        ),
        prop(
            "IceConnectionState",
            "IceConnection[]",
            "ICE state of every stream and component.",
            read_only=True,
        ),
        prop(
            "DtlsConnectionState",
            "DtlsConnection[]",
            "DTLS state of every stream and component.",
            read_only=True,
        ),
    ),
    methods=(
        method(
            "gatherCandidates",
            "Start gathering local ICE candidates; each is reported with IceCandidateFound.",
        ),
        method(
            "addIceCandidate",
            "Add an ICE candidate received from the peer.",
            p("candidate", "IceCandidate", "The peer's candidate."),
        ),
        method(
            "createDataChannel",
            "Open a new data channel; needs data channels enabled and negotiated.",
            opt("label", "String", "Channel label.", ""),
            opt("ordered", "boolean", "Deliver messages in order.", True),
            opt("maxPacketLifeTime", "int", "Retransmit window in ms; -1 for none.", -1),
            opt("maxRetransmits", "int", "Retransmission limit; -1 for none.", -1),
            opt("protocol", "String", "Sub-protocol name.", ""),
        ),
        method(
            "closeDataChannel",
            "Close an open data channel.",
            p("channelId", "int", "Id of the channel to close."),
        ),
    ),
    events=(
        "IceCandidateFound",
        "IceGatheringDone",
        "IceComponentStateChanged",
        "DtlsConnectionStateChange",
        "DataChannelOpened",
        "DataChannelClosed",
        "NewCandidatePairSelected",
    ),
    doc="WebRTC peer: ICE, DTLS-SRTP and, optionally, data channels.",
)

# --- events --------------------------------------------------------------------------

EVENTS = (
    event("EndOfStream", "The media being sent out has reached its end."),
    event("Recording", "The recorder has begun writing media."),
    event("Paused", "The recorder has paused."),
    event("Stopped", "The recorder has stopped and written all its media."),
    event(
        "OnKeySoftLimit",
        "An SRTP key is close to its usage limit and will soon expire.",
        p("mediaType", "MediaType", "Stream whose key is running out."),
    ),
    event(
        "IceCandidateFound",
        "A local ICE candidate was found and should be sent to the peer.",
        p("candidate", "IceCandidate", "The new local candidate."),
    ),
    event("IceGatheringDone", "All local ICE candidates have been found."),
    event(
        "IceComponentStateChanged",
        "An ICE component changed state.",
        p("streamId", "int", "Stream of the component."),
        p("componentId", "int", "The component."),
        p("state", "IceComponentState", "The state entered."),
    ),
    event(
        "DtlsConnectionStateChange",
        "A DTLS connection changed state.",
        p("streamId", "String", "Stream of the connection."),
        p("componentId", "String", "Component of the connection."),
        p("connectionId", "String", "The DTLS connection."),
        p("state", "DtlsConnectionState", "The state entered."),
    ),
    event(
        "DataChannelOpened",
        "A data channel was opened.",
        p("channelId", "int", "Id of the channel."),
    ),
    event(
        "DataChannelClosed",
        "A data channel was closed.",
        p("channelId", "int", "Id of the channel."),
    ),
    event(
        "NewCandidatePairSelected",
        "ICE switched to a different pair of candidates.",
        p("candidatePair", "IceCandidatePair", "The pair now in use."),
    ),
)

# --- enums ---------------------------------------------------------------------------

ENUMS = (
    enum(
        "MediaProfileSpecType",
        "Container and codecs a recorder writes.",
        "WEBM",
        "MKV",
        "MP4",
        "WEBM_VIDEO_ONLY",
        "WEBM_AUDIO_ONLY",
        "MKV_VIDEO_ONLY",
        "MKV_AUDIO_ONLY",
        "MP4_VIDEO_ONLY",
        "MP4_AUDIO_ONLY",
        "JPEG_VIDEO_ONLY",
        "KURENTO_SPLIT_RECORDER",
        "FLV",
    ),
    enum(
        "GapsFixMethod",
        "How a recorder deals with holes left by lost packets.",
        "NONE",
        "GENPTS",
        "FILL_IF_TRANSCODING",
    ),
    enum(
        "CryptoSuite",
        "SRTP encryption and authentication suites.",
        "AES_128_CM_HMAC_SHA1_32",
        "AES_128_CM_HMAC_SHA1_80",
        "AES_256_CM_HMAC_SHA1_32",
        "AES_256_CM_HMAC_SHA1_80",
    ),
    enum(
        "IceComponentState",
        "State of an ICE component.",
        "DISCONNECTED",
        "GATHERING",
        "CONNECTING",
        "CONNECTED",
        "READY",
        "FAILED",
    ),
    enum(
        "DtlsConnectionState",
        "State of a DTLS connection.",
        "NEW",
        "CLOSED",
        "FAILED",
        "CONNECTING",
        "CONNECTED",
    ),
    enum("CertificateKeyType", "Key type of a DTLS certificate.", "RSA", "ECDSA"),
    enum(
        "DSCPValue",
        "DSCP marks for outgoing packets: WebRTC classes, Chrome presets and raw code points.",
        "NO_DSCP",
        "NO_VALUE",
        "AUDIO_VERYLOW",
        "AUDIO_LOW",
        "AUDIO_MEDIUM",
        "AUDIO_HIGH",
        "VIDEO_VERYLOW",
        "VIDEO_LOW",
        "VIDEO_MEDIUM",
        "VIDEO_MEDIUM_THROUGHPUT",
        "VIDEO_HIGH",
        "VIDEO_HIGH_THROUGHPUT",
        "DATA_VERYLOW",
        "DATA_LOW",
        "DATA_MEDIUM",
        "DATA_HIGH",
        "CHROME_HIGH",
        "CHROME_MEDIUM",
        "CHROME_LOW",
        "CHROME_VERYLOW",
        "CS0",
        "CS1",
        "CS2",
        "CS3",
        "CS4",
        "CS5",
        "CS6",
        "CS7",
        "AF11",
        "AF12",
        "AF13",
        "AF21",
        "AF22",
        "AF23",
        "AF31",
        "AF32",
        "AF33",
        "AF41",
        "AF42",
        "AF43",
        "EF",
        "VOICEADMIT",
        "LE",
    ),
)

# --- structs -------------------------------------------------------------------------

STRUCTS = (
    struct(
        "VideoInfo",
        "What a player knows about its source.",
        p("isSeekable", "boolean", "Whether the position can be changed."),
        p("seekableInit", "int64", "Earliest position one can seek to, in ms."),
        p("seekableEnd", "int64", "Latest position one can seek to, in ms."),
        p("duration", "int64", "Length of the media in ms."),
    ),
    struct(
        "SDES",
        "SRTP keying for an RtpEndpoint.",
        opt("key", "String", "Master key followed by master salt, as plain text."),
        opt("keyBase64", "String", "Master key followed by master salt, base64-encoded."),
        opt("crypto", "CryptoSuite", "Cipher suite to use."),
    ),
    struct(
        "IceCandidate",
        "An ICE candidate, shaped like the browser's RTCIceCandidate.",
        p("candidate", "String", "The candidate line."),
        p("sdpMid", "String", "Media stream identification tag."),
        p("sdpMLineIndex", "int", "Zero-based index of the SDP media section."),
    ),
    struct(
        "IceCandidatePair",
        "The local and remote candidates ICE chose for a stream.",
        p("streamId", "String"),
        p("componentId", "int"),
        p("localCandidate", "String"),
        p("remoteCandidate", "String"),
    ),
    struct(
        "IceConnection",
        "ICE state of one stream component.",
        p("streamId", "String"),
        p("componentId", "int"),
        p("state", "IceComponentState"),
    ),
    struct(
        "DtlsConnection",
        "DTLS state of one stream component.",
        p("streamId", "String"),
        p("componentId", "String"),
        p("connectionId", "String"),
        p("state", "DtlsConnectionState"),
    ),
)

ELEMENTS = Module(
    "elements",
    "7.3.0",
    classes=(
        COMPOSITE,
        ALPHA_BLENDING,
        MIXER,
        DISPATCHER,
        DISPATCHER_ONE_TO_MANY,
        HTTP_ENDPOINT,
        HTTP_POST_ENDPOINT,
        PLAYER_ENDPOINT,
        RECORDER_ENDPOINT,
        RTP_ENDPOINT,
        WEBRTC_ENDPOINT,
    ),
    events=EVENTS,
    enums=ENUMS,
    structs=STRUCTS,
    doc="Endpoints and hubs built on the core module.",
)
