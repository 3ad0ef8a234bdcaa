"""Properties of the value and URL parsers, and a bounded fuzz of the file reader: whatever comes in, the
answer is a value that satisfies its rule or a ValueError / InputError naming the problem; never anything
else. Examples are few and deadlines generous: this is a net under the corpus, not a benchmark."""

from __future__ import annotations

import io
import string
import unicodedata
import zipfile
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spbe.errors import InputError
from spbe.intake.reader import read_file
from spbe.intake.values import (
    MAX_EVIDENCE_URLS,
    MAX_NOTE,
    clean_text,
    parse_evidence,
    parse_level,
    parse_url,
    parse_verdict,
    parse_whole,
)
from spbe.linkcheck.policy import EvidenceSettings, host_problem, url_problem, url_refusal, whatwg_ipv4
from spbe.safe_text import printable

QUICK = settings(max_examples=300, deadline=timedelta(milliseconds=1000))
FILES = settings(
    max_examples=40, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.function_scoped_fixture]
)

cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.text(alphabet=string.digits + " +-.²①٣３", max_size=12),
)

ipv4_part = st.one_of(
    st.integers(0, 300).map(str),
    st.integers(0, 0o777).map(lambda n: "0" + oct(n)[2:]),
    st.integers(0, 0xFFFF).map(hex),
    st.integers(0, 2**32).map(str),
)
hosts = st.one_of(
    st.lists(ipv4_part, min_size=1, max_size=5).map(".".join),
    st.text(alphabet=string.ascii_lowercase + string.digits + "-._%", min_size=1, max_size=30),
    st.text(min_size=1, max_size=20),  # any Unicode: IDNA, controls, spaces, surrogates
    st.sampled_from(["[::1]", "[::ffff:169.254.169.254]", "[1::2::3]", "[fe80::1%25eth0]", "[", "xn--a", "Ⅻ.example"]),
)
urls = st.one_of(
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
        hosts,
        st.one_of(st.just(""), st.integers(-1, 70000).map(lambda p: f":{p}")),
        st.text(max_size=20).map(lambda t: "/" + t),
    ),
    st.text(max_size=80),
)


@QUICK
@given(urls)
def test_a_url_is_accepted_only_if_the_checker_can_fetch_it_as_written(text: str):
    try:
        url = parse_url(text)
    except ValueError as exc:
        assert str(exc) and "\x1b" not in str(exc)
        return
    assert url_problem(url) is None
    parsed = httpx.URL(url)  # what the checker will do with it: must not raise
    assert parsed.host and parsed.scheme in ("http", "https")
    url_refusal(url, EvidenceSettings())  # a verdict, never an exception


@QUICK
@given(hosts)
def test_host_judgement_never_raises_and_numeric_hosts_are_canonical_when_accepted(host: str):
    problem = host_problem(host.strip("[]"))
    assert problem is None or isinstance(problem, str)
    try:
        address = whatwg_ipv4(host)
    except ValueError:
        assert problem is not None
        return
    if address is not None and problem is None:
        assert host.removesuffix(".") == str(address)


@QUICK
@given(st.one_of(urls, st.lists(urls, max_size=25)))
def test_evidence_is_a_short_list_of_unique_valid_links_or_refused(value):
    try:
        links = parse_evidence(value)
    except ValueError:
        return
    assert len(links) <= MAX_EVIDENCE_URLS and len(set(links)) == len(links)
    assert all(url_problem(link) is None for link in links)


@QUICK
@given(cell_values)
def test_number_cells_give_a_rule_abiding_number_or_a_value_error(value):
    try:
        level = parse_level(value)
    except ValueError as exc:
        assert "\x1b" not in str(exc) and "\x00" not in str(exc)
    else:
        assert level in range(1, 6)
    try:
        whole = parse_whole(value)
    except ValueError:
        pass
    else:
        assert isinstance(whole, int)
        if isinstance(value, str):
            assert value.strip().isascii() and value.strip().isdigit()


@QUICK
@given(cell_values)
def test_text_cells_are_kept_as_typed_or_refused(value):
    try:
        text = clean_text(value, limit=MAX_NOTE)
    except ValueError:
        return
    if text is None:
        return
    assert len(text) <= MAX_NOTE and "\r" not in text
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in text)
    if isinstance(value, str):
        assert text == value.replace("\r\n", "\n").replace("\r", "\n").strip()  # nothing eaten, apostrophes included


@QUICK
@given(cell_values)
def test_verdict_cells_give_accept_or_revise_or_a_value_error(value):
    try:
        assert parse_verdict(value) in ("accept", "revise")
    except ValueError as exc:
        assert "\x1b" not in str(exc)


@QUICK
@given(st.text(max_size=200))
def test_printable_leaves_no_control_character(text: str):
    out = printable(text, limit=None)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in out)


@pytest.fixture(scope="module")
def template_bytes(tmp_path_factory) -> bytes:
    """An issued template (on a scratch store of its own) to mutate."""
    from datetime import UTC, datetime

    from spbe import clock
    from spbe.intake.templates import issue_template
    from spbe.settings import get_settings
    from spbe.store.db import session_scope
    from tests.utils.intake import loaded_store, the_cycle

    folder = tmp_path_factory.mktemp("fuzz")
    mp = pytest.MonkeyPatch()
    mp.setenv("SPBE_TEMPLATE_SECRET", "uji-rahasia-templat-0123456789")
    get_settings.cache_clear()
    try:
        engine = loaded_store(f"sqlite:///{folder / 's.db'}")
        with clock.use_clock(datetime(2025, 9, 10, 3, tzinfo=UTC)), session_scope(engine) as session:
            path = issue_template(
                session, cycle=the_cycle(session), kind="opd", subject="BAPPERIDA", out=folder / "t.xlsx", actor="k"
            ).path
    finally:
        mp.undo()
        get_settings.cache_clear()
    return path.read_bytes()


def _read(path: Path) -> None:
    try:
        read_file(path)
    except InputError as exc:
        assert str(exc) and "\x1b" not in str(exc)


@FILES
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_workbook_bytes_are_refused_cleanly(template_bytes: bytes, tmp_path: Path, flips):
    data = bytearray(template_bytes)
    for position, byte in flips:
        data[position % len(data)] = byte
    path = tmp_path / "rusak.xlsx"
    path.write_bytes(bytes(data))
    _read(path)


@FILES
@given(st.sampled_from(["xl/worksheets/sheet2.xml", "xl/worksheets/sheet4.xml", "xl/workbook.xml"]), st.data())
def test_edited_workbook_xml_is_read_or_refused_cleanly(template_bytes: bytes, tmp_path: Path, part: str, data):
    with zipfile.ZipFile(io.BytesIO(template_bytes)) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    xml = parts[part].decode("utf-8")
    at = data.draw(st.integers(0, len(xml)))
    cut = data.draw(st.integers(0, 40))
    insert = data.draw(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(['<c r="XFD9"><v>1</v></c>', '<row r="99999"><c r="A99999"><v>1</v></c></row>', "_x001B_"]),
        )
    )
    parts[part] = (xml[:at] + insert + xml[at + cut :]).encode("utf-8", "surrogatepass")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new:
        for name, content in parts.items():
            new.writestr(name, content)
    path = tmp_path / "diubah.xlsx"
    path.write_bytes(buffer.getvalue())
    _read(path)


@FILES
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_as_csv_are_read_or_refused_cleanly(tmp_path: Path, content: bytes):
    path = tmp_path / "isian.csv"
    header = b"indicator;level;explanation;evidence;note;template_kind;template_cycle;template_subject;"
    path.write_bytes(header + b"template_issued_at;template_signature\r\n" + content)
    _read(path)
