"""ImageOverlayFilter: images drawn at fixed places over the video (reference §2.2, §2.3).

Image URIs are confined like a player's: ``file://`` paths inside the media roots
(40600 otherwise). Network images are not fetched yet (40600 too).
"""

from __future__ import annotations

from kurento.engine.filtering import ImageLoadError, ImageOverlayMedia
from kurento.filters.overlay import Placement
from kurento.objects.filter import Filter
from kurento.objects.media_uri import UriPolicy, file_path, scheme_of
from kurento.protocol.errors import UriPathFileNotFound


class ImageOverlayFilter(Filter):
    TYPE = "ImageOverlayFilter"

    media: ImageOverlayMedia

    async def add_image(self, id: str, uri: str, offset_x_percent: float,
                        offset_y_percent: float, width_percent: float,
                        height_percent: float, keep_aspect_ratio: bool, center: bool) -> None:
        if scheme_of(uri) != "file":
            raise UriPathFileNotFound(f"Only file:// images can be overlaid here: '{uri}'")
        settings = self.context.settings
        policy = UriPolicy.from_settings(settings.media_roots, settings.internal_networks)
        path = file_path(uri, policy, for_writing=False)
        placement = Placement(offset_x_percent, offset_y_percent, width_percent,
                              height_percent, keep_aspect_ratio, center)
        try:
            await self.media.add_image(id, str(path), placement)
        except ImageLoadError as error:
            raise UriPathFileNotFound(str(error)) from None

    def remove_image(self, id: str) -> None:
        self.media.remove_image(id)  # an unknown id is not an error (as in KMS)
