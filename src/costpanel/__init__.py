"""costpanel: live, exact token and dollar costs of an LLM agent session.

Importing this package never imports Dear PyGui (``costpanel.gui`` does) nor pydantic (loaded
when price files are first read), so headless users and test suites stay fast.
"""

from .adapters import anthropic_advisors, variant_of
from .attempts import Attempt
from .events import Event
from .guards import BudgetExceeded, Crossing, Guard
from .pricing import Catalog, PricingError, load_catalog
from .snapshot import Row, Snapshot
from .tracker import CostTracker
from .usage import Usage

__version__ = "0.1.0"

__all__ = [
    "Attempt",
    "BudgetExceeded",
    "Catalog",
    "CostTracker",
    "Crossing",
    "Event",
    "Guard",
    "PricingError",
    "Row",
    "Snapshot",
    "Usage",
    "__version__",
    "anthropic_advisors",
    "load_catalog",
    "variant_of",
]
