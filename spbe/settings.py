"""One settings object, read from the environment once, validated when built.

Kept as a plain dataclass (not pydantic-settings) so that quick commands such as `spbe score`
stay fast: building it imports nothing heavy.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from spbe.errors import ConfigError
from spbe.paths import default_cycle_file


def _default_data_dir() -> Path:
    explicit = os.environ.get("SPBE_DATA_DIR")
    if explicit:
        return Path(explicit)
    return Path.cwd() / ".spbe"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    cycle_file: Path
    actor: str
    prefect_api_url: str | None
    template_secret: str | None = field(repr=False, default=None)

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


def redact_url(url: str) -> str:
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


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


@cache
def get_settings() -> Settings:
    data_dir = _default_data_dir()
    raw_url = os.environ.get("SPBE_DATABASE_URL")
    url = normalise_database_url(raw_url) if raw_url else f"sqlite:///{data_dir / 'spbe.db'}"
    try:
        os_user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        os_user = "unknown"
    return Settings(
        database_url=url,
        data_dir=data_dir,
        cycle_file=default_cycle_file(),
        actor=os.environ.get("SPBE_ACTOR") or os_user,
        prefect_api_url=os.environ.get("PREFECT_API_URL") or None,
        template_secret=os.environ.get("SPBE_TEMPLATE_SECRET") or None,
    )
