"""Our description of Kurento's ``filters`` module (KMD version 7.3.0).

Video filters built on core's ``Filter``. The facts follow Kurento's interface
definition; the wording of every ``doc`` is ours.
"""

from __future__ import annotations

from kurento.api.build import method, opt, p
from kurento.api.model import Event, Module, Property, RemoteClass

_PIPELINE = p("mediaPipeline", "MediaPipeline", "Pipeline that will own the filter.")

# --- remote classes ----------------------------------------------------------------

GSTREAMER_FILTER = RemoteClass(
    "GStreamerFilter",
    extends="Filter",
    constructor=(
        _PIPELINE,
        p("command", "String", "One GStreamer element with its properties, gst-launch style."),
        opt(
            "filterType", "FilterType", "Whether the element works on audio or video.", "AUTODETECT"
        ),
    ),
    properties=(
        Property(
            "command",
            "String",
            read_only=True,
            doc="The GStreamer description the filter was created with.",
        ),
    ),
    methods=(
        method(
            "setElementProperty",
            "Change a property of the wrapped GStreamer element.",
            p("propertyName", "String", "Name of the GStreamer property."),
            p("propertyValue", "String", "New value, as text."),
        ),
    ),
    doc="Filter that wraps a single GStreamer element given as a gst-launch description.",
)

FACE_OVERLAY_FILTER = RemoteClass(
    "FaceOverlayFilter",
    extends="Filter",
    constructor=(_PIPELINE,),
    methods=(
        method("unsetOverlayedImage", "Stop drawing an image over detected faces."),
        method(
            "setOverlayedImage",
            "Draw an image over every detected face, placed relative to the face.",
            p("uri", "String", "Where to load the image from."),
            p("offsetXPercent", "float", "Horizontal shift, as a fraction of the face width."),
            p("offsetYPercent", "float", "Vertical shift, as a fraction of the face height."),
            p("widthPercent", "float", "Image width, as a fraction of the face width."),
            p("heightPercent", "float", "Image height, as a fraction of the face height."),
        ),
    ),
    doc="Filter that finds faces in the video and covers each one with an image.",
)

IMAGE_OVERLAY_FILTER = RemoteClass(
    "ImageOverlayFilter",
    extends="Filter",
    constructor=(_PIPELINE,),
    methods=(
        method(
            "removeImage",
            "Stop drawing the image with the given id.",
            p("id", "String", "Id given when the image was added."),
        ),
        method(
            "addImage",
            "Draw an image at a fixed place on the video.",
            p("id", "String", "Id to refer to the image later."),
            p("uri", "String", "Where to load the image from."),
            p("offsetXPercent", "float", "Left edge, as a fraction (0 to 1) of the video width."),
            p("offsetYPercent", "float", "Top edge, as a fraction (0 to 1) of the video height."),
            p("widthPercent", "float", "Width, as a fraction (0 to 1) of the video width."),
            p("heightPercent", "float", "Height, as a fraction (0 to 1) of the video height."),
            p("keepAspectRatio", "boolean", "Keep the image's own proportions."),
            p("center", "boolean", "Center the image in its box when it does not fill it."),
        ),
    ),
    doc="Filter that draws images at chosen positions on top of the video.",
)

ZBAR_FILTER = RemoteClass(
    "ZBarFilter",
    extends="Filter",
    constructor=(_PIPELINE,),
    events=("CodeFound",),
    doc="Filter that scans the video for QR and bar codes and reports what it reads.",
)

OPENCV_FILTER = RemoteClass(
    "OpenCVFilter",
    extends="Filter",
    abstract=True,
    doc="Base for filters implemented with OpenCV.",
)

# --- events --------------------------------------------------------------------------

CODE_FOUND = Event(
    "CodeFound",
    "Media",
    (
        p("codeType", "String", "Symbology of the code that was read."),
        p("value", "String", "Data encoded in the code."),
    ),
    "A ZBarFilter read a code in the video.",
)

FILTERS = Module(
    "filters",
    "7.3.0",
    classes=(
        GSTREAMER_FILTER,
        FACE_OVERLAY_FILTER,
        IMAGE_OVERLAY_FILTER,
        ZBAR_FILTER,
        OPENCV_FILTER,
    ),
    events=(CODE_FOUND,),
    doc="Video filters built on the core module.",
)
