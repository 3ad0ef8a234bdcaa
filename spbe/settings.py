"""One settings object, read from the environment once, validated when built.

Every `SPBE_*` variable (and `PREFECT_API_URL`) is read here and nowhere else; modules ask
`get_settings()`. Channel secrets are named in the cycle file (`token_env = "..."`), so the settings keep
a snapshot of the environment (`environ`) for the channels to look those names up in.

Kept as a plain dataclass (not pydantic-settings) so that quick commands such as `spbe score`
stay fast: building it imports nothing heavy.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from urllib.parse import parse_qsl, urlencode

from spbe.errors import ConfigError
from spbe.instants import parse_instant

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CYCLE_FILE = "pekalongan-2025.toml"
DEFAULT_LOCK_TIMEOUT = 30.0  # seconds a write waits for another process's lock before it is an outage
LANGUAGES = ("id", "en")  # the catalogs in spbe/locale: Indonesian, the default, and English
DEFAULT_LANGUAGE = "id"
DEFAULT_PORTAL_PORT = 8400
DEFAULT_PORTAL_BASE_URL = f"http://127.0.0.1:{DEFAULT_PORTAL_PORT}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    cycle_file: Path
    actor: str
    prefect_api_url: str | None
    config_dir: Path = PROJECT_ROOT / "config"
    cycle_code: str | None = None  # SPBE_CYCLE: the cycle a command works on when the store holds several
    now: datetime | None = None  # SPBE_NOW: the clock frozen for this process
    prefect_ui_url: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    debug: bool = False  # SPBE_DEBUG: an unexpected error shows its traceback
    language: str = DEFAULT_LANGUAGE  # SPBE_LANG: the language of everything a person reads (spbe.i18n)
    portal_base_url: str = DEFAULT_PORTAL_BASE_URL  # SPBE_PORTAL_BASE_URL: what printed and sent links start with
    template_secret: str | None = field(repr=False, default=None)
    # SPBE_BACKGROUND_MINUTES: a flow-running command with no `spbe serve` starts a background engine (and a
    # local Prefect server when no PREFECT_API_URL is set) that later commands reuse; it stops after this many
    # idle minutes. 0: never, each command runs its flow itself (tests, CI).
    background_minutes: float = 30.0
    environ: Mapping[str, str] = field(repr=False, default_factory=lambda: MappingProxyType({}))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def database_label(self) -> str:
        """The URL without any password, fit for logs and output."""
        return redact_url(self.database_url)


SECRET_QUERY_KEYS = frozenset(
    {"password", "passwd", "pwd", "pass", "sslpassword", "secret", "token", "access_token", "api_key", "apikey"}
)


def redact_url(url: str) -> str:
    """The URL with its password hidden, wherever it sits: `user:password@` or a `?password=` query value."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    rest, hash_, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    if "@" in rest:
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        rest = f"{user}:***@{host}" if ":" in creds else f"{user}@{host}"
    if question:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_QUERY_KEYS for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() in SECRET_QUERY_KEYS else v) for k, v in pairs], safe="*/:")
    return f"{scheme}://{rest}{question}{query}{hash_}{fragment}"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pin the psycopg 3 driver."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite")):
        return url
    if url.startswith("postgresql+"):
        raise ConfigError(
            f"SPBE_DATABASE_URL uses an unsupported driver; use postgresql+psycopg:// ({redact_url(url)})"
        )
    raise ConfigError(f"SPBE_DATABASE_URL must be sqlite:///PATH or postgresql+psycopg://...; got {redact_url(url)}")


def settings_from(env: Mapping[str, str]) -> Settings:
    """Build and validate the settings from an environment (a plain mapping: tests pass their own)."""

    def value(name: str) -> str | None:
        text = env.get(name, "").strip()
        return text or None  # an empty variable means the same as an unset one

    data_dir = Path(value("SPBE_DATA_DIR") or Path.cwd() / ".spbe")
    config_dir = Path(value("SPBE_CONFIG_DIR") or PROJECT_ROOT / "config")
    raw_url = value("SPBE_DATABASE_URL")
    url = normalise_database_url(raw_url) if raw_url else f"sqlite:///{data_dir / 'spbe.db'}"
    now = value("SPBE_NOW")
    lock = value("SPBE_LOCK_TIMEOUT")
    try:
        lock_timeout = float(lock) if lock else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        lock_timeout = -1.0
    if not 0 < lock_timeout <= 3600:
        raise ConfigError(f"SPBE_LOCK_TIMEOUT={lock!r}: give the seconds a write may wait for a lock (0-3600)")
    language = (value("SPBE_LANG") or DEFAULT_LANGUAGE).lower()
    if language not in LANGUAGES:
        raise ConfigError(f"SPBE_LANG={language!r}: choose one of {', '.join(LANGUAGES)}")
    background = value("SPBE_BACKGROUND_MINUTES")
    try:
        background_minutes = float(background) if background else 30.0
    except ValueError:
        background_minutes = -1.0
    if not 0 <= background_minutes <= 24 * 60:
        raise ConfigError(
            f"SPBE_BACKGROUND_MINUTES={background!r}: give the idle minutes before the background engine stops "
            "(0 turns it off, at most 1440)"
        )
    return Settings(
        portal_base_url=portal_base_url(value("SPBE_PORTAL_BASE_URL")),
        database_url=url,
        data_dir=data_dir,
        config_dir=config_dir,
        cycle_file=Path(value("SPBE_CYCLE_CONFIG") or config_dir / DEFAULT_CYCLE_FILE),
        cycle_code=value("SPBE_CYCLE"),
        actor=value("SPBE_ACTOR") or _os_user(),
        now=parse_instant(now, what="SPBE_NOW") if now else None,
        prefect_api_url=value("PREFECT_API_URL"),
        prefect_ui_url=value("PREFECT_UI_URL"),
        lock_timeout=lock_timeout,
        debug=(value("SPBE_DEBUG") or "").lower() in ("1", "true", "yes"),
        language=language,
        template_secret=value("SPBE_TEMPLATE_SECRET"),
        background_minutes=background_minutes,
        environ=MappingProxyType(dict(env)),
    )


def portal_base_url(text: str | None) -> str:
    """The portal's public address (a city puts it behind its own domain and TLS): http(s), a host, no
    query or fragment; kept without its trailing slash."""
    if text is None:
        return DEFAULT_PORTAL_BASE_URL
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            f"SPBE_PORTAL_BASE_URL={text[:100]!r}: give the portal's public address, e.g. https://spbe.pekalongankota.go.id"
        )
    return text.rstrip("/")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


@cache
def get_settings() -> Settings:
    """The process's settings, read from its environment the first time they are asked for."""
    return settings_from(os.environ)


def prefect_environment() -> tuple[tuple[str, str], ...]:
    """Prefect's own variables as they stand now (not cached: spbe.prefect_env writes them when a process
    switches servers). Prefect reads them itself; this is for telling whether they changed."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("PREFECT_")))
