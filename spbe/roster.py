"""The roster: OPDs, their admins and heads, coordinators, assessors, leadership, default owners.

Read from TOML files in the cycle's roster folder and validated as a whole, every problem listed. Names,
addresses and ids travel into mail headers, message subjects and terminal output, so a line break or any
other control character in them is refused here, naming the file and the field (a carriage return in a
name used to break every e-mail to that person).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from spbe.errors import ConfigError
from spbe.frameworks import Framework

ROLES = ("coordinator", "assessor", "admin", "head", "leadership")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _one_line(value: object, what: str, problems: list[str]) -> None:
    """Refuse a value that would break a mail header or steer a terminal."""
    if isinstance(value, str):
        bad = _CONTROL.search(value)
        if bad:
            problems.append(
                f"{what} memuat karakter kendali U+{ord(bad.group()):04X} (baris baru, tab, atau sejenisnya); "
                "tulis dalam satu baris tanpa karakter itu"
            )


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    opd: str | None
    email: str | None = None
    phone: str | None = None
    telegram: str | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Opd:
    code: str
    name: str
    admin_id: str
    head_id: str


@dataclass(frozen=True)
class Roster:
    opds: tuple[Opd, ...]
    people: tuple[Person, ...]
    owners: dict[int, str] = field(default_factory=dict)

    def by_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]


def owners_path(folder: Path, framework: Framework) -> Path:
    """The owners file for a framework: `owners-<framework id>.toml` when the folder has one (one roster
    serves cycles under different frameworks, whose indicator numbers mean different things), else
    `owners.toml`."""
    own = folder / f"owners-{framework.id}.toml"
    return own if own.is_file() else folder / "owners.toml"


def load_roster(folder: Path, framework: Framework) -> Roster:
    problems: list[str] = []
    opds_raw = _read(folder / "opds.toml", problems).get("opd", [])
    people_raw = _read(folder / "people.toml", problems)
    owners_file = owners_path(folder, framework)
    owners_raw = _read(owners_file, problems).get("owners", {})

    opds: list[Opd] = []
    people: list[Person] = []
    for i, item in enumerate(opds_raw, start=1):
        where = f"opds.toml opd #{i}"
        code = str(item.get("code", ""))
        if not _CODE.match(code):
            problems.append(f"{where}: code {code!r} must be upper-case letters, digits and '-'")
        if not item.get("name"):
            problems.append(f"{where} ({code}): name is missing")
        _one_line(item.get("name"), f"{where} ({code}): name", problems)
        for role in ("admin", "head"):
            contact = item.get(role)
            if not isinstance(contact, dict):
                problems.append(f"{where} ({code}): {role} is missing")
                continue
            people.append(_person(contact, role, code, f"{where} ({code}) {role}", problems))
        if isinstance(item.get("admin"), dict) and isinstance(item.get("head"), dict):
            opds.append(Opd(code, str(item.get("name", "")), str(item["admin"].get("id")), str(item["head"].get("id"))))
    for role in ("coordinator", "assessor", "leadership"):
        for i, item in enumerate(people_raw.get(role, []), start=1):
            people.append(_person(item, role, item.get("opd"), f"people.toml {role} #{i}", problems))

    codes = [o.code for o in opds]
    for dup in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"opds.toml: OPD code {dup} appears more than once")
    ids = [p.id for p in people]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        problems.append(f"person id {dup!r} appears more than once")
    known = set(codes)
    for p in people:
        if p.opd is not None and p.opd not in known:
            problems.append(f"{p.role} {p.id}: OPD {p.opd!r} is not in opds.toml")
    if not any(p.role == "coordinator" for p in people):
        problems.append("people.toml: at least one [[coordinator]] is required")

    owners: dict[int, str] = {}
    for key, code in owners_raw.items():
        if not str(key).isdigit() or not framework.has_indicator(int(key)):
            problems.append(f"{owners_file.name}: {key!r} is not an indicator of {framework.id}")
            continue
        if code not in known:
            problems.append(f"{owners_file.name}: indicator {key}: OPD {code!r} is not in opds.toml")
            continue
        owners[int(key)] = str(code)
    if problems:
        raise ConfigError(problems, source=f"roster {folder.name}")
    return Roster(tuple(opds), tuple(people), owners)


def _person(item: dict, role: str, opd: str | None, where: str, problems: list[str]) -> Person:
    pid = str(item.get("id", ""))
    if not _ID.match(pid):
        problems.append(f"{where}: id {pid!r} must be lower-case letters, digits, '.', '_' or '-'")
    if not item.get("name"):
        problems.append(f"{where}: name is missing")
    for field_name in ("name", "email", "telegram"):
        _one_line(item.get(field_name), f"{where}: {field_name}", problems)
    email, phone = item.get("email"), item.get("phone")
    if email and not _EMAIL.match(str(email)):
        problems.append(f"{where}: email {email!r} is not an e-mail address")
    if phone and not _PHONE.match(str(phone)):
        problems.append(f"{where}: phone {phone!r} must be digits with an optional leading + (e.g. +628123456789)")
    if not (email or phone or item.get("telegram")):
        problems.append(f"{where}: needs at least one contact (email, phone or telegram)")
    return Person(
        id=pid,
        name=str(item.get("name", "")),
        role=role,
        opd=str(opd) if opd else None,
        email=str(email) if email else None,
        phone=str(phone) if phone else None,
        telegram=str(item["telegram"]) if item.get("telegram") else None,
        channels=tuple(item.get("channels", ())),
    )


def _read(path: Path, problems: list[str]) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path.name} is missing in {path.parent}")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path.name}: {exc}")
    return {}
