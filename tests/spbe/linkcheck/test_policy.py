"""The link policy's pure parts beyond the address table of test_service: IPv4 written the ways browsers
read it, IDNA, embedded IPv4 under the cloud-metadata rule, and the `[evidence] hosts` / `dns` settings."""

from __future__ import annotations

import ipaddress

import pytest

from spbe.errors import ConfigError
from spbe.linkcheck.policy import (
    EvidenceSettings,
    address_refusal,
    embedded_ipv4,
    host_problem,
    is_metadata,
    url_problem,
    url_refusal,
    whatwg_ipv4,
)

EVERYWHERE = EvidenceSettings(allow_networks=(ipaddress.ip_network("::/0"), ipaddress.ip_network("0.0.0.0/0")))


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:169.254.169.254",  # IPv4-mapped
        "::169.254.169.254",  # IPv4-compatible (deprecated)
        "::ffff:0:a9fe:a9fe",  # SIIT
        "64:ff9b::a9fe:a9fe",  # NAT64, well-known prefix
        "64:ff9b:1::a9fe:a9fe",  # NAT64, local-use prefix
        "2002:a9fe:a9fe::",  # 6to4
        "2001:0:a9fe:a9fe::1",  # Teredo server
        "2001:0:4136:e378:8000:63bf:5601:5601",  # Teredo client (obfuscated 169.254.169.254)
        "fe80::5efe:a9fe:a9fe",  # ISATAP
        "::ffff:100.100.100.200",  # Alibaba's metadata, mapped
    ],
)
def test_the_metadata_rule_holds_after_unwrapping_embedded_ipv4_even_when_everything_is_allow_listed(address: str):
    ip = ipaddress.ip_address(address)
    assert is_metadata(ip)
    refusal = address_refusal(address, ip, EVERYWHERE)
    assert refusal is not None and "never fetched, even when allow-listed" in refusal


def test_embedded_ipv4_leaves_ordinary_addresses_alone():
    for address in ("::1", "::", "2606:4700:4700::1111", "fe80::1", "93.184.216.34"):
        assert embedded_ipv4(ipaddress.ip_address(address)) == []
    assert address_refusal("::1", ipaddress.ip_address("::1"), EVERYWHERE) is None  # allow-listed, not metadata


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("0177.0.0.1", "127.0.0.1"),
        ("10.20.030.4", "10.20.24.4"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("169.254.43518", "169.254.169.254"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_ipv4_as_a_browser_reads_it(host: str, address: str):
    assert whatwg_ipv4(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["1.2.3.4.5", "999999999999", "256.1.1.1", "a.123", "1.2.3.09", "08.1.1.1"])
def test_hosts_that_end_in_a_number_and_are_no_address(host: str):
    with pytest.raises(ValueError):
        whatwg_ipv4(host)
    assert host_problem(host) is not None


@pytest.mark.parametrize("host", ["bukti.example", "drive.google.com", "bücher.example", "xn--bcher-kva.example"])
def test_names_are_not_numbers(host: str):
    assert whatwg_ipv4(host) is None and host_problem(host) is None


def test_non_canonical_ipv4_is_refused_before_any_network_and_says_what_a_browser_would_reach():
    s = EvidenceSettings()
    assert url_refusal("http://0177.0.0.1/", s) == (
        "0177.0.0.1 = 127.0.0.1 (loopback): bentuk IPv4 tidak baku, tidak pernah diambil"
    )
    assert "10.20.24.4 (private network)" in url_refusal("http://10.20.030.4/x", s)
    assert "cloud metadata" in url_refusal("http://169.254.43518/latest/", s)
    assert "public address" in url_refusal("http://8.8.010.8/", s)  # public or not: never a guess


def test_url_problems_are_said_in_words_people_can_act_on():
    assert "peramban membacanya sebagai 127.0.0.1" in url_problem("http://0177.0.0.1/")
    assert "IDNA" in url_problem("http://Ⅻ.example/")
    assert "punycode" in url_problem("http://xn--a.example/")
    assert "zone id" in url_problem("http://[fe80::1%25eth0]/")
    assert url_problem("http://a..b/") is not None and url_problem("http://%41.example/") is not None
    assert url_problem("https://drive.google.com/file/d/x/view?usp=sharing") is None
    assert url_problem("http://[2001:db8::1]:8080/x") is None and url_problem("http://bücher.example/") is None


def test_hosts_table_and_dns_switch_are_validated():
    section = {"hosts": {"Bukti.Example.": "127.0.0.1", "dua": ["10.0.0.1", "::1"]}, "dns": False}
    s = EvidenceSettings.from_section(section)
    assert s.hosts == (("bukti.example", ("127.0.0.1",)), ("dua", ("10.0.0.1", "::1"))) and s.dns is False
    assert EvidenceSettings.from_section({}).dns is True and EvidenceSettings.from_section({}).hosts == ()
    with pytest.raises(ConfigError) as err:
        EvidenceSettings.from_section({"hosts": {"x": "bukan-alamat", "y": []}, "dns": "tidak"})
    assert len(err.value.problems) == 3, err.value.problems
    with pytest.raises(ConfigError, match="must be a table"):
        EvidenceSettings.from_section({"hosts": ["127.0.0.1"]})
