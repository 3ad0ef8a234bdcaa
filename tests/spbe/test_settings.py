"""One settings object, built once from the environment and validated when built; nothing else reads it."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spbe.errors import ConfigError
from spbe.settings import redact_url, settings_from
from tests.conftest import ROOT


def test_an_empty_variable_is_the_same_as_an_unset_one(tmp_path: Path):
    empty = settings_from(
        {
            "PREFECT_API_URL": "",
            "PREFECT_UI_URL": " ",
            "SPBE_CYCLE": "",
            "SPBE_NOW": "",
            "SPBE_DATA_DIR": str(tmp_path),
            "SPBE_DATABASE_URL": "",
            "SPBE_ACTOR": "",
            "SPBE_TEMPLATE_SECRET": "",
        }
    )
    unset = settings_from({"SPBE_DATA_DIR": str(tmp_path)})
    assert empty.prefect_api_url is None and empty.prefect_ui_url is None
    assert (empty.database_url, empty.cycle_code, empty.now, empty.actor, empty.template_secret) == (
        unset.database_url,
        unset.cycle_code,
        unset.now,
        unset.actor,
        unset.template_secret,
    )


def test_every_variable_reaches_its_field(tmp_path: Path):
    s = settings_from(
        {
            "SPBE_DATA_DIR": str(tmp_path / "d"),
            "SPBE_CONFIG_DIR": str(tmp_path / "c"),
            "SPBE_DATABASE_URL": "postgres://spbe@db/spbe",
            "SPBE_CYCLE": "batang-2025",
            "SPBE_ACTOR": "koordinator",
            "SPBE_NOW": "2025-09-30T16:00:00+07:00",
            "SPBE_LOCK_TIMEOUT": "2.5",
            "SPBE_DEBUG": "1",
            "PREFECT_API_URL": "http://127.0.0.1:4200/api",
        }
    )
    assert s.database_url == "postgresql+psycopg://spbe@db/spbe"
    assert s.cycle_file == tmp_path / "c" / "pekalongan-2025.toml"  # follows SPBE_CONFIG_DIR
    assert (s.cycle_code, s.actor, s.lock_timeout, s.debug) == ("batang-2025", "koordinator", 2.5, True)
    assert s.now == datetime(2025, 9, 30, 9, tzinfo=UTC)
    assert s.prefect_api_url == "http://127.0.0.1:4200/api"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SPBE_NOW": "kemarin"}, "SPBE_NOW 'kemarin' is not ISO 8601"),
        ({"SPBE_NOW": "2025-09-30T16:00:00"}, "no UTC offset"),
        ({"SPBE_LOCK_TIMEOUT": "lama"}, "SPBE_LOCK_TIMEOUT"),
        ({"SPBE_LOCK_TIMEOUT": "0"}, "SPBE_LOCK_TIMEOUT"),
        ({"SPBE_DATABASE_URL": "mysql://x@y/z"}, "must be sqlite:///PATH or postgresql"),
    ],
)
def test_bad_values_are_refused_when_the_settings_are_built(env, said):
    with pytest.raises(ConfigError, match=said):
        settings_from(env)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://spbe:s3cret@db:5432/spbe", "postgresql+psycopg://spbe:***@db:5432/spbe"),
        ("postgresql+psycopg://spbe@db/spbe?password=s3cret", "postgresql+psycopg://spbe@db/spbe?password=***"),
        (
            "postgresql+psycopg://db/spbe?sslmode=require&user=spbe&PASSWORD=s3cret",
            "postgresql+psycopg://db/spbe?sslmode=require&user=spbe&PASSWORD=***",
        ),
        ("postgresql://a:b@db/x?sslpassword=k3y#frag", "postgresql://a:***@db/x?sslpassword=***#frag"),
        ("sqlite:////srv/spbe/spbe.db", "sqlite:////srv/spbe/spbe.db"),
    ],
)
def test_a_password_is_hidden_wherever_it_sits_in_a_url(url, shown):
    assert redact_url(url) == shown
    assert "s3cret" not in redact_url(url) and "k3y" not in redact_url(url)


# Modules that may touch os.environ, and how: settings reads it (once); the others only write it, for
# Prefect in this process and for the servers and workers they start.
WRITERS = {"spbe/prefect_env.py", "spbe/prefect_server.py", "spbe/serving.py", "spbe/demo/runner.py"}


def _environment_reads(path: Path) -> list[int]:
    """Lines that read the environment: os.environ.get/[...]/in, os.getenv, a bare `os.environ` passed on."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    reads = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"):
            continue
        if node.attr == "getenv":
            reads.append(node.lineno)
        if node.attr != "environ":
            continue
        parent = parents.get(node)
        written = (
            (isinstance(parent, ast.Attribute) and parent.attr in ("setdefault", "update", "pop"))
            or (isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store | ast.Del))
            or isinstance(parent, ast.Dict)  # {**os.environ, ...}: the environment handed to a child process
        )
        if not written:
            reads.append(node.lineno)
    return reads


def test_no_module_but_settings_reads_the_environment():
    found = {}
    for folder in ("spbe", "flows", "tasks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "spbe/settings.py":
                continue
            reads = _environment_reads(path)
            if reads:
                found[rel] = reads
    assert found == {}, f"read the environment through spbe.settings.get_settings(), not directly: {found}"
    touching = {
        p.relative_to(ROOT).as_posix()
        for folder in ("spbe", "flows", "tasks")
        for p in (ROOT / folder).rglob("*.py")
        if "os.environ" in p.read_text(encoding="utf-8")
    }
    assert touching <= WRITERS | {"spbe/settings.py"}, touching - WRITERS
