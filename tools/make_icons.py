"""Draws the app icons in static/icons/ with Pillow, the same mark as favicon.svg (two places
joined by an arc, on the header's blue). Run it after changing the mark; the PNGs are committed.

    .venv/bin/python tools/make_icons.py
"""

import json
from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE, WHITE, YELLOW = "#08466a", "#ffffff", "#ffbf47"
SUPERSAMPLE = 4  # drawn large and scaled down, for smooth edges


def draw(size: int, *, rounded: bool = True) -> Image.Image:
    big = size * SUPERSAMPLE
    unit = big / 64  # favicon.svg's viewBox is 64 units wide
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=12 * unit if rounded else 0, fill=BLUE)
    pen.arc(
        (16 * unit, 26 * unit, 48 * unit, 58 * unit), 180, 360, fill=WHITE, width=round(5 * unit)
    )
    for x, colour in ((16, YELLOW), (48, WHITE)):
        pen.ellipse(((x - 7) * unit, 35 * unit, (x + 7) * unit, 49 * unit), fill=colour)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    draw(32).save(ICONS / "icon-32.png")
    # iOS rounds the corners itself and shows transparency as black: a square icon.
    draw(180, rounded=False).convert("RGB").save(ICONS / "apple-touch-icon.png")
    draw(192).save(ICONS / "icon-192.png")
    draw(512).save(ICONS / "icon-512.png")
    draw(48).save(ICONS / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    manifest = {
        "name": "对口支援信息平台 AidPortal",
        "short_name": "对口支援",
        "start_url": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": BLUE,
        "icons": [
            {"src": "icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "favicon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    (ICONS / "site.webmanifest").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
