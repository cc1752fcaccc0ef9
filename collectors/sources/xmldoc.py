"""Bytes of an XML feed -> clean UTF-8 the parser can trust.

Two jobs before any XML parser sees the document:

1. The character encoding. Servers and feeds lie about it (a Korean site serving EUC-KR as
   UTF-8, a CMS declaring ISO-8859-1 over Windows-1252 quotes). Order of evidence: a BOM;
   valid UTF-8 with non-ASCII bytes (legacy bytes almost never form valid UTF-8); the
   declared encodings (HTTP charset, XML declaration), multi-byte ones first because a
   single-byte codec decodes anything; statistical detection; Windows-1252 with
   replacement characters. Labels map to the superset the web actually uses (WHATWG):
   ISO-8859-1 -> windows-1252, EUC-KR -> cp949, Shift_JIS -> cp932, GB2312 -> GB18030.
2. Entity declarations. An internal DTD subset can define entities that expand
   exponentially (billion laughs) or quadratically, or point at files (external entities).
   Feeds have no legitimate need for them, so a DOCTYPE with an internal subset is removed;
   undeclared references then stay as literal text.

Everything here is linear in the input: no regular expression runs over the body.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass, field

import charset_normalizer

_SUPERSETS = {
    "iso8859-1": "cp1252", "ascii": "cp1252", "latin-1": "cp1252",
    "euc_kr": "cp949", "shift_jis": "cp932", "gb2312": "gb18030", "gbk": "gb18030",
    "big5": "cp950",
}
_ALIASES = {"windows-31j": "cp932", "x-sjis": "cp932", "x-euc-kr": "cp949",
            "ks_c_5601-1987": "cp949", "x-gbk": "gb18030"}
_SINGLE_BYTE_WESTERN = {"cp1252", "cp1250", "cp1257", "cp1254", "iso8859-1", "iso8859-2",
                        "iso8859-9", "iso8859-15", "latin-1", "mac-roman", "ascii"}
_BOMS = ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"))
# '<?' or '<' plus a letter in UTF-16/32 without a BOM (XML spec, appendix F).
_WIDE_MARKERS = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                 (b"\x00<\x00", "utf-16-be"), (b"<\x00", "utf-16-le"))
_DETECT_SAMPLE = 256 * 1024


@dataclass
class XmlText:
    text: str
    encoding: str
    problems: list[str] = field(default_factory=list)

    def utf8(self) -> bytes:
        return self.text.encode("utf-8")


def codec_name(label: str | None) -> str | None:
    """A Python codec for a declared charset label, widened to its web superset."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return None


def xml_declared_encoding(head: bytes) -> str | None:
    """encoding="..." of the XML declaration, read from an ASCII-compatible prefix."""
    head = head.lstrip()[:512]
    if not head.startswith(b"<?xml"):
        return None
    end = head.find(b"?>")
    decl = head[:end if end >= 0 else len(head)]
    pos = decl.find(b"encoding")
    if pos < 0:
        return None
    rest = decl[pos + len(b"encoding"):].lstrip()
    if not rest.startswith(b"="):
        return None
    rest = rest[1:].lstrip()
    if not rest or rest[:1] not in (b'"', b"'"):
        return None
    close = rest.find(rest[:1], 1)
    if close < 0:
        return None
    return rest[1:close].decode("ascii", "replace")


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_latin(text: str) -> bool:
    """Are the non-ASCII letters (a sample of them) mostly Latin script?"""
    letters = [c for c in text if ord(c) > 127 and c.isalpha()][:2000]
    latin = sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN"))
    return latin >= 0.8 * len(letters)


def decode_document(body: bytes, content_type: str | None = None) -> XmlText:
    """Decode a feed body to text, recording every disagreement as a problem."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = _try(body[len(bom):], codec)
            if text is not None:
                return XmlText(text, codec)
    for marker, codec in _WIDE_MARKERS:
        if body.startswith(marker):
            text = _try(body, codec)
            if text is not None:
                return XmlText(text, codec)

    http_label = charset_from_content_type(content_type)
    xml_label = xml_declared_encoding(body)
    declared = [(label, codec_name(label)) for label in (http_label, xml_label) if label]
    problems = [f"unknown encoding {label!r}" for label, codec in declared if codec is None]
    declared_codecs = [codec for _, codec in declared if codec]

    def result(text: str, codec: str) -> XmlText:
        if declared_codecs and codec not in declared_codecs and codec != "ascii":
            problems.append(f"declared {'/'.join(dict.fromkeys(lbl for lbl, _ in declared))}, "
                            f"decoded as {codec}")
        return XmlText(text, codec, problems)

    if body.isascii():
        return result(body.decode("ascii"), "ascii")
    text = _try(body, "utf-8")
    if text is not None:
        return result(text, "utf-8")
    # Multi-byte first: a single-byte codec decodes anything, so its success proves little.
    # UTF-16/32 were ruled out above (no BOM, no wide '<'): a declaration of them is wrong.
    ordered = sorted((c for c in dict.fromkeys(declared_codecs)
                      if not c.startswith(("utf-16", "utf-32"))),
                     key=lambda c: c in _SINGLE_BYTE_WESTERN)
    for codec in ordered:
        text = _try(body, codec)
        if text is not None:
            return result(text, codec)
    best = charset_normalizer.from_bytes(body[:_DETECT_SAMPLE]).best()
    codec = codec_name(best.encoding) if best is not None else None
    text = _try(body, codec) if codec else None
    if codec and text is not None:
        if len(text) == len(body) and _mostly_latin(text):
            # Detection cannot tell Latin code pages apart on short text (it offers
            # cp1250, cp1257...); Windows-1252 is by far the most common in feeds.
            western = _try(body, "cp1252")
            if western is not None:
                return result(western, "cp1252")
        return result(text, codec)
    problems.append("encoding unknown: decoded as windows-1252 with replacement characters")
    return XmlText(body.decode("cp1252", "replace"), "cp1252", problems)


def strip_internal_subset(text: str) -> tuple[str, bool]:
    """Remove a DOCTYPE that carries an internal subset ([...]); True when one was removed.

    Scans the prolog only (up to the root element), honouring quotes and comments, in one
    pass.
    """
    i = 0
    n = len(text)
    while i < n:
        lt = text.find("<", i)
        if lt < 0 or lt + 1 >= n:
            return text, False
        nxt = text[lt + 1]
        if nxt == "?":
            end = text.find("?>", lt + 2)
            if end < 0:
                return text, False
            i = end + 2
        elif text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            if end < 0:
                return text, False
            i = end + 3
        elif text.startswith("<!DOCTYPE", lt):
            end, has_subset = _doctype_end(text, lt + 9)
            if not has_subset:
                return text, False
            return text[:lt] + text[end:], True
        else:
            return text, False  # the root element: no DOCTYPE before it
    return text, False


def _doctype_end(text: str, i: int) -> tuple[int, bool]:
    """Index just past the DOCTYPE starting before `i`, and whether it has a subset."""
    n = len(text)
    depth = 0
    has_subset = False
    quote = ""
    while i < n:
        ch = text[i]
        if quote:
            end = text.find(quote, i)
            if end < 0:
                return n, has_subset
            quote = ""
            i = end + 1
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
            has_subset = True
        elif ch == "]":
            depth = max(0, depth - 1)
        elif ch == ">" and depth == 0:
            return i + 1, has_subset
        elif ch == "<" and text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return n, has_subset
            i = end + 3
            continue
        i += 1
    return n, has_subset
