"""Panel settings remembered between runs (window, theme, font size, sort order, budget).

A settings file must never stop the panel from opening: a missing file gives the defaults, and an
unreadable or invalid one gives a warning naming the file and the problem, with every value that
was still valid kept and the rest back at their defaults.
"""

from __future__ import annotations

import json
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_serializer

from ..budgets import check_budget
from ..money import usd_str
from ..paths import config_dir, write_private_file

SETTINGS_FILE = "panel.json"
_MAX_COORD = 32767


class SettingsWarning(UserWarning):
    """The settings file could not be used as it is (the panel still opens)."""


class PanelSettings(BaseModel):
    """What the panel remembers. Unknown keys are ignored, so older and newer files both load."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    # Upper bounds keep a hand-edited file from overflowing the window system's 16-bit geometry.
    width: int = Field(1280, ge=400, le=_MAX_COORD)
    height: int = Field(800, ge=300, le=_MAX_COORD)
    x: int = Field(100, ge=-_MAX_COORD, le=_MAX_COORD)  # may be negative on a left-hand monitor
    y: int = Field(100, ge=-_MAX_COORD, le=_MAX_COORD)
    theme: Literal["dark", "light"] = "dark"
    font_scale: float = Field(1.0, ge=0.75, le=2.5)
    sort: dict[str, tuple[str, bool]] = Field(default_factory=dict)
    """Table name → (column key, descending)."""
    budget_usd: Annotated[Decimal, AfterValidator(check_budget)] | None = None  # as the budget field accepts

    @field_serializer("budget_usd")
    def _plain_budget(self, value: Decimal | None) -> str | None:
        return usd_str(value)  # "5.5", never pydantic's "5.5E+0"-style exponent forms


def settings_path() -> Path:
    """``<config dir>/panel.json`` (``COSTPANEL_CONFIG_DIR`` moves it, e.g. in tests)."""
    return config_dir() / SETTINGS_FILE


def _warn(path: Path, problem: str) -> None:
    warnings.warn(f"{path}: {problem}", SettingsWarning, stacklevel=2)


def _read(path: Path) -> Any:
    """The file's JSON; raises OSError or ValueError (bad encoding or JSON) for the caller to report."""
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def _validate_keeping_good_values(path: Path, data: dict[str, Any]) -> PanelSettings:
    """Validate; on errors, warn and drop only the invalid top-level fields."""
    try:
        return PanelSettings.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    bad = {str(e["loc"][0]) for e in errors if e["loc"]}
    details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})" for e in errors)
    _warn(path, f"invalid setting(s), using the default for {', '.join(sorted(bad))}: {details}")
    try:
        return PanelSettings.model_validate({k: v for k, v in data.items() if k not in bad})
    except ValidationError:  # pragma: no cover - only if an error had no field to blame
        return PanelSettings()


def load_settings(path: Path | None = None) -> PanelSettings:
    """The saved settings; defaults when there are none. Never raises for a bad file (warns)."""
    path = settings_path() if path is None else path
    try:
        data = _read(path)
    except FileNotFoundError:
        return PanelSettings()
    except OSError as exc:
        _warn(path, f"cannot read ({exc.strerror or exc}); using default settings")
        return PanelSettings()
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        _warn(path, f"not valid JSON ({exc}); using default settings")
        return PanelSettings()
    if not isinstance(data, dict):
        _warn(path, f"expected a JSON object, got {type(data).__name__}; using default settings")
        return PanelSettings()
    return _validate_keeping_good_values(path, data)


def save_settings(settings: PanelSettings, path: Path | None = None) -> Path:
    """Write atomically (a crash never leaves half a file), readable by this user only."""
    path = settings_path() if path is None else path
    text = settings.model_dump_json(indent=2) + "\n"
    write_private_file(path, text.encode("utf-8"))
    return path
