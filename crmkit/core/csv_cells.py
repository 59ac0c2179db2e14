"""Cells of the CSV files crmkit writes and reads back: no cell is a spreadsheet formula.

A spreadsheet program opening a CSV file runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula,
so a value anyone can plant (a lead form's name field) could run on the
machine of whoever opens an export. As OWASP advises, such a cell is written
with a ``'`` in front, whatever it holds: an E.164 phone number is written
``'+4930...`` and a negative number ``'-5``. A cell that already starts with
``'`` and then one of those characters gets one more ``'``, so that reading it
back (:func:`restore`, one ``'`` less) gives every value exactly as it was.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula to a spreadsheet program."""
QUOTE = "'"


def csv_cell(cell: str) -> str:
    """``cell`` as a CSV file holds it: with a ``'`` in front if it could be taken for a formula."""
    return QUOTE + cell if cell.lstrip(QUOTE).startswith(FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    """The value a cell written by :func:`csv_cell` holds: one ``'`` less where it added one."""
    if cell.startswith(QUOTE) and cell.lstrip(QUOTE).startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
