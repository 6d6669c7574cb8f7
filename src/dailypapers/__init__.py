"""dailypapers: reads the Hugging Face Daily Papers for you.

The public API: settings, the run of a date (or a range), and the data it produces. The stages
(``sources``, ``fulltext``, ``summarize``, ``verify``, ``render``, ``publish``, ``store``) are
importable modules of their own. Names are imported on first use, so that a PDF worker process
(which imports ``dailypapers.fulltext``) does not load the LLM client and the database layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "DailyPapersError",
    "Digest",
    "FullText",
    "Paper",
    "PaperResult",
    "RunResult",
    "RunStats",
    "Settings",
    "Summary",
    "__version__",
    "load_settings",
    "publish_result",
    "run_day",
    "run_range",
]

_HOMES = {
    "Settings": "config",
    "load_settings": "config",
    "DailyPapersError": "errors",
    "Digest": "models",
    "FullText": "models",
    "Paper": "models",
    "PaperResult": "models",
    "RunStats": "models",
    "Summary": "models",
    "RunResult": "pipeline",
    "publish_result": "pipeline",
    "run_day": "pipeline",
    "run_range": "pipeline",
}

if TYPE_CHECKING:
    from .config import Settings, load_settings
    from .errors import DailyPapersError
    from .models import Digest, FullText, Paper, PaperResult, RunStats, Summary
    from .pipeline import RunResult, publish_result, run_day, run_range


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'dailypapers' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
