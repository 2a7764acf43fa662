"""Finding, reading and validating pricing files.

Bundled files come from the top-level ``pricing/`` folder (inside the wheel as
``costpanel/_pricing``). User overrides come from ``<user config dir>/pricing/*.toml`` (or
``pricing.toml`` there) and from ``COSTPANEL_PRICING`` (files or folders, ``os.pathsep``-separated).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import config_dir
from .errors import PricingError

if TYPE_CHECKING:  # pydantic is imported only when files are actually read
    from .schema import MatchingRules, ProviderFile

MATCHING_FILE = "_matching.toml"
ENV_PRICING = "COSTPANEL_PRICING"


def bundled_dir() -> Path:
    """The shipped price files: package data in a wheel, the repo's ``pricing/`` when editable."""
    packaged = Path(__file__).resolve().parent.parent / "_pricing"
    if packaged.is_dir():
        return packaged
    repo = Path(__file__).resolve().parents[3] / "pricing"
    if repo.is_dir():
        return repo
    raise PricingError([f"bundled pricing folder not found (looked in {packaged} and {repo})"])


def override_paths() -> list[Path]:
    """User override files in load order: config dir first, then ``COSTPANEL_PRICING``."""
    paths: list[Path] = []
    base = config_dir()
    if (base / "pricing.toml").is_file():
        paths.append(base / "pricing.toml")
    if (base / "pricing").is_dir():
        paths.extend(sorted((base / "pricing").glob("*.toml")))
    for item in filter(None, os.environ.get(ENV_PRICING, "").split(os.pathsep)):
        p = Path(item).expanduser()
        if p.is_dir():
            paths.extend(sorted(p.glob("*.toml")))
        elif p.is_file():
            paths.append(p)
        else:
            raise PricingError([f"{ENV_PRICING}: {item}: no such file or folder"])
    return paths


def provider_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("_"))


def read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as f:
            return tomllib.load(f, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PricingError([f"{path}: not valid TOML: {exc}"]) from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition; tomllib does not say which file
        raise PricingError([f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): "
                            "save it as UTF-8"]) from None
    except IsADirectoryError:
        raise PricingError([f"{path}: is a folder, not a price file"]) from None
    except OSError as exc:
        raise PricingError([f"{path}: cannot read: {exc.strerror or exc}"]) from None


def write_override(path: Path, text: str) -> None:
    """Write a price file only if it validates on top of the bundled prices, atomically.

    The text goes to a temp file next to ``path``, is checked, then renamed over ``path``; the
    temp file never outlives this call, whatever fails. Raises PricingError (the problems, naming
    ``path``) or OSError (``path`` cannot be written)."""
    import tempfile

    from .catalog import check_files

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        problems = check_files([Path(tmp)])  # validated before it can affect any later load
        if problems:
            raise PricingError([p.replace(tmp, str(path)) for p in problems])
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _describe_location(data: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """``model 'gpt-4o' field prices[0].input`` from pydantic's ``('models', 3, 'prices', 0, 'input')``."""
    where = ""
    rest: Iterable[int | str] = loc
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        models = data.get("models")
        model = models[loc[1]] if isinstance(models, list) and loc[1] < len(models) else None
        model_id = model.get("id") if isinstance(model, dict) else None
        where = f"model {model_id!r} (models[{loc[1]}]) " if model_id else f"models[{loc[1]}] "
        rest = loc[2:]
    path = ""
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return (where + (f"field {path}" if path else "")).strip()


def _plain(message: str, kind: str) -> str:
    """pydantic's wording, minus its jargon."""
    if kind == "extra_forbidden":
        return "unknown field (not part of the schema: see docs/pricing.md)"
    return message.removeprefix("Value error, ")


def validate_provider(path: Path, data: dict[str, Any]) -> ProviderFile:
    from pydantic import ValidationError

    from .schema import ProviderFile

    try:
        return ProviderFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        model_errors = any(len(e["loc"]) > 1 and e["loc"][0] == "models" for e in errors)
        problems = []
        for err in errors:
            if model_errors and tuple(err["loc"]) == ("models",) and err["type"] == "too_short":
                continue  # pydantic's follow-on of the invalid models already listed
            loc = _describe_location(data, tuple(err["loc"])) or "file"
            value = err.get("input")
            shown = ""
            if not isinstance(value, (dict, list)) and err["type"] != "missing" and repr(value) not in err["msg"] \
                    and str(value) not in err["msg"]:
                shown = f" (got {value!r})"
            problems.append(f"{path}: {loc}: {_plain(err['msg'], err['type'])}{shown}")
        raise PricingError(problems) from None


def load_provider_file(path: Path) -> ProviderFile:
    return validate_provider(path, read_toml(path))


def load_matching_rules(folder: Path) -> MatchingRules:
    from pydantic import ValidationError

    from .schema import MatchingRules

    path = folder / MATCHING_FILE
    data = read_toml(path)
    try:
        return MatchingRules.model_validate(data)
    except ValidationError as exc:
        raise PricingError([f"{path}: {_describe_location(data, tuple(e['loc'])) or 'file'}: {_plain(e['msg'], e['type'])}"
                            for e in exc.errors(include_url=False)]) from None
