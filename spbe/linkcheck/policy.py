"""What the link checker may fetch. Pure: no I/O, no clock.

The checker runs on a server inside the city's network and fetches URLs that anybody can type into a
submission, so it is a server-side request forgery target: a link to 169.254.169.254 or to an internal
admin page must not be fetched. Only http(s) URLs to public addresses are fetched; an intranet host or
network can be allow-listed in the cycle config (`[evidence] allow_hosts`, `allow_networks`). Cloud
metadata addresses are refused even when a network containing them is allow-listed: nothing legitimate
lives there. Whether an address is public is decided on the address actually connected to (see `net`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from spbe.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

STATUSES = ("ok", "not_found", "forbidden", "timeout", "unsafe", "error")
STATUS_ID = {  # what an OPD admin or assessor reads
    "ok": "dapat dibuka",
    "not_found": "tidak ditemukan",
    "forbidden": "akses ditolak / tidak dibagikan",
    "timeout": "tidak merespons",
    "unsafe": "alamat tidak diizinkan",
    "error": "galat",
    None: "belum diperiksa",
}

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)

# A redirect here means "sign in first": the document exists but is not shared with the public.
LOGIN_HOSTS = frozenset({"accounts.google.com", "login.microsoftonline.com", "login.live.com"})


@dataclass(frozen=True)
class EvidenceSettings:
    timeout_seconds: float = 10.0
    max_redirects: int = 3
    concurrency: int = 8
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()
    user_agent: str = "spbe-linkcheck/0.1 (pemeriksa tautan bukti dukung SPBE)"

    @classmethod
    def from_section(cls, section: dict[str, Any], *, where: str = "[evidence]") -> EvidenceSettings:
        """Validate the cycle config's `[evidence]` section; every problem is listed."""
        problems: list[str] = []
        timeout = _number(section.get("timeout_seconds", 10), f"{where} timeout_seconds", 0.01, 120, problems)
        redirects = _number(section.get("max_redirects", 3), f"{where} max_redirects", 0, 10, problems, whole=True)
        concurrency = _number(section.get("concurrency", 8), f"{where} concurrency", 1, 64, problems, whole=True)
        hosts = section.get("allow_hosts", [])
        if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
            problems.append(f"{where} allow_hosts must be a list of host names")
            hosts = []
        networks: list[IPNetwork] = []
        raw_networks = section.get("allow_networks", [])
        if not isinstance(raw_networks, list):
            problems.append(f'{where} allow_networks must be a list of networks such as "10.20.0.0/16"')
            raw_networks = []
        for text in raw_networks:
            try:
                networks.append(ipaddress.ip_network(str(text).strip(), strict=False))
            except ValueError:
                problems.append(f'{where} allow_networks: {text!r} is not a network (e.g. "10.20.0.0/16")')
        if problems:
            raise ConfigError(problems)
        return cls(
            timeout_seconds=float(timeout),
            max_redirects=int(redirects),
            concurrency=int(concurrency),
            allow_hosts=frozenset(normalise_host(h) for h in hosts),
            allow_networks=tuple(networks),
        )

    def host_allowed(self, host: str) -> bool:
        """An allow-listed host name: exact, or `*.example.go.id` / `.example.go.id` for a whole domain."""
        host = normalise_host(host)
        for entry in self.allow_hosts:
            if entry.startswith(("*.", ".")):
                suffix = entry.lstrip("*")
                if host.endswith(suffix) or host == suffix[1:]:
                    return True
            elif host == entry:
                return True
        return False


def normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(normalise_host(host).split("%", 1)[0])
    except ValueError:
        return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why an address is not public (None when it is). IPv6 forms that embed an IPv4 address are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = blocked_reason(embedded)
            if inner:
                return f"{inner} (embedded in {address})"
    if address in METADATA_ADDRESSES:
        return "cloud metadata address"
    for test, reason in (
        ("is_loopback", "loopback"),
        ("is_unspecified", "unspecified address"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved range"),
        ("is_private", "private network"),
    ):
        if getattr(address, test):
            return reason
    if not address.is_global:
        return "not a public address"
    return None


def address_refusal(host: str, address: IPAddress, settings: EvidenceSettings) -> str | None:
    """Why connecting to `address` (resolved from `host`) is refused, or None when it is allowed."""
    reason = blocked_reason(address)
    if reason is None:
        return None
    shown = host if literal_address(host) == address else f"{host} → {address}"
    if address in METADATA_ADDRESSES:
        return f"{shown}: {reason} (never fetched, even when allow-listed)"
    if settings.host_allowed(host) or any(address in net for net in settings.allow_networks):
        return None
    return f"{shown}: {reason}; allow-list it in [evidence] of the cycle config if it is an intranet server"


def url_refusal(url: str, settings: EvidenceSettings) -> str | None:
    """Checks that need no network: the scheme, credentials, and addresses written literally in the URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'}: only http and https links are checked"
    if not parts.hostname:
        return "no host name"
    if parts.username is not None or parts.password is not None:
        return "the link carries a user name or password"
    address = literal_address(parts.hostname)
    if address is not None:
        return address_refusal(parts.hostname, address, settings)
    return None


def is_login_page(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return normalise_host(host) in LOGIN_HOSTS


def status_for(http_status: int) -> str:
    if 200 <= http_status < 300 or http_status == 416:  # 416: the range missed an empty file, which exists
        return "ok"
    if http_status in (404, 410):
        return "not_found"
    if http_status in (401, 403, 451):
        return "forbidden"
    return "error"


def _number(value: Any, what: str, low: float, high: float, problems: list[str], *, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not float(value).is_integer()):
        problems.append(f"{what} must be {'a whole number' if whole else 'a number'}, got {value!r}")
        return low
    if not low <= value <= high:
        problems.append(f"{what} must be between {low:g} and {high:g}, got {value}")
    return value
