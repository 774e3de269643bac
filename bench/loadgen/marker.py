"""A frame number drawn into the clip's pictures, read back after a filter re-encoded them.

A filtered session gets its video back decoded, filtered and encoded again: no frame hash
matches it, so the delay through the filter needs another way to tell which frame came
back. The marked clip carries each frame's index in a block at the bottom centre of
the picture: bands, white or black, one bit each, between a white and a black reference
band. Bands centred on the picture read the same after a horizontal flip (the default
filter) and after any colour change that keeps light light and dark dark (sepia,
desaturation); the reference bands set the threshold, and a parity band rejects a block
the encoder or a drawing filter (the face filter's hat) has smudged. The block is small
(``BLOCK_WIDTH`` x ``STRIP``, 4 % of a VGA picture): flat areas are cheap to decode and
encode, and a marked clip must cost the filters about what the plain one does.

Layout, top to bottom: white, black, BITS bits (most significant first), even parity;
each band ``BAND`` rows tall.
"""

from __future__ import annotations

BITS = 10  # frame indexes 0..1023 (the clip has 300 frames)
BAND = 8  # rows per band
BANDS = 2 + BITS + 1
STRIP = BANDS * BAND  # rows at the bottom of the picture
BLOCK_WIDTH = 128  # columns, centred (a multiple of 16: whole VP8 macroblocks at 640 wide)
MIN_CONTRAST = 64  # white minus black reference, luma: less and the block is not there
_MARGIN = 8  # columns left out at each side when reading (the edges blur when encoded)
_SAMPLE_COLUMNS = 16  # columns read per row (bands are flat: a sample is enough)


def band_values(index: int) -> list[bool]:
    """Each band, top to bottom: True for white."""
    if not 0 <= index < 1 << BITS:
        raise ValueError(f"frame index {index} does not fit {BITS} bits")
    bits = [bool(index >> (BITS - 1 - i) & 1) for i in range(BITS)]
    return [True, False, *bits, sum(bits) % 2 == 1]


def draw_rgb(frame: bytearray, width: int, height: int, index: int) -> None:
    """Write ``index``'s block into a packed RGB frame, in place."""
    left = 3 * ((width - BLOCK_WIDTH) // 2)
    white, black = b"\xff" * 3 * BLOCK_WIDTH, b"\x00" * 3 * BLOCK_WIDTH
    top = height - STRIP
    for band, value in enumerate(band_values(index)):
        for row in range(top + band * BAND, top + (band + 1) * BAND):
            start = row * 3 * width + left
            frame[start:start + 3 * BLOCK_WIDTH] = white if value else black


def read_gray(strip: bytes, width: int, stride: int | None = None) -> int | None:
    """The index in a GRAY8 strip (the bottom ``STRIP`` rows of a decoded picture
    ``width`` pixels wide, ``stride`` bytes apart, default ``width``); None when the block
    is missing or does not check out."""
    stride = stride or width
    if len(strip) < STRIP * stride or width < BLOCK_WIDTH:
        return None
    first = (width - BLOCK_WIDTH) // 2 + _MARGIN
    last = (width + BLOCK_WIDTH) // 2 - _MARGIN
    step = max(1, (last - first) // _SAMPLE_COLUMNS)
    levels = []
    for band in range(BANDS):
        # the band's middle rows: its edges blur into the next band when encoded
        rows = range(band * BAND + BAND // 4, band * BAND + BAND - BAND // 4)
        samples = [strip[row * stride + first:row * stride + last:step] for row in rows]
        levels.append(sum(sum(s) for s in samples) / sum(len(s) for s in samples))
    white, black = levels[0], levels[1]
    if white - black < MIN_CONTRAST:
        return None
    threshold = (white + black) / 2
    values = [level > threshold for level in levels[2:]]
    bits, parity = values[:BITS], values[BITS]
    if sum(bits) % 2 != parity:
        return None
    index = 0
    for bit in bits:
        index = index << 1 | bit
    return index
