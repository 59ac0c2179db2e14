"""Reading XML from strangers: no DTD, no entities, no network, bounded size.

ADF producers send documents that are not well-formed in small, known ways (see
``ADF_FACTS.md``): a processing instruction before the XML declaration, upper-case
or unquoted pseudo-attributes in it, unquoted attribute values. :func:`read_xml`
forgives exactly those and nothing else; a DTD or entity declaration (the way to an
XML bomb or to an external entity) is refused before any parser sees the text.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from crmkit import ValidationError

_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=?\s*[\"']?([A-Za-z0-9._-]+)", re.I)
_SNIFFED = (
    # UTF-32 first: its little-endian mark begins with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0?\0", "utf-16-le"),
    (b"\0<\0?", "utf-16-be"),
)
_PROLOG_ITEM = re.compile(r"\s*(<\?[^>]*\?>|<!--.*?-->)", re.S)
_FORBIDDEN = re.compile(r"<!(DOCTYPE|ENTITY)", re.I)
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_UNQUOTED = re.compile(r"(\s[A-Za-z_][\w.:-]*)\s*=\s*([^\s\"'<>=/]+)")


def encoding_of(body: bytes) -> str:
    """The codec of ``body`` as XML tells it (its appendix F): a byte order mark or the
    first ``<?`` in UTF-16 or UTF-32, else the encoding its declaration names, else UTF-8."""
    for marks, codec in _SNIFFED:
        if body.startswith(marks):
            return codec
    declared = _DECLARED_ENCODING.search(body[:200])
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    return "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding


def _text_of(body: bytes, field: str) -> str:
    encoding = encoding_of(body)
    try:
        return body.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        shown = "utf-8" if encoding == "utf-8-sig" else encoding
        raise ValidationError(field, f"the document is not valid {shown} text") from None


def _without_prolog(text: str) -> str:
    """The text from the root element on: the XML declaration and processing instructions
    before it go, whatever their order or spelling."""
    position = 0
    while found := _PROLOG_ITEM.match(text, position):
        position = found.end()
    return text[position:]


def _quoted(tag: re.Match[str]) -> str:
    return _UNQUOTED.sub(lambda a: f'{a.group(1)}="{a.group(2)}"', tag.group(0))


def read_xml(body: bytes, *, field: str, max_bytes: int) -> Element:
    """The root element of ``body``; ValidationError(``field``) for anything unreadable or unsafe."""
    if len(body) > max_bytes:
        raise ValidationError(field, f"the document has more than {max_bytes} bytes")
    text = _text_of(body, field)
    if _FORBIDDEN.search(text):
        raise ValidationError(field, "a DTD or entity declaration is not accepted")
    text = _TAG.sub(_quoted, _without_prolog(text))
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as exc:
        raise ValidationError(field, f"the document is not well-formed XML: {exc}") from None


def local_name(element: Element) -> str:
    """The tag without its namespace: ``{http://...}ProcessSalesLead`` -> ``ProcessSalesLead``."""
    return element.tag.rsplit("}", 1)[-1]
