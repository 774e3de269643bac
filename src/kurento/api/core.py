"""Our description of Kurento's ``core`` module (KMD version 7.3.0).

The facts (names, types, optional flags, defaults, access flags, inheritance)
follow Kurento's interface definition; the wording of every ``doc`` is ours.
"""

from __future__ import annotations

from kurento.api.build import enum, event, method, opt, p, prop, struct
from kurento.api.model import Module, Param, RemoteClass

_DOT_DETAILS = "How much detail to put in the graph."

# --- remote classes ----------------------------------------------------------------

MEDIA_OBJECT = RemoteClass(
    "MediaObject",
    abstract=True,
    doc="Root of every remote object: it has an id, a name, tags, a parent and children.",
    properties=(
        prop(
            "mediaPipeline",
            "MediaPipeline",
            "The pipeline this object lives in; a pipeline answers with itself.",
            final=True,
        ),
        prop(
            "parent",
            "MediaObject",
            "The object that owns this one; null for a pipeline.",
            final=True,
        ),
        prop(
            "id",
            "String",
            "Server-assigned identifier, prefixed by the parent's id when there is a parent.",
            final=True,
        ),
        prop("children", "MediaObject[]", "Objects owned by this one.", read_only=True),
        prop("name", "String", "Free-form label for debugging; the id unless set."),
        prop(
            "sendTagsInEvents",
            "boolean",
            "Whether the object's tags are attached to the events it raises.",
            default=False,
        ),
        prop(
            "creationTime",
            "int",
            "When the object was created, in seconds since the Unix epoch.",
            final=True,
        ),
    ),
    methods=(
        method(
            "addTag",
            "Attach a key/value tag, replacing the value if the key already exists.",
            p("key", "String", "Name of the tag."),
            p("value", "String", "Value to store under the key."),
        ),
        method(
            "removeTag",
            "Delete a tag; deleting a missing key is not an error.",
            p("key", "String", "Tag key to delete."),
        ),
        method(
            "getTag",
            "Read the value stored under a tag key; fails if the key is unknown.",
            p("key", "String", "Tag key to look up."),
            returns="String",
        ),
        method("getTags", "List every tag attached to the object.", returns="Tag[]"),
    ),
    events=("Error",),
)

SERVER_MANAGER = RemoteClass(
    "ServerManager",
    extends="MediaObject",
    abstract=True,
    doc="Singleton that reports on the media server itself: version, modules, load.",
    properties=(
        prop("info", "ServerInfo", "Server version, type and loaded modules.", read_only=True),
        prop(
            "pipelines",
            "MediaPipeline[]",
            "Every pipeline currently alive on the server.",
            read_only=True,
        ),
        prop("sessions", "String[]", "Ids of the sessions currently open.", read_only=True),
        prop("metadata", "String", "Free text the server was configured with.", read_only=True),
    ),
    methods=(
        method(
            "getKmd",
            "Return the interface description of a loaded module.",
            p("moduleName", "String", "Name of the module."),
            returns="String",
        ),
        method("getCpuCount", "Number of CPU cores the server may run on.", returns="int"),
        method(
            "getUsedCpu",
            "Average CPU usage of the server over a sampling window, as a percentage.",
            Param("interval", "int", default=1000, doc="Sampling window in milliseconds."),
            returns="float",
        ),
        method("getUsedMemory", "Memory used by the server, in KiB.", returns="int64"),
    ),
    events=("ObjectCreated", "ObjectDestroyed"),
)

MEDIA_PIPELINE = RemoteClass(
    "MediaPipeline",
    extends="MediaObject",
    constructor=(),
    doc="Container in which media elements and hubs are created and connected.",
    properties=(
        prop(
            "latencyStats",
            "boolean",
            "Whether elements of this pipeline measure latency for their stats.",
            default=False,
        ),
    ),
    methods=(
        method(
            "getGstreamerDot",
            "Return the pipeline's internal GStreamer graph in Graphviz dot format.",
            opt("details", "GstreamerDotDetails", _DOT_DETAILS),
            returns="String",
        ),
        method(
            "dumpGstreamerDot",
            "Write the pipeline's dot graph to the server's GStreamer dump directory, if set.",
            opt("details", "GstreamerDotDetails", _DOT_DETAILS),
        ),
    ),
)

MEDIA_ELEMENT = RemoteClass(
    "MediaElement",
    extends="MediaObject",
    abstract=True,
    doc="Building block with media pads; elements of one pipeline connect source to sink.",
    properties=(
        prop("encoderBitrate", "int", "Target bitrate, in bps, for video the element encodes."),
        prop("minEncoderBitrate", "int", "Lower bound, in bps, for adaptive video encoding."),
        prop("maxEncoderBitrate", "int", "Upper bound, in bps, for adaptive video encoding."),
    ),
    methods=(
        method(
            "getSourceConnections",
            "List the connections that feed media into this element.",
            opt("mediaType", "MediaType", "Only connections of this media type."),
            opt("description", "String", "Only connections with this pad description."),
            returns="ElementConnectionData[]",
        ),
        method(
            "getSinkConnections",
            "List the connections through which this element sends media out.",
            opt("mediaType", "MediaType", "Only connections of this media type."),
            opt("description", "String", "Only connections with this pad description."),
            returns="ElementConnectionData[]",
        ),
        method(
            "connect",
            "Send this element's media to another element; all media types unless one is given.",
            p("sink", "MediaElement", "Element that will receive the media."),
            opt("mediaType", "MediaType", "Connect only this media type."),
            opt("sourceMediaDescription", "String", "Description of the source pad."),
            opt("sinkMediaDescription", "String", "Description of the sink pad."),
        ),
        method(
            "disconnect",
            "Stop sending this element's media to another element and free the pads.",
            p("sink", "MediaElement", "Element that will stop receiving the media."),
            opt("mediaType", "MediaType", "Disconnect only this media type."),
            opt("sourceMediaDescription", "String", "Description of the source pad."),
            opt("sinkMediaDescription", "String", "Description of the sink pad."),
        ),
        method(
            "setAudioFormat",
            "Ask for a given audio format; the server does not act on it yet.",
            p("caps", "AudioCaps", "Wanted audio codec and bitrate."),
        ),
        method(
            "setVideoFormat",
            "Ask for a given video format; the server does not act on it yet.",
            p("caps", "VideoCaps", "Wanted video codec and frame rate."),
        ),
        method(
            "dumpGstreamerDot",
            "Write the element's dot graph to the server's GStreamer dump directory, if set.",
            opt("details", "GstreamerDotDetails", _DOT_DETAILS),
        ),
        method(
            "getGstreamerDot",
            "Return the element's internal GStreamer graph in Graphviz dot format.",
            opt("details", "GstreamerDotDetails", _DOT_DETAILS),
            returns="String",
        ),
        method(
            "getStats",
            "Collect statistics keyed by stats id, for one media type or for all of them.",
            opt("mediaType", "MediaType", "Restrict the report to this media type."),
            returns="Stats<>",
        ),
        method(
            "isMediaFlowingIn",
            "Tell whether media of a type is currently arriving at the element.",
            p("mediaType", "MediaType", "AUDIO or VIDEO."),
            opt("sinkMediaDescription", "String", "Which sink pad to check.", "default"),
            returns="boolean",
        ),
        method(
            "isMediaFlowingOut",
            "Tell whether media of a type is currently leaving the element.",
            p("mediaType", "MediaType", "AUDIO or VIDEO."),
            opt("sourceMediaDescription", "String", "Which source pad to check.", "default"),
            returns="boolean",
        ),
        method(
            "isMediaTranscoding",
            "Tell whether the element is decoding and re-encoding media of a type.",
            p("mediaType", "MediaType", "AUDIO or VIDEO."),
            opt("binName", "String", "Internal processing bin to check.", "default"),
            returns="boolean",
        ),
    ),
    events=(
        "ElementConnected",
        "ElementDisconnected",
        "MediaFlowOutStateChanged",
        "MediaFlowInStateChanged",
        "MediaTranscodingStateChanged",
    ),
)

HUB = RemoteClass(
    "Hub",
    extends="MediaObject",
    abstract=True,
    doc="Router among many participants; media goes in and out only through its HubPorts.",
    methods=(
        method(
            "getGstreamerDot",
            "Return the hub's internal GStreamer graph in Graphviz dot format.",
            opt("details", "GstreamerDotDetails", _DOT_DETAILS),
            returns="String",
        ),
        method(
            "dumpGstreamerDot",
            "Write the hub's dot graph to the server's GStreamer dump directory, if set.",
            opt("details", "GstreamerDotDetails", _DOT_DETAILS),
        ),
    ),
)

HUB_PORT = RemoteClass(
    "HubPort",
    extends="MediaElement",
    constructor=(p("hub", "Hub", "The hub this port plugs into; it becomes the parent."),),
    doc="Element that attaches other elements to a hub.",
)

PASS_THROUGH = RemoteClass(
    "PassThrough",
    extends="MediaElement",
    constructor=(p("mediaPipeline", "MediaPipeline", "Pipeline that will own the element."),),
    doc="Element that forwards its input unchanged; handy for fanning media in or out.",
)

FILTER = RemoteClass(
    "Filter",
    extends="MediaElement",
    abstract=True,
    doc="Element that transforms or analyses the media going through it.",
)

ENDPOINT = RemoteClass(
    "Endpoint",
    extends="MediaElement",
    abstract=True,
    doc="Element that moves media between the server and something outside it.",
)

SESSION_ENDPOINT = RemoteClass(
    "SessionEndpoint",
    extends="Endpoint",
    abstract=True,
    doc="Endpoint that keeps a session with a remote peer.",
    events=("MediaSessionTerminated", "MediaSessionStarted"),
)

URI_ENDPOINT = RemoteClass(
    "UriEndpoint",
    extends="Endpoint",
    abstract=True,
    doc="Endpoint that reads from or writes to a URI, with start, pause and stop states.",
    properties=(
        prop("uri", "String", "The location given when the endpoint was created.", final=True),
        prop(
            "state",
            "UriEndpointState",
            "Whether the endpoint is started, paused or stopped.",
            read_only=True,
        ),
    ),
    methods=(
        method("pause", "Pause reading or writing media."),
        method("stop", "Stop reading or writing media."),
    ),
    events=("UriEndpointStateChanged",),
)

SDP_ENDPOINT = RemoteClass(
    "SdpEndpoint",
    extends="SessionEndpoint",
    abstract=True,
    doc="Endpoint whose media session is set up by an SDP offer/answer exchange.",
    properties=(
        prop("maxAudioRecvBandwidth", "int", "Highest audio bitrate, in kbps, asked of senders."),
        prop("maxVideoRecvBandwidth", "int", "Highest video bitrate, in kbps, asked of senders."),
    ),
    methods=(
        method(
            "generateOffer",
            "Create an SDP offer describing what this endpoint can do.",
            opt("options", "OfferOptions", "What the offer should ask the peer to send."),
            returns="String",
        ),
        method(
            "processOffer",
            "Take the remote peer's SDP offer and return the matching SDP answer.",
            p("offer", "String", "SDP offer from the remote peer."),
            returns="String",
        ),
        method(
            "processAnswer",
            "Take the remote peer's SDP answer to our offer and return the resulting local SDP.",
            p("answer", "String", "SDP answer from the remote peer."),
            returns="String",
        ),
        method(
            "getLocalSessionDescriptor",
            "The local SDP: null before any offer, then the offer, then the agreed session.",
            returns="String",
        ),
        method(
            "getRemoteSessionDescriptor",
            "The SDP received from the peer, or null until negotiation has finished.",
            returns="String",
        ),
    ),
)

BASE_RTP_ENDPOINT = RemoteClass(
    "BaseRtpEndpoint",
    extends="SdpEndpoint",
    abstract=True,
    doc="Common ground of RTP-based endpoints: bandwidth limits, REMB tuning and states.",
    properties=(
        prop("minVideoRecvBandwidth", "int", "Lowest video bitrate, in kbps, asked of senders."),
        prop("minVideoSendBandwidth", "int", "Lowest video bitrate, in kbps, this endpoint sends."),
        prop(
            "maxVideoSendBandwidth", "int", "Highest video bitrate, in kbps, this endpoint sends."
        ),
        prop("mediaState", "MediaState", "Whether RTCP is arriving from the peer.", read_only=True),
        prop(
            "connectionState",
            "ConnectionState",
            "Whether the transport is connected.",
            read_only=True,
        ),
        prop("mtu", "int", "Largest RTP packet size in bytes."),
        prop("rembParams", "RembParams", "Tuning of the REMB congestion-control estimator."),
    ),
    methods=(method("requestKeyframe", "Ask the upstream video producer for a new keyframe."),),
    events=("MediaStateChanged", "ConnectionStateChanged"),
)

# --- events --------------------------------------------------------------------------

_PAD_STATE_FIELDS = (
    p("state", "MediaFlowState", "Whether media now flows."),
    p("padName", "String", "Pad whose state changed."),
    p("mediaType", "MediaType", "Kind of media on that pad."),
)

_CONNECTION_FIELDS = (
    p("sink", "MediaElement", "Element at the receiving end."),
    p("mediaType", "MediaType", "Kind of media of the connection."),
    p("sourceMediaDescription", "String", "Description of the source pad."),
    p("sinkMediaDescription", "String", "Description of the sink pad."),
)

EVENTS = (
    event(
        "RaiseBase",
        None,
        "Fields shared by every event.",
        p("source", "MediaObject", "Object the event comes from."),
        p("timestampMillis", "String", "When it happened, in ms since the Unix epoch."),
        p("tags", "Tag[]", "Tags of the source, when it sends them in events."),
    ),
    event(
        "Error",
        "RaiseBase",
        "Something went wrong in an object outside of any call.",
        p("description", "String", "Human-readable explanation."),
        p("errorCode", "int", "Numeric error code."),
        p("type", "String", "Error code spelled as a string."),
    ),
    event(
        "MediaSessionTerminated",
        "Media",
        "The endpoint's session with its peer has ended.",
    ),
    event(
        "MediaSessionStarted",
        "Media",
        "Negotiation succeeded and the endpoint is ready to connect to its peer.",
    ),
    event(
        "Media",
        "RaiseBase",
        "Base of the events raised by media objects.",
        p("type", "String", "Name of the event."),
    ),
    event(
        "ObjectCreated",
        "RaiseBase",
        "A new object appeared on the server.",
        p("object", "MediaObject", "The new object."),
    ),
    event(
        "ObjectDestroyed",
        "RaiseBase",
        "An object was released on the server.",
        p("objectId", "String", "Id of the released object."),
    ),
    event(
        "MediaStateChanged",
        "Media",
        "RTCP from the peer started or stopped arriving.",
        p("oldState", "MediaState", "State before the change."),
        p("newState", "MediaState", "State after the change."),
    ),
    event(
        "ConnectionStateChanged",
        "Media",
        "The transport to the peer connected or disconnected.",
        p("oldState", "ConnectionState", "State before the change."),
        p("newState", "ConnectionState", "State after the change."),
    ),
    event(
        "MediaFlowOutStateChanged",
        "Media",
        "Media started or stopped leaving one of the element's source pads.",
        *_PAD_STATE_FIELDS,
    ),
    event(
        "MediaFlowInStateChanged",
        "Media",
        "Media started or stopped arriving at one of the element's sink pads.",
        *_PAD_STATE_FIELDS,
    ),
    event(
        "MediaTranscodingStateChanged",
        "Media",
        "The element started or stopped decoding and re-encoding a stream.",
        p("state", "MediaTranscodingState", "Whether transcoding now happens."),
        p("binName", "String", "Internal processing bin concerned."),
        p("mediaType", "MediaType", "Kind of media being processed."),
    ),
    event(
        "ElementConnected",
        "Media",
        "This element started sending media to another one.",
        *_CONNECTION_FIELDS,
    ),
    event(
        "ElementDisconnected",
        "Media",
        "This element stopped sending media to another one.",
        *_CONNECTION_FIELDS,
    ),
    event(
        "UriEndpointStateChanged",
        "Media",
        "A URI endpoint was started, paused or stopped.",
        p("state", "UriEndpointState", "The state entered."),
    ),
)

# --- enums ---------------------------------------------------------------------------

ENUMS = (
    enum("UriEndpointState", "Lifecycle state of a URI endpoint.", "STOP", "START", "PAUSE"),
    enum("ServerType", "Kind of server: a media server or a proxy in front of one.", "KMS", "KCS"),
    enum(
        "GstreamerDotDetails",
        "How detailed a GStreamer dot graph should be.",
        "SHOW_MEDIA_TYPE",
        "SHOW_CAPS_DETAILS",
        "SHOW_NON_DEFAULT_PARAMS",
        "SHOW_STATES",
        "SHOW_FULL_PARAMS",
        "SHOW_ALL",
        "SHOW_VERBOSE",
    ),
    enum("MediaState", "Whether RTCP is being received.", "DISCONNECTED", "CONNECTED"),
    enum("MediaFlowState", "Whether media is moving through a pad.", "FLOWING", "NOT_FLOWING"),
    enum(
        "MediaTranscodingState",
        "Whether a stream is being decoded and re-encoded.",
        "TRANSCODING",
        "NOT_TRANSCODING",
    ),
    enum("ConnectionState", "Whether a transport is connected.", "DISCONNECTED", "CONNECTED"),
    enum("MediaType", "Kind of media stream.", "AUDIO", "DATA", "VIDEO"),
    enum("FilterType", "Which media a filter works on.", "AUDIO", "AUTODETECT", "VIDEO"),
    enum("VideoCodec", "Video codecs.", "H265", "AV1", "VP9", "VP8", "H264", "RAW"),
    enum("AudioCodec", "Audio codecs.", "OPUS", "PCMU", "PCMA", "RAW"),
    enum(
        "StatsType",
        "Kind of entry in a stats report.",
        "inboundrtp",
        "outboundrtp",
        "session",
        "datachannel",
        "track",
        "transport",
        "candidatepair",
        "localcandidate",
        "remotecandidate",
        "element",
        "endpoint",
    ),
    enum(
        "RTCDataChannelState",
        "Lifecycle state of a data channel.",
        "connecting",
        "open",
        "closing",
        "closed",
    ),
    enum(
        "RTCStatsIceCandidateType",
        "How an ICE candidate was obtained.",
        "host",
        "serverreflexive",
        "peerreflexive",
        "relayed",
    ),
    enum(
        "RTCStatsIceCandidatePairState",
        "Progress of the connectivity checks on an ICE candidate pair.",
        "frozen",
        "waiting",
        "inprogress",
        "failed",
        "succeeded",
        "cancelled",
    ),
)

# --- structs -------------------------------------------------------------------------

STRUCTS = (
    struct(
        "ServerInfo",
        "What the server is and what it has loaded.",
        p("version", "String", "Server version."),
        p("modules", "ModuleInfo[]", "Modules loaded by the server."),
        p("type", "ServerType", "Kind of server."),
        p("capabilities", "String[]", "Features the server supports."),
    ),
    struct(
        "ModuleInfo",
        "One module loaded by the server.",
        p("version", "String", "Version of the module."),
        p("name", "String", "Name of the module."),
        p("generationTime", "String", "When the module was built."),
        p("factories", "String[]", "Classes the module can create."),
    ),
    struct(
        "Fraction",
        "A ratio of two integers.",
        p("numerator", "int"),
        p("denominator", "int"),
    ),
    struct(
        "AudioCaps",
        "An audio format.",
        p("codec", "AudioCodec"),
        p("bitrate", "int", "Bitrate in bps."),
    ),
    struct(
        "VideoCaps",
        "A video format.",
        p("codec", "VideoCodec"),
        p("framerate", "Fraction", "Frames per second."),
    ),
    struct(
        "ElementConnectionData",
        "One connection between two elements.",
        p("source", "MediaElement", "Element sending the media."),
        p("sink", "MediaElement", "Element receiving the media."),
        p("type", "MediaType", "Kind of media carried."),
        p("sourceDescription", "String", "Description of the source pad; may be empty."),
        p("sinkDescription", "String", "Description of the sink pad; may be empty."),
    ),
    struct(
        "Tag",
        "A key/value label attached to an object.",
        p("key", "String"),
        p("value", "String"),
    ),
    struct(
        "MediaLatencyStat",
        "Average latency of one media stream.",
        p("name", "String", "Stream name."),
        p("type", "MediaType", "Kind of media."),
        p("avg", "double", "Average latency in nanoseconds."),
    ),
    struct(
        "Stats",
        "Fields common to every entry of a stats report.",
        p("id", "String", "Id of the measured object."),
        p("type", "StatsType", "Kind of entry."),
        p("timestampMillis", "int64", "When it was measured, in ms since the Unix epoch."),
    ),
    struct(
        "ElementStats",
        "Stats of a media element.",
        p("inputLatency", "MediaLatencyStat[]", "Latency up to the element's input pads."),
        extends="Stats",
    ),
    struct(
        "EndpointStats",
        "Stats of an endpoint.",
        p("E2ELatency", "MediaLatencyStat[]", "End-to-end latency per stream."),
        extends="ElementStats",
    ),
    struct("RTCStats", "Base of the WebRTC-style stats entries.", extends="Stats"),
    struct(
        "RTCRTPStreamStats",
        "Counters of one RTP stream (one SSRC).",
        p("ssrc", "String", "Synchronisation source of the stream."),
        p("associateStatsId", "String", "Id of the matching local or remote entry."),
        p("isRemote", "boolean", "True when the figures were measured by the peer."),
        p("mediaTrackId", "String", "Id of the track entry."),
        p("transportId", "String", "Id of the transport entry."),
        p("codecId", "String", "Id of the codec entry."),
        p("firCount", "int64", "Full Intra Request packets counted."),
        p("pliCount", "int64", "Picture Loss Indication packets counted."),
        p("nackCount", "int64", "Negative acknowledgements counted."),
        p("sliCount", "int64", "Slice Loss Indication packets counted."),
        p("remb", "int64", "Receiver-estimated maximum bitrate."),
        p("packetsLost", "int64", "RTP packets lost."),
        p("fractionLost", "double", "Recent fraction of packets lost."),
        extends="RTCStats",
    ),
    struct(
        "RTCCodec",
        "A codec in use.",
        p("payloadType", "int64", "RTP payload type."),
        p("codec", "String", "Codec name, such as video/VP8."),
        p("clockRate", "int64", "Sampling clock rate."),
        p("channels", "int64", "Number of audio channels."),
        p("parameters", "String", "Format parameters from the SDP."),
        extends="RTCStats",
    ),
    struct(
        "RTCInboundRTPStreamStats",
        "Counters of a received RTP stream.",
        p("packetsReceived", "int64"),
        p("bytesReceived", "int64"),
        p("jitter", "double", "Jitter in seconds."),
        extends="RTCRTPStreamStats",
    ),
    struct(
        "RTCOutboundRTPStreamStats",
        "Counters of a sent RTP stream.",
        p("packetsSent", "int64"),
        p("bytesSent", "int64"),
        p("targetBitrate", "double", "Current target bitrate in bps."),
        p("roundTripTime", "double", "Round-trip time in seconds, from RTCP."),
        extends="RTCRTPStreamStats",
    ),
    struct(
        "RTCPeerConnectionStats",
        "Counters of a WebRTC session.",
        p("dataChannelsOpened", "int64", "Data channels opened so far."),
        p("dataChannelsClosed", "int64", "Data channels closed so far."),
        extends="RTCStats",
    ),
    struct(
        "RTCMediaStreamStats",
        "A media stream and its tracks.",
        p("streamIdentifier", "String"),
        p("trackIds", "String[]", "Ids of the track stats entries."),
        extends="RTCStats",
    ),
    struct(
        "RTCMediaStreamTrackStats",
        "Figures of one media track.",
        p("trackIdentifier", "String"),
        p("remoteSource", "boolean", "True when the track comes from the peer."),
        p("ssrcIds", "String[]"),
        p("frameWidth", "int64"),
        p("frameHeight", "int64"),
        p("framesPerSecond", "double"),
        p("framesSent", "int64"),
        p("framesReceived", "int64"),
        p("framesDecoded", "int64"),
        p("framesDropped", "int64"),
        p("framesCorrupted", "int64"),
        p("audioLevel", "double", "Linear level from 0 to 1."),
        p("echoReturnLoss", "double", "In decibels, for echo-cancelled audio."),
        p("echoReturnLossEnhancement", "double", "In decibels, for echo-cancelled audio."),
        extends="RTCStats",
    ),
    struct(
        "RTCDataChannelStats",
        "Counters of one data channel.",
        p("label", "String"),
        p("protocol", "String"),
        p("datachannelid", "int64"),
        p("state", "RTCDataChannelState"),
        p("messagesSent", "int64"),
        p("bytesSent", "int64", "Payload bytes, headers excluded."),
        p("messagesReceived", "int64"),
        p("bytesReceived", "int64", "Payload bytes, headers excluded."),
        extends="RTCStats",
    ),
    struct(
        "RTCTransportStats",
        "Counters of a transport.",
        p("bytesSent", "int64"),
        p("bytesReceived", "int64"),
        p("rtcpTransportStatsId", "String", "Transport used for RTCP when not multiplexed."),
        p("activeConnection", "boolean"),
        p("selectedCandidatePairId", "String"),
        p("localCertificateId", "String"),
        p("remoteCertificateId", "String"),
        extends="RTCStats",
    ),
    struct(
        "RTCIceCandidateAttributes",
        "One ICE candidate.",
        p("ipAddress", "String"),
        p("portNumber", "int64"),
        p("transport", "String", "udp or tcp."),
        p("candidateType", "RTCStatsIceCandidateType"),
        p("priority", "int64"),
        p("addressSourceUrl", "String", "STUN or TURN server that produced the address."),
        extends="RTCStats",
    ),
    struct(
        "RTCIceCandidatePairStats",
        "One pair of local and remote ICE candidates.",
        p("transportId", "String"),
        p("localCandidateId", "String"),
        p("remoteCandidateId", "String"),
        p("state", "RTCStatsIceCandidatePairState"),
        p("priority", "int64"),
        p("nominated", "boolean"),
        p("writable", "boolean"),
        p("readable", "boolean"),
        p("bytesSent", "int64"),
        p("bytesReceived", "int64"),
        p("roundTripTime", "double"),
        p("availableOutgoingBitrate", "double", "Estimated in bps."),
        p("availableIncomingBitrate", "double", "Estimated in bps."),
        extends="RTCStats",
    ),
    struct(
        "RTCCertificateStats",
        "A DTLS certificate.",
        p("fingerprint", "String"),
        p("fingerprintAlgorithm", "String", "Such as sha-256."),
        p("base64Certificate", "String"),
        p("issuerCertificateId", "String"),
        extends="RTCStats",
    ),
    struct(
        "CodecConfiguration",
        "Settings for one codec.",
        opt("name", "String", "Codec as encoding name/clock rate, with optional parameters."),
        opt("properties", "String<>", "Codec property values by name."),
    ),
    struct(
        "RembParams",
        "Tuning of the REMB congestion-control estimator.",
        opt("packetsRecvIntervalTop", "int", "Packets of history used to smooth losses.", 100),
        opt("exponentialFactor", "float", "Growth rate below the threshold.", 0.04),
        opt("linealFactorMin", "int", "Smallest linear increase above the threshold, in bps."),
        opt("linealFactorGrade", "float", "Shapes the linear increase above the threshold.", 30),
        opt("decrementFactor", "float", "Multiplier applied when losses are high.", 0.5),
        opt("thresholdFactor", "float", "New threshold, relative to REMB, after losses.", 0.8),
        opt("upLosses", "int", "Loss fraction (out of 256) that counts as congestion.", 12),
        opt("rembOnConnect", "int", "Initial estimate in bps for a new connection.", 300000),
    ),
    struct(
        "OfferOptions",
        "What an SDP offer asks the peer to send.",
        opt("offerToReceiveAudio", "boolean", "Ask the peer for audio.", True),
        opt("offerToReceiveVideo", "boolean", "Ask the peer for video.", True),
    ),
)

CORE = Module(
    "core",
    "7.3.0",
    classes=(
        MEDIA_OBJECT,
        SERVER_MANAGER,
        MEDIA_PIPELINE,
        MEDIA_ELEMENT,
        HUB,
        HUB_PORT,
        PASS_THROUGH,
        FILTER,
        ENDPOINT,
        SESSION_ENDPOINT,
        URI_ENDPOINT,
        SDP_ENDPOINT,
        BASE_RTP_ENDPOINT,
    ),
    events=EVENTS,
    enums=ENUMS,
    structs=STRUCTS,
    doc="Base classes, events and types shared by every Kurento module.",
)
