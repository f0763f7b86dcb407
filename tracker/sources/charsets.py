"""Feed bytes to text, whatever the feed says about its charset.

feedparser trusts the declared charset and, when the bytes do not fit it, falls
back to windows-1252 for the whole document: one stray byte in a UTF-8 feed, or
a KOI8-R feed declared as nothing, becomes mojibake in every title. Here the
bytes are decoded first, in this order, and handed on as UTF-8:

1. a byte-order mark says the encoding (bytes that do not fit it are replaced);
2. valid UTF-8 is UTF-8 (legacy single- and double-byte text almost never is);
3. the declared charset (HTTP header, then XML declaration), if the bytes fit it;
4. UTF-8 with a few bad bytes (fewer than the well-formed non-ASCII characters)
   is UTF-8 with those bytes replaced;
5. otherwise charset-normalizer's detection; windows-1252 only if it has none.

Documents that are not ASCII-compatible (UTF-16/32 without a mark, EBCDIC), or
that declare a charset Python does not know by that name, are left to
feedparser, which has its own aliases and readers for them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.IGNORECASE)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
DETECTION_SAMPLE = 256 * 1024  # bytes charset-normalizer looks at: enough for any feed's mix


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    note: str | None  # what was not as declared, for the run's notes


def declared_charsets(body: bytes, headers: dict[str, str]) -> list[str]:
    """The HTTP header's charset, then the XML declaration's, as written."""
    found = []
    header = _CHARSET_PARAM.search(headers.get("content-type", ""))
    if header:
        found.append(header.group(1))
    declaration = _XML_DECLARATION.match(body[:1024])
    if declaration:
        found.append(declaration.group(1).decode("ascii"))
    return found


def _known(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 with a few bad bytes: more well-formed non-ASCII characters than replacements."""
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - body.decode("utf-8", errors="ignore").count("\ufffd")
    well_formed = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    return text if well_formed > bad else None


def decode_feed(body: bytes, headers: dict[str, str]) -> Decoded | None:
    """The feed as text and how it was read, or None to leave the bytes to feedparser."""
    for mark, encoding in _BOMS:
        if body.startswith(mark):
            text = body[len(mark) :].decode(encoding, errors="replace")
            return Decoded(text, encoding, _replaced_note(text, encoding))
    if body.lstrip()[:1] != b"<":
        return None  # not ASCII-compatible: UTF-16/32 without a mark, or EBCDIC
    declared = declared_charsets(body, headers)
    if not all(map(_known, declared)):
        return None  # a name only feedparser knows ("mac", "tcvn"), or a bogus one: its rules
    as_utf8 = _strict(body, "utf-8")
    if as_utf8 is not None:
        return Decoded(as_utf8, "utf-8", _mismatch_note(declared, "utf-8"))
    for encoding in declared:
        as_declared = _strict(body, encoding)
        if as_declared is not None:
            return Decoded(as_declared, codecs.lookup(encoding).name, None)
    mostly = _mostly_utf8(body)
    if mostly is not None:
        return Decoded(mostly, "utf-8", _replaced_note(mostly, "utf-8"))
    return _detected(body, declared)


def _detected(body: bytes, declared: list[str]) -> Decoded:
    best = from_bytes(body[:DETECTION_SAMPLE]).best()
    encoding = best.encoding if best is not None else "windows-1252"
    text = body.decode(encoding, errors="replace")
    said = f"declared {declared[0]}" if declared else "declared no charset"
    how = "detected" if best is not None else "nothing detected; read"
    return Decoded(text, encoding, f"the feed {said} but is not that; {how} as {encoding}")


def _mismatch_note(declared: list[str], encoding: str) -> str | None:
    if not declared or codecs.lookup(declared[0]).name == codecs.lookup(encoding).name:
        return None
    return f"the feed declared {declared[0]} but is {encoding}; read as {encoding}"


def _replaced_note(text: str, encoding: str) -> str | None:
    bad = text.count("\ufffd")
    return f"{bad} byte(s) that are not {encoding} were replaced with \ufffd" if bad else None


def as_utf8_document(decoded: Decoded) -> bytes:
    """The text as UTF-8 bytes that say so (the XML declaration's encoding rewritten), without
    NUL characters (no XML may hold them, PostgreSQL refuses them) or space before the start."""
    text = decoded.text.replace("\x00", "").lstrip()
    text = re.sub(
        r"^(<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2", r"\1\2utf-8\2", text, count=1, flags=re.IGNORECASE
    )
    return text.encode("utf-8")
