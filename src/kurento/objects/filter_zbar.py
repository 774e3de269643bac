"""ZBarFilter: raises CodeFound for the QR and bar codes read in the video (reference §2.3).

When a read is reported follows KMS (kms-filters ``ZBarFilterImpl::barcodeDetected``):
a code that differs from the last one reported, or the same code again once a
second of stream time has passed; the engine applies that rule on its scanning
thread, so only reported codes reach the loop.
"""

from __future__ import annotations

from kurento.engine.filtering import ZBarFilterMedia
from kurento.objects.filter import Filter


class ZBarFilter(Filter):
    TYPE = "ZBarFilter"

    media: ZBarFilterMedia

    # --- engine listener (called on the loop) -------------------------------------------

    def on_code_found(self, code_type: str, value: str) -> None:
        self.emit("CodeFound", codeType=code_type, value=value)
