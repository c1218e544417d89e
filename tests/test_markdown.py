"""Markdown tables: a `|` in a class name kept the header one cell longer than the rows once rendered."""

import pandas as pd

from segbench.markdown import markdown_table


def test_a_pipe_in_a_name_or_a_cell_is_escaped_so_every_row_keeps_its_cells():
    text = markdown_table(pd.DataFrame({"bg": ["0.00"], "box|crate": ["17.38"], "stripe": ["a|b"]}))
    header, rule, row = text.splitlines()
    # Rendered, a cell ends at each `|` that is not escaped: header, rule and row must have as many.
    cells = [line.replace("\\|", "").count("|") for line in (header, rule, row)]
    assert cells == [4, 4, 4]
    assert "box\\|crate" in header and "a\\|b" in row
    assert markdown_table(pd.DataFrame({"n": [1.5]})).splitlines()[2] == "| 1.5 |"  # numbers as given


def test_a_control_character_in_a_name_or_a_cell_is_escaped_so_each_row_is_one_line():
    """A newline in a class name put the header over two lines (no table, once rendered); one in a run folder's
    name added a row that was no run's."""
    text = markdown_table(pd.DataFrame({"bo\nx": ["r\n| fake | row |"], "tab\there": ["1"]}))
    header, _rule, row = text.splitlines()
    assert "bo\\nx" in header and "tab\\there" in header and "r\\n\\| fake \\| row \\|" in row


def test_c1_controls_and_unicode_line_separators_are_escaped_too():
    """NEL (U+0085) and U+2028/U+2029 passed as they were: Python's splitlines and terminals broke the row there."""
    text = markdown_table(pd.DataFrame({"a\x85b": ["r\u2028un"], "c\u2029d": ["1"]}))
    header, _rule, row = text.splitlines()
    assert "a\\x85b" in header and "c\\u2029d" in header and "r\\u2028un" in row
