"""CSV files that people open in spreadsheets: audiences for a mailing, an import's new ids.

Guarantees: a text cell that a spreadsheet would read as a formula (one starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe, which
spreadsheets show as text; so a name a person typed when joining online can never run as a
formula on the machine of the marketer who opens the file (OWASP: CSV injection). Numbers
are written as they are, and so is text made only of digits, spaces, ``+``, ``-`` and
parentheses (a phone number such as ``+49 30 1234567``: no formula in it can call anything).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HARMLESS = re.compile(r"^[0-9 +()\-]*$")
CHUNK_CHARACTERS = 65536  # what a streamed download sends at a time


def safe_cell(value):
    """``value`` as a spreadsheet should show it: text that could start a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _HARMLESS.match(value):
        return "'" + value
    return value


def write_rows(out, header: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Write ``header`` and ``rows`` as CSV to the text stream ``out``, every cell made safe."""
    for chunk in csv_chunks(header, rows):
        out.write(chunk)


def csv_chunks(header: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[str]:
    """The CSV text of ``header`` and ``rows`` (every cell made safe) in pieces of about
    ``CHUNK_CHARACTERS``: for a download streamed while the rows are still being read."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        if out.tell() > CHUNK_CHARACTERS:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
