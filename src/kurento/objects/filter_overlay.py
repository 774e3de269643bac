"""ImageOverlayFilter: images drawn at fixed places over the video (reference §2.2, §2.3).

Image URIs are confined like a player's (:mod:`kurento.objects.overlay_image`):
``file://`` paths inside the media roots, ``http(s)://`` images downloaded from
allowed addresses only, with a timeout and a size cap. Every refusal or failure
is a 40600 error saying why.
"""

from __future__ import annotations

from kurento.engine.filtering import ImageOverlayMedia
from kurento.filters.overlay import Placement
from kurento.objects.filter import Filter
from kurento.objects.overlay_image import overlay_image_file


class ImageOverlayFilter(Filter):
    TYPE = "ImageOverlayFilter"

    media: ImageOverlayMedia

    async def add_image(self, id: str, uri: str, offset_x_percent: float,
                        offset_y_percent: float, width_percent: float,
                        height_percent: float, keep_aspect_ratio: bool, center: bool) -> None:
        placement = Placement(offset_x_percent, offset_y_percent, width_percent,
                              height_percent, keep_aspect_ratio, center)
        # The engine decodes the file before add_image returns: the temp file may go then.
        async with overlay_image_file(uri, self.context.settings) as path:
            await self.media.add_image(id, path, placement)

    def remove_image(self, id: str) -> None:
        self.media.remove_image(id)  # an unknown id is not an error (as in KMS)
