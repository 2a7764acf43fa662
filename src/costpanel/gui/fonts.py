"""The panel's typeface, without Dear PyGui: which files, which glyphs they have, how wide a text is.

Roboto (the ``font-roboto`` package, Apache-2.0, its licence shipped beside the files) has Latin,
Greek and Cyrillic, and tabular digits by default: Dear PyGui applies no OpenType features, so money
columns line up only with a family whose plain digits share one width. CJK comes from a system font
when one is installed (Debian's ``fonts-noto-cjk``); any character no loaded font has is shown as
its code point (``U+4E2D``), never as "?" or a box. Widths come from the font's advance widths, so
the layout's fitting and ellipsis maths is plain Python, tested headless.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BASE_SIZE = 15  # px of the text at 100 %: loaded at size x scale, so 150 % is rasterised, not stretched
BIG_SIZE = 34  # px of the session total at 100 %
ELLIPSIS = "\u2026"
CJK_PROBE = 0x4E2D  # 中: a font that lacks it is no CJK font
_CJK_PATHS = (  # where Debian, Fedora and Arch put Noto CJK, when fontconfig cannot be asked
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def _roboto(style: str) -> Path:
    from importlib.resources import files

    return Path(str(files("font_roboto") / "files" / f"Roboto-{style}.ttf"))


def ui_font_file() -> Path:
    return _roboto("Regular")


def big_font_file() -> Path:
    """The session total: the same family, one weight heavier, so it reads as the headline."""
    return _roboto("Medium")


@dataclass(frozen=True)
class FontMetrics:
    """A font's character map and advance widths (in font units), read once.

    Dear PyGui (stb_truetype) sizes a font by its ascent-to-descent height, not its em: Roboto
    loaded at 15 px has an em of 12.8 px (2048 / 2400 of it), so widths scale by that height."""

    path: Path
    units_per_em: int
    advances: dict[int, int]  # code point -> advance width
    height_units: int  # hhea ascent - descent: the units a font's pixel size spans

    def covers(self, cp: int) -> bool:
        return cp in self.advances

    def width(self, text: str, size: float) -> float:
        """Pixels ``text`` takes at ``size`` px (characters the font lacks count as its widest digit)."""
        missing = self.advances.get(0x30, self.units_per_em // 2)
        get = self.advances.get
        return sum(get(ord(ch), missing) for ch in text) * size / self.height_units


@functools.lru_cache(maxsize=8)
def metrics(path: Path) -> FontMetrics:
    """Read ``cmap`` and ``hmtx`` of a TTF, OTF or the first face of a TTC."""
    from fontTools.ttLib import TTFont

    with open(path, "rb") as file:  # closed even when the file is no font
        font = TTFont(file, lazy=True, fontNumber=0 if path.suffix.lower() == ".ttc" else -1)
        hmtx = font["hmtx"]
        advances = {cp: hmtx[glyph][0] for cp, glyph in font.getBestCmap().items()}
        hhea = font["hhea"]
        return FontMetrics(path, int(font["head"].unitsPerEm), advances, int(hhea.ascent - hhea.descent))


def _fontconfig_cjk() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip())


def cjk_font_file(candidates: list[str] | None = None) -> Path | None:
    """A system font with CJK glyphs, None when there is none (then CJK shows as code points)."""
    # Known Sans Regular paths first: fontconfig also lists Bold and Serif faces.
    for name in (list(_CJK_PATHS) + _fontconfig_cjk()) if candidates is None else candidates:
        path = Path(name)
        if path.suffix.lower() not in (".ttf", ".otf", ".ttc") or not path.is_file():
            continue
        try:
            if metrics(path).covers(CJK_PROBE):
                return path
        except Exception:  # a broken font file is no font: try the next one
            continue
    return None


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


class Glyphs:
    """Text as the loaded fonts can draw it: characters no font has become ``U+XXXX``.

    ``covers`` is the names font's coverage (the CJK font's when one is loaded, else Roboto's);
    results are remembered, since the same model names come back every frame.
    """

    def __init__(self, covers: Callable[[int], bool]) -> None:
        self._covers = covers
        self._seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        shown = self._seen.get(text)
        if shown is None:
            covers = self._covers
            if all(covers(ord(ch)) or ch in "\n\t" for ch in text):
                shown = text
            else:
                shown = "".join(ch if covers(ord(ch)) or ch in "\n\t" else code_point(ch) for ch in text)
            if len(self._seen) < 4096:
                self._seen[text] = shown
        return shown


def covered_by(*fonts: FontMetrics) -> Callable[[int], bool]:
    """Whether any of ``fonts`` has a code point (the cells switch to the font that has it)."""
    return lambda cp: any(font.covers(cp) for font in fonts)


@functools.lru_cache(maxsize=1)
def default_glyphs() -> Glyphs:
    """Roboto's coverage: what a panel without a CJK system font can draw."""
    return Glyphs(metrics(ui_font_file()).covers)


def fit(text: str, width_px: float, font: FontMetrics, size: float) -> str:
    """``text`` if it fits in ``width_px``, else its longest start that fits followed by "…"."""
    if font.width(text, size) <= width_px:
        return text
    budget = width_px - font.width(ELLIPSIS, size)
    scale = size / font.height_units
    missing = font.advances.get(0x30, font.units_per_em // 2)
    used, n = 0.0, 0
    for ch in text:
        step = font.advances.get(ord(ch), missing) * scale
        if used + step > budget:
            break
        used += step
        n += 1
    return text[:n].rstrip() + ELLIPSIS


def fit_names(names: list[str], width_px: float, font: FontMetrics, size: float) -> str:
    """As many whole ``names`` as fit in ``width_px``, then ``+N`` for the rest (a name cut by the
    column's edge could read as another model: ``gpt-4o-mini`` as ``gpt-4``); the first name cut
    with "…" when even it does not fit."""
    shown = 1
    for k in range(2, len(names) + 1):
        rest = len(names) - k
        if font.width(", ".join(names[:k]) + (f" +{rest}" if rest else ""), size) > width_px:
            break
        shown = k
    rest = len(names) - shown
    return fit(", ".join(names[:shown]) + (f" +{rest}" if rest else ""), width_px, font, size)
