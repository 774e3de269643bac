"""PassThrough: forwards every media type unchanged (reference §2.2 PassThrough)."""

from __future__ import annotations

from kurento.objects.element import MediaElement


class PassThrough(MediaElement):
    TYPE = "PassThrough"
