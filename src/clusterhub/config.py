"""The one settings class: every knob of clusterhub, read from ``CLUSTERHUB_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "clusterhub"


class Settings(BaseSettings):
    """Runtime configuration; environment variables use the ``CLUSTERHUB_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="CLUSTERHUB_", extra="ignore")

    data_mirror: Path | None = Field(
        default=None,
        description=(
            "Directory laid out like the official data mirror (eu/, us/, cordis/). When set, data "
            "sets are read from it and nothing is downloaded (offline and air-gapped installs)."
        ),
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where data sets downloaded from their official sources are kept.",
    )
    download_timeout: float = Field(
        default=120.0, description="Seconds to wait for an official source before giving up."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
