"""Draw the grid layout (gridPos) of each dashboard with its panel titles as an SVG.

    python -m tests.observability.render_layout            # writes docs/img/<dashboard>-dashboard.svg

A picture of where each panel sits (24 columns wide), not a screenshot of data.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from tests.observability.promql import DEFAULT_DASHBOARD_DIR

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "docs" / "img"
COL, ROW, PAD, HEAD = 40, 22, 3, 34
COLOURS = {"stat": "#d8ecd8", "timeseries": "#dbe6f5", "table": "#f5ecd6", "state-timeline": "#efdcef"}


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def svg(dash: dict) -> str:
    panels = dash["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    width, height = 24 * COL, rows * ROW + HEAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="22" font-size="16" font-weight="bold">'
        f"{escape(dash['title'])} (uid {escape(dash['uid'])})</text>",
    ]
    for p in panels:
        g = p["gridPos"]
        x, y = g["x"] * COL + PAD, g["y"] * ROW + HEAD + PAD
        w, h = g["w"] * COL - 2 * PAD, g["h"] * ROW - 2 * PAD
        colour = COLOURS.get(p["type"], "#eeeeee")
        out.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{colour}" stroke="#5a6b7b"/>'
        )
        chars = max(8, int(w / 7.2))
        for i, line in enumerate(_wrap(p["title"], chars)[:3]):
            out.append(
                f'<text x="{x + 6}" y="{y + 16 + 15 * i}" font-size="12" font-weight="bold">'
                f"{escape(line)}</text>"
            )
        out.append(
            f'<text x="{x + 6}" y="{y + h - 6}" font-size="10" fill="#555">'
            f"{escape(p['type'])} #{p['id']}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for path in sorted(DEFAULT_DASHBOARD_DIR.glob("*.json")):
        dash = json.loads(path.read_text(encoding="utf-8"))
        target = OUT_DIR / f"{path.stem}-dashboard.svg"
        target.write_text(svg(dash), encoding="utf-8")
        print(target)


if __name__ == "__main__":
    main()
