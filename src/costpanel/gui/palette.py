"""The two themes' colours as plain data (no Dear PyGui), so a test computes their WCAG contrast.

Text colours meet WCAG AA (4.5:1) on every background they are drawn on; the budget bar's fills,
a non-text element, meet 3:1 against the bar's empty part. The percentage is text beside the bar,
not drawn over its fill (where no one colour could keep its contrast on both parts).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..budgets import BudgetLevel

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    name: str
    window_bg: RGB
    child_bg: RGB
    popup_bg: RGB
    frame_bg: RGB  # inputs, combos and the budget bar's empty part
    button: RGB
    header_bg: RGB  # table header row
    row_bg: RGB
    row_bg_alt: RGB
    plot_bg: RGB
    text: RGB
    muted: RGB  # labels such as "By tier"
    unpriced: RGB  # a badge for "no price", never mistaken for $0
    notice: RGB  # messages (export saved, ledger problems)
    level_fill: dict[BudgetLevel, RGB]  # the budget bar
    level_text: dict[BudgetLevel, RGB]  # the budget notice line
    tier_lines: tuple[RGB, ...]  # chart colours of Tier 1..4, then Total
    # chart colours of other tiers (`main` / `subagent` of a watched CLI, an orchestrator's own
    # labels), in order of appearance: none shares a colour with Tier 1-4 or the total
    other_lines: tuple[RGB, ...]

    def series_colour(self, slot: int) -> RGB:
        """A chart line's colour: slots 0-3 Tier 1-4, 4 the total, 5 on the other tiers in turn."""
        if slot < len(self.tier_lines):
            return self.tier_lines[slot]
        return self.other_lines[(slot - len(self.tier_lines)) % len(self.other_lines)]

    def backgrounds(self) -> dict[str, RGB]:
        """Every background text is drawn on."""
        return {"window": self.window_bg, "child": self.child_bg, "popup": self.popup_bg, "frame": self.frame_bg,
                "button": self.button, "header": self.header_bg, "row": self.row_bg, "row_alt": self.row_bg_alt}


DARK = Palette(
    name="dark", window_bg=(28, 29, 34), child_bg=(28, 29, 34), popup_bg=(40, 42, 50), frame_bg=(52, 55, 66),
    button=(58, 66, 92), header_bg=(48, 54, 72), row_bg=(28, 29, 34), row_bg_alt=(36, 38, 45), plot_bg=(22, 23, 27),
    text=(233, 234, 238), muted=(165, 168, 180), unpriced=(255, 184, 77), notice=(255, 140, 120),
    level_fill={BudgetLevel.OK: (64, 160, 200), BudgetLevel.WATCH: (255, 191, 0), BudgetLevel.WARN: (255, 128, 0),
                BudgetLevel.OVER: (255, 95, 95)},
    level_text={BudgetLevel.OK: (165, 168, 180), BudgetLevel.WATCH: (255, 200, 60), BudgetLevel.WARN: (255, 160, 80),
                BudgetLevel.OVER: (255, 130, 130)},
    tier_lines=((96, 165, 250), (52, 211, 153), (251, 191, 36), (244, 114, 182), (235, 235, 240)),
    other_lines=((251, 146, 60), (167, 139, 250), (163, 230, 53), (34, 211, 238)),
)
LIGHT = Palette(
    name="light", window_bg=(248, 248, 250), child_bg=(248, 248, 250), popup_bg=(255, 255, 255),
    frame_bg=(226, 228, 234), button=(212, 217, 232), header_bg=(220, 224, 236), row_bg=(248, 248, 250),
    row_bg_alt=(238, 239, 244), plot_bg=(255, 255, 255),
    text=(20, 20, 24), muted=(80, 82, 94), unpriced=(150, 72, 0), notice=(170, 36, 20),
    level_fill={BudgetLevel.OK: (30, 110, 170), BudgetLevel.WATCH: (150, 100, 0), BudgetLevel.WARN: (196, 84, 0),
                BudgetLevel.OVER: (196, 32, 32)},
    level_text={BudgetLevel.OK: (80, 82, 94), BudgetLevel.WATCH: (122, 80, 0), BudgetLevel.WARN: (160, 60, 0),
                BudgetLevel.OVER: (170, 30, 30)},
    tier_lines=((37, 99, 235), (5, 150, 105), (180, 110, 0), (190, 24, 93), (20, 20, 24)),
    other_lines=((194, 65, 12), (109, 40, 217), (77, 124, 15), (8, 145, 178)),
)
PALETTES = {"dark": DARK, "light": LIGHT}


def luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
