"""Evidence files: stored by content hash, typed by their bytes, never by their name.

An OPD uploads a PDF, a screenshot or an office document as evidence (data dukung) for an indicator or
an item. The bytes go to `<data_dir>/evidence/<aa>/<sha256>`: the same file uploaded twice is stored
once, and a name a person typed ("../../etc/passwd", "SK Walikota.pdf.exe") is kept only as a label to
show, never as a path. The type is read from the content (magic bytes; for zip containers, their
declared parts), so an executable renamed .pdf is refused. Who may read a file is the caller's rule
(the OPD, its assessor and coordinators): this module only stores and opens.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from spbe.errors import InputError
from spbe.i18n import N_, _

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
REF_PREFIX = "file:sha256:"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

# media type -> what people call it
KINDS = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WebP",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (.xlsx)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint (.pptx)",
    "application/vnd.oasis.opendocument.text": "OpenDocument Text (.odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument Spreadsheet (.ods)",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument Presentation (.odp)",
}
EXTENSION = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
_OOXML_PARTS = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
_REFUSED_MAGIC = ((b"MZ", N_("a Windows program")), (b"\x7fELF", N_("a Linux program")), (b"#!", N_("a script")))
ACCEPTED_TEXT = N_("PDF, images (PNG, JPEG, WebP), or office documents (Word, Excel, PowerPoint, OpenDocument)")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    path: Path

    @property
    def ref(self) -> str:
        """How evidence lists name the file: `file:sha256:<hex>` (links stay URLs)."""
        return REF_PREFIX + self.sha256


def sniff(data: bytes) -> str:
    """The media type the bytes are, or InputError saying what they are not."""
    for magic, what in _REFUSED_MAGIC:
        if data.startswith(magic):
            raise InputError(
                _("this file is {what}, not supporting evidence; accepted: {accepted}").format(
                    what=_(what), accepted=_(ACCEPTED_TEXT)
                )
            )
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
        if kind:
            return kind
    raise InputError(
        _("the file type is not recognised from its content; accepted: {accepted}").format(accepted=_(ACCEPTED_TEXT))
    )


def _zip_kind(data: bytes) -> str | None:
    """OOXML by its parts, ODF by its `mimetype` entry; names only, nothing is decompressed but 100 bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100:
                    declared = archive.read("mimetype").decode("ascii", "replace").strip()
                    return declared if declared in KINDS else None
            if "[Content_Types].xml" in names:
                for prefix, media in _OOXML_PARTS:
                    if any(n.startswith(prefix) for n in names):
                        return media
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError):
        return None
    return None


def display_name(name: str | None, media_type: str) -> str:
    """A label to show for an uploaded file: its base name, printable, at most 120 characters, with the
    extension its content has. Never used to build a path."""
    raw = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(
        ch for ch in unicodedata.normalize("NFC", raw) if unicodedata.category(ch)[0] not in "CZ" or ch == " "
    )
    clean = clean.strip(" .")[:120] or "berkas"
    ext = EXTENSION.get(media_type, "")
    if ext and not clean.lower().endswith(ext):
        clean = f"{clean}{ext}"
    return clean


def store(data: bytes, *, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> StoredFile:
    """Write the bytes under `root` by their hash (atomically; already there is fine) after checking them."""
    if not data:
        raise InputError(_("empty file"))
    if len(data) > max_bytes:
        too_big = _("file of {size} exceeds the limit of {limit}")
        raise InputError(too_big.format(size=_mb(len(data)), limit=_mb(max_bytes)))
    media = sniff(data)
    digest = hashlib.sha256(data).hexdigest()
    path = path_of(root, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(digest, len(data), media, path)


def path_of(root: Path, digest: str) -> Path:
    if not _HEX64.match(digest):
        raise InputError(_("invalid file reference"))
    return root / digest[:2] / digest


def parse_ref(ref: str) -> str | None:
    """The hash in a `file:sha256:<hex>` evidence entry, or None for anything else (a link)."""
    if not ref.startswith(REF_PREFIX):
        return None
    digest = ref[len(REF_PREFIX) :]
    if not _HEX64.match(digest):
        raise InputError(_("file reference {ref} is not valid").format(ref=repr(ref[:80])))
    return digest


def read(root: Path, digest: str) -> bytes:
    path = path_of(root, digest)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(_("evidence file not found in storage")) from None


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB".replace(".", ",")
