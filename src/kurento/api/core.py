"""Our description of Kurento's ``core`` module (KMD version 7.3.0).

The facts (names, types, optional flags, defaults, access flags, inheritance)
follow Kurento's interface definition; the wording of every ``doc`` is ours.
"""

from __future__ import annotations

from kurento.api.build import method, opt, p, prop
from kurento.api.core_types import ENUMS, EVENTS, STRUCTS
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
