"""Evidence files are typed by their bytes, stored once by hash, and never placed by the name they came with."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from spbe import evidence_files as ef
from spbe.errors import InputError

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "media"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (
            _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
            "application/vnd.oasis.opendocument.text",
        ),
    ],
)
def test_types_are_read_from_the_bytes(data: bytes, media: str):
    assert ef.sniff(data) == media


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00" + b"\x00" * 60,  # a Windows program renamed .pdf
        b"\x7fELF\x02\x01\x01",
        b"#!/bin/sh\nrm -rf /\n",
        b"<html><script>alert(1)</script></html>",
        _zip({"payload.exe": b"MZ"}),  # a zip that is no office document
        _zip({"mimetype": b"application/x-msdownload"}),
        b"PK\x03\x04 not really a zip",
    ],
)
def test_anything_else_is_refused_with_what_is_accepted(data: bytes):
    with pytest.raises(InputError, match="PDF"):
        ef.sniff(data)


def test_stored_once_by_hash_and_never_by_name(tmp_path: Path):
    first = ef.store(PDF, root=tmp_path)
    again = ef.store(PDF, root=tmp_path)
    assert first == again
    assert first.path == tmp_path / first.sha256[:2] / first.sha256
    assert first.path.read_bytes() == PDF
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [first.path]
    assert ef.parse_ref(first.ref) == first.sha256
    assert ef.read(tmp_path, first.sha256) == PDF


def test_size_cap_and_empty_files_write_nothing(tmp_path: Path):
    with pytest.raises(InputError, match="melebihi batas"):
        ef.store(PDF + b"x" * 2048, root=tmp_path, max_bytes=1024)
    with pytest.raises(InputError, match="kosong"):
        ef.store(b"", root=tmp_path)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\adm\\SK Walikota.pdf", "SK Walikota.pdf"),
        ("laporan\r\n\x1b[31m.pdf", "laporan[31m.pdf"),
        ("", "berkas.pdf"),
        (None, "berkas.pdf"),
    ],
)
def test_the_name_is_only_a_label(name, shown):
    assert ef.display_name(name, "application/pdf") == shown


@pytest.mark.parametrize("ref", ["file:sha256:../../x", "file:sha256:" + "g" * 64, "file:sha256:" + "a" * 63])
def test_forged_references_are_refused(ref: str, tmp_path: Path):
    with pytest.raises(InputError):
        ef.parse_ref(ref)
    with pytest.raises(InputError):
        ef.path_of(tmp_path, ref.rsplit(":", 1)[-1])
