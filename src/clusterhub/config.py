"""The one settings class: every knob of clusterhub, read from ``CLUSTERHUB_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args, get_origin

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "clusterhub"


def _default_state_dir() -> Path:
    return Path.home() / ".local" / "share" / "clusterhub"


INSECURE_SECRET = "development-only-secret-change-me"


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
    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="Deployment kind; 'production' refuses insecure defaults (secret key, HTTP).",
    )
    state_dir: Path = Field(
        default_factory=_default_state_dir,
        description="Where the embedded SQLite database and outgoing mail files are kept.",
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL; empty means SQLite at STATE_DIR/clusterhub.db. PostgreSQL: "
            "postgresql+psycopg://user@host:5432/dbname."
        ),
    )
    secret_key: str = Field(
        default=INSECURE_SECRET,
        description="Signs session and CSRF tokens; must be set (32+ characters) in production.",
    )
    mail_backend: Literal["console", "file"] = Field(
        default="console",
        description="Where account e-mails go: printed to the log, or written to STATE_DIR/mail.",
    )
    api_cache_seconds: float = Field(
        default=300.0,
        description="Seconds a JSON API answer is reused from memory (0 turns the cache off).",
    )
    embed_in_background: bool = Field(
        default=True,
        description="Let a running server embed directory profiles that have no sentence "
        "embedding yet (e.g. Horizon 2020 participants loaded on first start), a batch at a "
        "time, so semantic search covers them after a few minutes.",
    )
    session_days: int = Field(default=14, description="Days a login session stays valid.")
    login_attempts: int = Field(
        default=5, description="Failed logins allowed per e-mail and per client in the window."
    )
    login_window_minutes: int = Field(
        default=15, description="Length of the login rate-limit window, in minutes."
    )
    password_reset_minutes: int = Field(
        default=60, ge=5, le=1440, description="Minutes a password reset link stays valid."
    )
    public_url: str = Field(
        default="",
        description=(
            "Address people reach the site at (https://clusterhub.example.org), used for links "
            "in e-mails. Empty uses the request's own address, which is safe only in development "
            "and tests: the Host header is chosen by the client, so production must set this."
        ),
    )

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.state_dir / 'clusterhub.db'}"
        if self.environment == "production" and (
            self.secret_key == INSECURE_SECRET or len(self.secret_key) < 32
        ):
            msg = "CLUSTERHUB_SECRET_KEY must be set to 32+ random characters in production"
            raise ValueError(msg)
        if self.environment == "production" and not self.public_url.startswith("https://"):
            msg = "CLUSTERHUB_PUBLIC_URL must be set to the site's https:// address in production"
            raise ValueError(msg)
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()


def settings_reference() -> str:
    """The settings table of ``docs/reference/settings.md`` (a test keeps the file in step)."""
    lines = [
        "# Settings",
        "",
        "Every setting is read from an environment variable with the `CLUSTERHUB_` prefix.",
        "Generated from `clusterhub.config.Settings` by `make docs`.",
        "",
        "| variable | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = "(computed)" if field.default_factory else repr(field.default)
        kind = _type_name(field.annotation)
        lines.append(f"| `CLUSTERHUB_{name.upper()}` | {kind} | {default} | {field.description} |")
    return "\n".join(lines) + "\n"


def _type_name(annotation: object) -> str:
    """``Path``, ``str or None``, ``one of: a, b`` — readable types for the reference."""
    args = get_args(annotation)
    if get_origin(annotation) is Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if args:
        return " or ".join(_type_name(a) for a in args)
    return "None" if annotation is type(None) else getattr(annotation, "__name__", str(annotation))
