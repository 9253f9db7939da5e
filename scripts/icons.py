#!/usr/bin/env python3
"""Draws StackSmart's icon (a blue tile with three offers stacked on it) at every size the
stores and browsers ask for, as PNGs in manifest/icons/. Pure Python (zlib + struct), so it
runs anywhere; the PNGs are committed and this script only re-draws them.

    python3 scripts/icons.py
"""
import os
import struct
import zlib

SIZES = [16, 32, 48, 96, 128]
BLUE = (11, 107, 203)
WHITE = (255, 255, 255)
# Shapes in units of the icon's side: (x0, y0, x1, y1, corner radius, colour, alpha).
TILE = (0.0, 0.0, 1.0, 1.0, 0.22, BLUE, 1.0)
BARS = [
    (0.20, 0.62, 0.80, 0.78, 0.05, WHITE, 1.0),
    (0.26, 0.42, 0.74, 0.58, 0.05, WHITE, 0.85),
    (0.32, 0.22, 0.68, 0.38, 0.05, WHITE, 0.70),
]
SAMPLES = 4  # per axis: 16 samples a pixel for smooth edges


def inside(shape, x, y):
    x0, y0, x1, y1, r = shape[:5]
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def pixel(size, px, py):
    """Premultiplied compositing of the shapes over transparency, averaged over samples."""
    acc = [0.0, 0.0, 0.0, 0.0]
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            x = (px + (sx + 0.5) / SAMPLES) / size
            y = (py + (sy + 0.5) / SAMPLES) / size
            r = g = b = a = 0.0
            for shape in [TILE] + BARS:
                if inside(shape, x, y):
                    (cr, cg, cb), ca = shape[5], shape[6]
                    r, g, b = cr * ca + r * (1 - ca), cg * ca + g * (1 - ca), cb * ca + b * (1 - ca)
                    a = ca + a * (1 - ca)
            acc = [acc[0] + r, acc[1] + g, acc[2] + b, acc[3] + a]
    n = SAMPLES * SAMPLES
    a = acc[3] / n
    if a == 0:
        return (0, 0, 0, 0)
    return tuple(round(c / n / a) for c in acc[:3]) + (round(a * 255),)


def png(size):
    rows = b"".join(
        b"\x00" + bytes(v for px in range(size) for v in pixel(size, px, py)) for py in range(size)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "manifest", "icons")
    os.makedirs(out, exist_ok=True)
    for size in SIZES:
        with open(os.path.join(out, f"icon-{size}.png"), "wb") as f:
            f.write(png(size))


if __name__ == "__main__":
    main()
