"""The public API is what ``__all__`` says, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import dailypapers


def test_all_is_sorted_and_resolves():
    names = [n for n in dailypapers.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in dailypapers.__all__:
        assert getattr(dailypapers, name) is not None


def test_pdf_worker_import_stays_light():
    code = "import sys, dailypapers.fulltext.pdf; print('openai' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
