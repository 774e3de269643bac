"""FaceOverlayFilter: an image drawn over every face in the video (reference §2.2).

Offsets and sizes are fractions of the detected face (Kurento's magic mirror
puts a hat with ``-0.35, -1.2, 1.6, 1.6``). The image comes from ``file://``
(confined to the media roots) or ``http(s)://`` (fetched once, see
:mod:`kurento.objects.overlay_image`).
"""

from __future__ import annotations

from kurento.engine.filtering import FaceOverlayMedia
from kurento.filters.face import FacePlacement
from kurento.objects.filter import Filter
from kurento.objects.overlay_image import overlay_image_file


class FaceOverlayFilter(Filter):
    TYPE = "FaceOverlayFilter"

    media: FaceOverlayMedia

    async def set_overlayed_image(self, uri: str, offset_x_percent: float,
                                  offset_y_percent: float, width_percent: float,
                                  height_percent: float) -> None:
        placement = FacePlacement(offset_x_percent, offset_y_percent, width_percent,
                                  height_percent)
        # The engine decodes the file before set_image returns: the temp file may go then.
        async with overlay_image_file(uri, self.context.settings) as path:
            await self.media.set_image(path, placement)

    def unset_overlayed_image(self) -> None:
        self.media.unset_image()
