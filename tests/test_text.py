"""What people type is data: labels and spreadsheet cells."""
import pytest

from kiosk.core.base.errors import InvalidTextError
from kiosk.core.base.text import MAX_CHARS, clean_label, spreadsheet_safe


@pytest.mark.parametrize("typed, stored", [
    ("  Kian   Katanforoosh ", "Kian Katanforoosh"),
    ("Zoe\u0301", "Zo\u00e9"),  # decomposed e + accent -> one NFC character
    ("李小龍", "李小龍"),
    ("O'Brien-Smith", "O'Brien-Smith"),
])
def test_labels_are_normalised(typed, stored):
    assert clean_label(typed) == stored


@pytest.mark.parametrize("typed, why", [
    ("ki\u200ban", "U\\+200B"),  # zero-width space: "kian" look-alike
    ("abc\u202edcba", "U\\+202E"),  # right-to-left override
    ("a\u2066b", "U\\+2066"),  # bidi isolate
    ("tab\there", "U\\+0009"),
    ("line\nbreak", "U\\+000A"),
    ("\x00nul", "U\\+0000"),
    ("   ", "cannot be empty"),
    ("x" * (MAX_CHARS + 1), f"limit is {MAX_CHARS}"),
])
def test_invisible_control_and_overlong_labels_are_refused(typed, why):
    with pytest.raises(InvalidTextError, match=why):
        clean_label(typed, "a name")


@pytest.mark.parametrize("cell, safe", [
    ('=HYPERLINK("http://evil","click")', '\'=HYPERLINK("http://evil","click")'),
    ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"),
    ("Kian", "Kian"), ("", ""), (None, ""), ("0.612", "0.612"),
])
def test_spreadsheet_cells_never_run_as_formulas(cell, safe):
    assert spreadsheet_safe(cell) == safe
