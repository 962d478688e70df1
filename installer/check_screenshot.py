"""Check that a screenshot of the main window shows real content, not a blank.

``python installer/check_screenshot.py SHOT.png [WIDTH HEIGHT]`` (needs
PySide6) exits 1 naming what is wrong, when the picture is not of the
expected size, has too few colours (a blank or single-colour window), or when
a cell of a 4 × 4 grid over the plot area (the middle of the window) is
empty: every cell of the stacked signal plots has curves, axes or shading.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QImage

MIN_COLOURS = 500
"""Distinct colours in the whole window (antialiased plots have thousands)."""
MIN_CELL_INK = 0.005
"""Fraction of a plot-area cell's pixels that are not its most common colour."""


def problems(path: str, size: tuple[int, int] | None = None) -> list[str]:
    """What is wrong with the screenshot ``path`` (empty when it looks right)."""
    image = QImage(path)
    if image.isNull():
        return [f"{path}: not a readable image"]
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    width, height = image.width(), image.height()
    found = []
    if size is not None and (width, height) != size:
        found.append(f"{path}: {width}×{height} pixels, expected {size[0]}×{size[1]}")
    step = 2
    colours = {
        image.pixel(x, y) for y in range(0, height, step) for x in range(0, width, step)
    }
    if len(colours) < MIN_COLOURS:
        found.append(
            f"{path}: only {len(colours)} colours: a blank or unfinished window"
        )
    # the signal plots: the middle of the window (between the trial list and the
    # body view, above the metrics table)
    left, right, top, bottom = (
        int(0.22 * width),
        int(0.68 * width),
        int(0.06 * height),
        int(0.68 * height),
    )
    for row in range(4):
        for column in range(4):
            x0 = left + column * (right - left) // 4
            x1 = left + (column + 1) * (right - left) // 4
            y0 = top + row * (bottom - top) // 4
            y1 = top + (row + 1) * (bottom - top) // 4
            counts: dict[int, int] = {}
            for y in range(y0, y1, step):
                for x in range(x0, x1, step):
                    pixel = image.pixel(x, y)
                    counts[pixel] = counts.get(pixel, 0) + 1
            total = sum(counts.values())
            ink = 1.0 - max(counts.values()) / total
            if ink < MIN_CELL_INK:
                found.append(
                    f"{path}: plot area cell ({row}, {column}) at x {x0}-{x1}, "
                    f"y {y0}-{y1} px is empty ({100 * ink:.2f} % ink)"
                )
    return found


if __name__ == "__main__":
    expected = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else None
    wrong = problems(sys.argv[1], expected)
    for line in wrong:
        sys.stderr.write(line + "\n")
    if not wrong:
        sys.stdout.write(
            f"{sys.argv[1]}: real content (colours, every plot cell drawn)\n"
        )
    sys.exit(1 if wrong else 0)
