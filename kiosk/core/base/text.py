"""What people type is data: names, employee ids and typed claims are checked here, once.

A label is NFC-normalised, its runs of spaces collapsed, at most `MAX_CHARS` characters, and
holds no control, format (zero-width, bidi override), private-use or unassigned character:
"ki\u200ban" cannot pose as "kian", and a right-to-left override cannot reorder a line.
"""
from __future__ import annotations

import unicodedata

from kiosk.core.base.errors import InvalidTextError

MAX_CHARS = 64
# Unicode general categories a label may not contain: Cc control, Cf format (zero-width
# spaces and joiners, bidi embeddings, overrides and isolates), Cs surrogates, Co private
# use, Cn unassigned, Zl/Zp line and paragraph separators.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_label(text: object, what: str = "a name") -> str:
    """``text`` as a safe one-line label, or InvalidTextError saying what is wrong."""
    normal = unicodedata.normalize("NFC", str(text))
    for char in normal:
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            raise InvalidTextError(f"{what} may not contain the invisible or control character"
                                   f" U+{ord(char):04X}; type it with visible characters only")
    cleaned = " ".join(normal.split())
    if not cleaned:
        raise InvalidTextError(f"{what} cannot be empty")
    if len(cleaned) > MAX_CHARS:
        raise InvalidTextError(f"{what} is {len(cleaned)} characters long; the limit is {MAX_CHARS}")
    return cleaned


def clean_optional_label(text: object | None, what: str) -> str | None:
    """`clean_label`, with None or blank meaning "none"."""
    if text is None or not str(text).strip():
        return None
    return clean_label(text, what)


SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> str:
    """A CSV cell no spreadsheet will run as a formula: a leading =, +, -, @, tab or CR is
    neutralised with an apostrophe (OWASP's advice), the rest left as it is."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(SPREADSHEET_TRIGGERS) else text
