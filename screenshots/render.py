#!/usr/bin/env python3
"""Renders a tmux capture with colours (`tmux capture-pane -e -p`) to a PNG, cell by cell, in
DejaVu Sans Mono: what the terminal showed, nothing drawn by hand.

    render.py CAPTURE.txt OUT.png
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

BASIC = ["#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
         "#666666", "#d54e53", "#b9ca4a", "#e7c547", "#7aa6da", "#c397d8", "#70c0b1", "#eaeaea"]
FG, BG = "#d0d0d0", "#1d1f21"


def xterm256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def parse(text):
    """Rows of (char, fg, bg, bold) from text with SGR escape sequences."""
    rows = []
    for line in text.split("\n"):
        fg, bg, bold, reverse, dim = None, None, False, False, False
        cells = []
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            if part.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in part[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, reverse, dim = None, None, False, False, False
                    elif c == 1:
                        bold = True
                    elif c == 2:
                        dim = True
                    elif c == 7:
                        reverse = True
                    elif c == 22:
                        bold = dim = False
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = BASIC[c - 30]
                    elif 90 <= c <= 97:
                        fg = BASIC[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = BASIC[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASIC[c - 100 + 8]
                    elif c == 39:
                        fg = None
                    elif c == 49:
                        bg = None
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            col = xterm256(codes[i + 2]); i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            col = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5]); i += 4
                        else:
                            col = None
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                    i += 1
                continue
            for ch in part:
                f, b = fg or FG, bg or BG
                if reverse:
                    f, b = b, f
                if dim and not reverse:
                    f = "#808080"
                cells.append((ch, f, b, bold))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


# Braille cells as their dots (the monospace font has no braille): bit → (column, row).
DOTS = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]


def braille(d, px, py, cw, ch, bits, fill):
    r = max(1, cw // 5)
    for bit, (cx, cy) in enumerate(DOTS):
        if bits & (1 << bit):
            x = px + cw * (1 + 2 * cx) // 4
            y = py + ch * (1 + 2 * cy) // 8
            d.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def main():
    text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    rows = parse(text)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 15)
    bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 15)
    cw = int(font.getlength("M") + 0.5)
    ch = 19
    width = max(len(r) for r in rows) if rows else 80
    img = Image.new("RGB", (width * cw + 16, len(rows) * ch + 16), BG)
    d = ImageDraw.Draw(img)
    for y, row in enumerate(rows):
        for x, (c, f, b, bo) in enumerate(row):
            px, py = 8 + x * cw, 8 + y * ch
            if b != BG:
                d.rectangle([px, py, px + cw, py + ch], fill=b)
            if 0x2800 < ord(c) <= 0x28FF:
                braille(d, px, py, cw, ch, ord(c) - 0x2800, f)
            elif c != " ":
                d.text((px, py), c, fill=f, font=bold if bo else font)
    img.save(sys.argv[2])


if __name__ == "__main__":
    main()
