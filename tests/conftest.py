"""Shared fixtures: the real corpus (read in place) and the loopback fake server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path | None:
    """The shared corpus: $DAILYPAPERS_CORPUS, else ../shared/corpus beside the checkout."""
    explicit = os.environ.get("DAILYPAPERS_CORPUS")
    candidates = [Path(explicit)] if explicit else []
    candidates += [ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus"]
    for candidate in candidates:
        if (candidate / "hf_api").is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def corpus() -> Path:
    found = corpus_dir()
    if found is None:
        pytest.skip(
            "shared corpus not found (set DAILYPAPERS_CORPUS or put it at ../shared/corpus)"
        )
    return found


@pytest.fixture
def fake_server():
    """A started loopback FakeServer (HF API + arXiv + OpenAI-compatible chat)."""
    from fakeserver import FakeServer

    with FakeServer() as server:
        yield server
