"""The model registry (``models/registry.toml``): the default models, the names the command line
understands for encoders and NLI scorers, and the folder of shipped model files. A spec that is not
a registry name is a Hugging Face hub id or a local path."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .types import CheckError

TEST_MODEL_MARKER = "CLAIMCHECK_TEST_MODEL"


def models_dir() -> Path:
    """The folder holding the model registry and shipped model files."""
    env = os.environ.get("CLAIMCHECK_MODELS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "models"


def load_registry() -> dict:
    path = models_dir() / "registry.toml"
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CheckError(f"model registry not found at {path} (set CLAIMCHECK_MODELS_DIR)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CheckError(f"model registry {path} is not valid TOML: {exc}") from exc


def lookup(role: str, spec: str | None) -> tuple[str, dict | None]:
    """The spec to load for ``role`` ("encoder" or "nli"; the registry default when ``spec`` is None) and
    its registry entry, or None for a hub id or local path."""
    registry = load_registry()
    spec = spec or registry["defaults"][role]
    return spec, registry.get({"encoder": "encoders", "nli": "nli"}[role], {}).get(spec)


def is_test_model(spec: str) -> bool:
    """Tiny randomly initialised models built by the tests carry a marker file; their scores mean nothing."""
    return (Path(spec) / TEST_MODEL_MARKER).is_file()
