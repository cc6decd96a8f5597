"""The one settings class: every knob of clusterhub, read from ``CLUSTERHUB_*`` variables."""

from __future__ import annotations

import ipaddress
import math
from collections import Counter
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from clusterhub.errors import InvalidInput, Problem
from clusterhub.stats.vocabulary import EngineName


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "clusterhub"


def _default_state_dir() -> Path:
    return Path.home() / ".local" / "share" / "clusterhub"


INSECURE_SECRET = "development-only-secret-change-me"
#: The sender of development mail: the reserved ``.invalid`` domain, which no relay accepts.
DEVELOPMENT_SENDER = "clusterhub <no-reply@clusterhub.invalid>"


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
    source_base_url: str = Field(
        default="",
        description=(
            "A server standing in for the official sources (tests, an HTTP mirror): an "
            "official URL https://host/path?query is fetched from SOURCE_BASE_URL/host/path?query."
            " Empty (the default): the official URLs themselves."
        ),
    )
    download_timeout: float = Field(
        default=120.0, description="Seconds to wait for an official source before giving up."
    )
    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description=(
            "Deployment kind; 'production' refuses insecure defaults (secret key, HTTP, mail "
            "backends that log links or reach nobody)."
        ),
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
    mail_backend: Literal["console", "file", "smtp"] = Field(
        default="console",
        description=(
            "Where e-mails go: printed to the log, written to STATE_DIR/mail, or sent through "
            "the SMTP server of the SMTP_* settings. Production accepts only 'smtp': the log "
            "and the files would hold reset links (secrets) and reach nobody."
        ),
    )
    mail_from: str = Field(
        default=DEVELOPMENT_SENDER,
        description=(
            "Sender (From) of every e-mail, 'Name <address>' or an address. Production needs "
            "a real address that the SMTP server may send for."
        ),
    )
    smtp_host: str = Field(default="", description="SMTP server name; needed by 'smtp'.")
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="SMTP port: 587 for starttls, 465 for tls."
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description=(
            "starttls: plain connection upgraded with STARTTLS (refused if the server cannot); "
            "tls: TLS from the first byte; none: no encryption (a relay on the same host). "
            "Certificates are always verified, against SMTP_CA_FILE when set."
        ),
    )
    smtp_username: str = Field(
        default="", description="SMTP log-in name; empty sends without logging in."
    )
    smtp_password: SecretStr = Field(
        default=SecretStr(""), description="SMTP password (never logged or shown)."
    )
    smtp_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds to wait for the SMTP server at each step before giving up.",
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description=(
            "PEM file of the certificate authorities to trust for the SMTP server, for private "
            "relays; when set it replaces the system's list."
        ),
    )
    email_verification_hours: int = Field(
        default=48, ge=1, le=720, description="Hours an e-mail verification link stays valid."
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
    engine: EngineName = Field(
        default="polars",
        description="Engine of the observatory's computations when a command does not choose "
        "one (--engine): polars (in this process) or spark (the optional extra `spark`; "
        "where Spark runs is set by SPARK_MASTER or SPARK_REMOTE).",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL for the spark engine: local[N] (Spark inside this "
        "process, N cores), spark://host:7077 (a standalone cluster), yarn, k8s://...",
    )
    spark_remote: str = Field(
        default="",
        description="Spark Connect endpoint (sc://host:15002); when set it is used instead of "
        "SPARK_MASTER, and the data never pass through a local JVM.",
    )
    spark_config: dict[str, str] = Field(
        default_factory=dict,
        description='Extra Spark configuration as JSON, e.g. {"spark.executor.memory": "8g"}.',
    )
    recommend: bool = Field(
        default=True,
        description="Learn the partner recommender from the stored Horizon 2020 projects in "
        "the background when the server starts (about a minute of two cores, at low "
        "priority) and again after they change, so profile pages and events can suggest "
        "partners; off, pages say that suggestions are switched off.",
    )
    events_timer_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        description="Seconds between the running server's rounds that expire unanswered "
        "meeting requests and ask due event follow-up questions (and mail people about them); "
        "0 turns the timer off (then run `clusterhub events expire` and `events followups` "
        "from cron).",
    )
    warm_at_start: bool = Field(
        default=True,
        description="Compute in the background, when the server starts, what every region "
        "page of a level shares (the scoreboard's scores and peers' cluster map, the "
        "diversification matrix), so the first visitors do not wait for it.",
    )
    db_pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="Database connections each server process keeps open.",
    )
    db_max_overflow: int = Field(
        default=30,
        ge=0,
        le=500,
        description=(
            "Extra connections a process may open under load, beyond DB_POOL_SIZE. Pool size "
            "plus overflow, times the server processes, must stay below PostgreSQL's "
            "max_connections; the default 10 + 30 covers the 40 request threads of a process."
        ),
    )
    db_pool_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description=(
            "Seconds a request waits for a free database connection before it is answered "
            "503 with Retry-After (never a 500)."
        ),
    )
    max_concurrent_writes: int = Field(
        default=8,
        ge=1,
        le=32,
        description=(
            "Requests that write running at once in one server process; more wait their turn "
            "(up to DB_BUSY_TIMEOUT seconds, then 503). At most 32, so that waiting writers "
            "never take all 40 request threads."
        ),
    )
    db_busy_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description=(
            "Seconds a write waits for its turn (other requests' writes in this process, and "
            "on SQLite another process's write: writes are taken in turn, BEGIN IMMEDIATE) "
            "before it is answered 503 with Retry-After."
        ),
    )
    max_request_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description=(
            "Largest request body (form or JSON) accepted, in bytes; larger ones are refused "
            "413 as they arrive, chunked or not."
        ),
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024 + 64 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description=(
            "Largest request body of a file upload route, in bytes (the file plus its form)."
        ),
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers "
            "are believed (comma-separated IPs or networks, e.g. 127.0.0.1,10.0.0.0/8). Empty "
            "(the default): the headers are ignored and the client is the connecting "
            "address, so nobody can pick the address the login rate limit counts."
        ),
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

    @field_validator("data_mirror", mode="before")
    @classmethod
    def _no_empty_mirror(cls, value: object) -> object:
        """An empty CLUSTERHUB_DATA_MIRROR means no mirror, not the working directory (a
        fresh machine would otherwise look for every data set in it and download nothing)."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        """A comma-separated list of addresses or networks, each checked."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for entry in value:
                ipaddress.ip_network(str(entry), strict=False)  # ValueError names the entry
        return value

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.state_dir / 'clusterhub.db'}"
        refusals = _mail_refusals(self)
        if self.environment == "production":
            refusals = _production_refusals(self) + refusals
        if refusals:
            raise ValueError("\n".join(refusals))  # one refusal a line: see _problems
        return self


def _production_refusals(settings: Settings) -> list[str]:
    """What production refuses: insecure defaults, and mail that would leak or go nowhere."""
    refusals = []
    weakness = secret_weakness(settings.secret_key)
    if weakness:
        refusals.append(
            f"CLUSTERHUB_SECRET_KEY {weakness}; production needs a random one, e.g. the output "
            "of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if not settings.public_url.startswith("https://"):
        refusals.append(
            "CLUSTERHUB_PUBLIC_URL must be set to the site's https:// address in production"
        )
    if settings.mail_backend != "smtp":
        refusals.append(
            f"CLUSTERHUB_MAIL_BACKEND must be 'smtp' in production (not {settings.mail_backend!r}: "
            "it would write password reset links, which are secrets, to the log or to files "
            "and mail nobody)"
        )
    elif settings.smtp_security == "none" and settings.smtp_username:
        refusals.append(
            "CLUSTERHUB_SMTP_SECURITY 'none' would send the SMTP password unencrypted: use "
            "'starttls' or 'tls' in production"
        )
    if _address(settings.mail_from).endswith(".invalid"):
        refusals.append(
            "CLUSTERHUB_MAIL_FROM must be set to a real sender address in production "
            "(mail from the .invalid domain is refused by mail servers)"
        )
    return refusals


#: Bits a secret key must carry, estimated from its characters' frequencies.
MIN_SECRET_BITS = 128


def secret_weakness(secret: str) -> str | None:
    """What is wrong with ``secret`` as a signing key, or None when it will do.

    The strength is estimated as length x the Shannon entropy of its characters: 32 spaces
    carry 0 bits, a ``secrets.token_urlsafe(48)`` key about 340.
    """
    if INSECURE_SECRET in secret:
        return "is the development default"
    if len(secret) < 32:
        return f"has {len(secret)} characters; it needs at least 32"
    counts = Counter(secret)
    bits = sum(n * math.log2(len(secret) / n) for n in counts.values())
    if bits < MIN_SECRET_BITS:
        return (
            f"is too predictable (an estimated {bits:.0f} bits from its characters; at least "
            f"{MIN_SECRET_BITS} are needed: use a longer random key)"
        )
    return None


def _mail_refusals(settings: Settings) -> list[str]:
    """What any environment refuses in the mail settings (so mistakes show at start-up)."""
    refusals = []
    if "@" not in _address(settings.mail_from):
        refusals.append(
            "CLUSTERHUB_MAIL_FROM must be an e-mail address like 'clusterhub "
            f"<hub@example.org>', not {settings.mail_from!r}"
        )
    if settings.mail_backend == "smtp" and not settings.smtp_host:
        refusals.append("CLUSTERHUB_SMTP_HOST must name the SMTP server when the backend is smtp")
    if settings.smtp_ca_file is not None and not settings.smtp_ca_file.is_file():
        refusals.append(f"CLUSTERHUB_SMTP_CA_FILE: no file at {settings.smtp_ca_file}")
    return refusals


def _address(sender: str) -> str:
    """The address part of 'Name <address>' (empty when there is none)."""
    return parseaddr(sender)[1]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process.

    Refused settings raise ``InvalidInput`` naming each variable and what it needs, without
    pydantic's dump of the input, which would print secrets such as the SMTP password.
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = [p for error in exc.errors(include_input=False) for p in _problems(error)]
        summary = "The settings (CLUSTERHUB_* environment variables) are refused:"
        raise InvalidInput(problems, summary=summary) from None


def _problems(error: Any) -> list[Problem]:
    """A pydantic error as problems: a field's, or one per refusal of the whole-model check
    (whose lines name their variables themselves)."""
    message = str(error["msg"])
    if not error["loc"]:
        return [Problem(line) for line in message.removeprefix("Value error, ").splitlines()]
    return [Problem(message, field=f"CLUSTERHUB_{str(error['loc'][0]).upper()}")]


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
    if get_origin(annotation) is list:
        return f"comma-separated {_type_name(args[0])}s"
    if args:
        return " or ".join(_type_name(a) for a in args)
    return "None" if annotation is type(None) else getattr(annotation, "__name__", str(annotation))
