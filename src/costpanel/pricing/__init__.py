"""Prices as data: schema (pydantic, loaded lazily), catalog and matching, integer cost maths."""

from .catalog import Catalog, ModelEntry, check_files, load_catalog
from .errors import PricingError

__all__ = ["Catalog", "ModelEntry", "PricingError", "check_files", "load_catalog"]
