"""Where the kiosk keeps its files on a machine (documented in README: Files on a kiosk)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "kiosk-avatar"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Derived files that can be rebuilt at any time (patched voices, checksum records)."""
    return _dir("KIOSK_CACHE_DIR", platformdirs.user_cache_dir(APP))


def config_dir() -> Path:
    """Persona files staff edit."""
    return _dir("KIOSK_CONFIG_DIR", platformdirs.user_config_dir(APP))


def log_dir() -> Path:
    return _dir("KIOSK_LOG_DIR", platformdirs.user_log_dir(APP))


def package_root() -> Path:
    return Path(__file__).resolve().parent


def repo_root() -> Path:
    """The source checkout (or install prefix) holding assets/ and avatars/."""
    return package_root().parent
