"""Shared fixtures: tiny randomly initialised models built here, so tests exercise the real
sentence-transformers / transformers loading code without any download."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tiny_models import build_tiny_encoder, build_tiny_nli

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory):
    """Tests never read or fill the user's result cache: one fresh cache for the whole run."""
    previous = os.environ.get("CLAIMCHECK_CACHE")
    os.environ["CLAIMCHECK_CACHE"] = str(tmp_path_factory.mktemp("result-cache"))
    yield
    if previous is None:
        os.environ.pop("CLAIMCHECK_CACHE", None)
    else:
        os.environ["CLAIMCHECK_CACHE"] = previous


@pytest.fixture()
def per_test_cache(monkeypatch, tmp_path) -> Path:
    """A result cache of the test's own (``tmp_path / "cache"``), for tests that look into it."""
    monkeypatch.setenv("CLAIMCHECK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture()
def encoder(tiny_encoder_path) -> str:
    """The tiny sentence-transformers encoder, as a spec for ``--encoder``."""
    return str(tiny_encoder_path)

@pytest.fixture(scope="session")
def tiny_encoder_path(tmp_path_factory) -> Path:
    """A sentence-transformers model with random weights (mean pooling over a 2-layer BERT)."""
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-st"))


@pytest.fixture(scope="session")
def tiny_nli_path(tmp_path_factory) -> Path:
    """A 3-label sequence classifier with random weights and NLI label names."""
    return build_tiny_nli(tmp_path_factory.mktemp("tiny-nli"))


@pytest.fixture()
def story_dir(tmp_path) -> Path:
    """A small three-language story written for the tests (not taken from any fixture)."""
    docs = {
        "en.txt": "date 2024-03-04\nThe minister said on Monday that the army will take over the northern base "
                  "next week.\nThe handover follows an agreement signed in January 2024.\nAbout 300 soldiers "
                  "will remain at the airport.\nComments\nNo comments yet. Be the first to comment!\n",
        "ms.txt": "Menteri berkata pada hari Isnin bahawa tentera akan mengambil alih pangkalan utara minggu "
                  "depan.\nPenyerahan itu menyusuli perjanjian yang ditandatangani pada Januari 2024.\nKira-kira "
                  "300 askar akan kekal di lapangan terbang.\n",
        "ar.txt": "قال الوزير يوم الاثنين إن الجيش سيتسلم القاعدة الشمالية الأسبوع المقبل.\n"
                  "ويأتي التسليم بعد اتفاق وقع في يناير 2024.\nوسيبقى نحو 300 جندي في المطار.\n",
    }
    for name, text in docs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path
