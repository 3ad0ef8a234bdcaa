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
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import idna

from spbe.errors import ConfigError
from spbe.i18n import N_, _
from spbe.safe_text import printable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

STATUSES = ("ok", "not_found", "forbidden", "timeout", "unsafe", "error")
STATUS_ID = {  # what an OPD admin or assessor reads: plain words, no library's error text (pass through `_()`)
    "ok": N_("can be opened"),
    "not_found": N_("the link cannot be opened (404)"),
    "forbidden": N_("access permission needed"),
    "timeout": N_("the link's server does not answer"),
    "unsafe": N_("address not allowed"),
    "error": N_("the link cannot be opened"),
    None: N_("not checked yet"),
}


def status_text(status: str | None, http_status: int | None = None) -> str:
    """The status an OPD reads, with the HTTP code where the server gave one ("... (410)")."""
    if status == "not_found" and http_status and http_status != 404:
        return _("the link cannot be opened ({http_status})").format(http_status=http_status)
    if status == "forbidden":
        return _("access permission needed (the document is not shared with the public yet)")
    return _(STATUS_ID.get(status, STATUS_ID["error"]))

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
    # Names answered without DNS (air-gapped sites, the demo, tests): name → addresses. With `dns = false`
    # a name outside this table is not looked up at all.
    hosts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    dns: bool = True
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
        hosts_table = _hosts(section.get("hosts", {}), f"{where} hosts", problems)
        dns = section.get("dns", True)
        if not isinstance(dns, bool):
            problems.append(f"{where} dns must be true or false, got {dns!r}")
            dns = True
        if problems:
            raise ConfigError(problems)
        return cls(
            timeout_seconds=float(timeout),
            max_redirects=int(redirects),
            concurrency=int(concurrency),
            allow_hosts=frozenset(normalise_host(h) for h in hosts),
            allow_networks=tuple(networks),
            hosts=hosts_table,
            dns=dns,
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


# IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits (RFC 4291 compatible and mapped,
# RFC 6145 SIIT, RFC 6052 NAT64 well-known and RFC 8215 local-use prefixes).
_COMPATIBLE = ipaddress.ip_network("::/96")
_LOW32_PREFIXES = tuple(
    ipaddress.ip_network(n) for n in ("::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
)


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address may lead to: mapped, compatible, SIIT, NAT64, 6to4, Teredo (server
    and client) and ISATAP forms. An over-approximation on purpose: it only ever adds refusals."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    value = int(address)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    found: list[ipaddress.IPv4Address] = []
    if address in _COMPATIBLE:
        if value > 1:  # ::a.b.c.d, the deprecated compatible form (:: and ::1 are themselves)
            found.append(low32)
    elif any(address in net for net in _LOW32_PREFIXES):
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if ((value >> 32) & 0xFFFFFFFF) & 0xFDFFFFFF == 0x5EFE:  # ISATAP interface id ::0:5efe:a.b.c.d, ::200:5efe:...
        found.append(low32)
    return list(dict.fromkeys(found))


def is_metadata(address: IPAddress) -> bool:
    """A cloud metadata address, written directly or embedded in an IPv6 address."""
    return address in METADATA_ADDRESSES or any(v4 in METADATA_ADDRESSES for v4 in embedded_ipv4(address))


def blocked_reason(address: IPAddress) -> str | None:
    """Why an address is not public (None when it is). IPv6 forms that embed an IPv4 address are judged by it."""
    for embedded in embedded_ipv4(address):
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
    if is_metadata(address):
        return f"{shown}: {reason} (never fetched, even when allow-listed)"
    if settings.host_allowed(host) or any(address in net for net in settings.allow_networks):
        return None
    return f"{shown}: {reason}; allow-list it in [evidence] of the cycle config if it is an intranet server"


# --- what counts as a link at all ------------------------------------------------------------------------

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")
_HEX = re.compile(r"^0[xX][0-9a-fA-F]*$")


def whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads from a host that "ends in a number" (WHATWG URL standard: octal
    `0177`, hex `0x7f`, fewer than four parts `127.1`, one number `2130706433`); None when the host is a
    name. Raises ValueError for a host that ends in a number and still is no address (`1.2.3.4.5`)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last = parts[-1]
    if not (last.isascii() and (last.isdigit() or _HEX.match(last))):
        return None
    if len(parts) > 4:
        raise ValueError("more than four numeric parts")
    numbers = []
    for part in parts:
        if not part or not part.isascii():
            raise ValueError("an empty or non-ASCII numeric part")
        if _HEX.match(part):
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if any(c not in "01234567" for c in part):
                raise ValueError(f"{part} is not an octal number")
            numbers.append(int(part, 8))
        elif part.isdigit():
            numbers.append(int(part))
        else:
            raise ValueError(f"{part} is not a number")
    *head, tail = numbers
    if any(n > 255 for n in head) or tail >= 256 ** (5 - len(numbers)):
        raise ValueError("a part is out of range")
    value = tail + sum(n << (8 * (3 - i)) for i, n in enumerate(head))
    return ipaddress.IPv4Address(value)


def host_problem(host: str) -> str | None:
    """Why `host` (as written in a URL, without brackets) cannot be fetched the same way by every client:
    an IPv4 address in any but its plain dotted form, or a name that is not valid IDNA. None when it is fine.
    Written for the person who pasted the link (in their language)."""
    if not host:
        return _("the link has no host name")
    if ":" in host:  # an IPv6 literal (urlsplit already removed the brackets)
        if "%" in host:
            return _(
                "IPv6 address {host} carries a zone id (%); an evidence link must not point to a local interface"
            ).format(host=repr(host))
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return _("{host} is not a valid IPv6 address").format(host=repr(host))
        return None
    try:
        numeric = whatwg_ipv4(host)
    except ValueError:
        return _("{host} is neither a valid host name nor a valid IPv4 address").format(host=repr(host))
    if numeric is not None:
        if host.removesuffix(".") != str(numeric):  # a trailing dot is the DNS root, the same address everywhere
            return _(
                "IPv4 address {host} is not written in its standard form (a browser reads it as {numeric}); "
                "write the address as four decimal numbers without leading zeros, or use its domain name"
            ).format(host=repr(host), numeric=numeric)
        return None
    if host.isascii():
        ascii_host = host.lower()
    else:
        try:
            ascii_host = idna.encode(host.lower(), uts46=False).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return _(
                "host name {host} is not a valid internationalised domain name (IDNA); copy the link again"
            ).format(host=repr(host))
    name = ascii_host.rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or any(not label or len(label) > 63 or not _LABEL.match(label) for label in labels):
        return _(
            "host name {host} is not valid (an empty label, too long, or a forbidden character)"
        ).format(host=repr(host[:80]))
    for label in labels:
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                return _("host name {host} carries an invalid punycode label {label}").format(
                    host=repr(host[:80]), label=repr(label)
                )
    return None


def url_problem(url: str) -> str | None:
    """Why `url` is not a well-formed http(s) link that the checker's HTTP library can fetch, or None.
    Shared by intake (refuse it when typed) and the checker (record it, never crash on it)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return _("not a valid link (the host or port part is broken)")
    if parts.scheme.lower() not in ("http", "https"):
        return None  # the policy refuses other schemes (url_refusal); not a matter of form
    problem = host_problem(parts.hostname or "")
    if problem:
        return problem
    try:
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018  (decodes punycode labels: raises on invalid ones)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return _("not a valid link ({error})").format(error=printable(exc, limit=120))
    return None


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
    if address is None:
        try:
            address = whatwg_ipv4(parts.hostname)
        except ValueError:
            address = None
        if address is not None and parts.hostname.removesuffix(".") != str(address):  # 0177.0.0.1 is 127.0.0.1
            reason = blocked_reason(address) or "public address"
            return _("{host} = {address} ({reason}): a non-standard IPv4 form, never fetched").format(
                host=parts.hostname, address=address, reason=reason
            )
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


def _hosts(raw: Any, what: str, problems: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`hosts = { "bukti.example" = "127.0.0.1", "files" = ["10.20.1.2", "10.20.1.3"] }`: addresses only."""
    if not isinstance(raw, dict):
        problems.append(f'{what} must be a table of names and addresses, e.g. {{ "files.example" = "10.20.1.2" }}')
        return ()
    table: list[tuple[str, tuple[str, ...]]] = []
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        addresses = [literal_address(str(v)) for v in values]
        if not values or any(a is None for a in addresses) or not isinstance(name, str) or not name.strip():
            problems.append(f"{what}: {name!r} must map to one IP address or a list of them, got {value!r}")
            continue
        table.append((normalise_host(name), tuple(str(a) for a in addresses)))
    return tuple(table)


def _number(value: Any, what: str, low: float, high: float, problems: list[str], *, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not float(value).is_integer()):
        problems.append(f"{what} must be {'a whole number' if whole else 'a number'}, got {value!r}")
        return low
    if not low <= value <= high:
        problems.append(f"{what} must be between {low:g} and {high:g}, got {value}")
    return value
