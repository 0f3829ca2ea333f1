"""The profiles kefu ships (sample_data/profiles): where they are and their names, without
parsing them — the CLI's help lists them before anything heavy is imported."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_profiles_dir() -> Path:
    """Where the four shipped profiles live (sample_data/profiles)."""
    return Path(str(resources.files("kefu"))) / "sample_data" / "profiles"


def bundled_profile_names() -> list[str]:
    return sorted(p.stem for p in bundled_profiles_dir().glob("*.toml"))
