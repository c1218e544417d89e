"""Markdown tables, as every verb and report writes them: pandas (through tabulate) in GitHub's pipe format."""

from __future__ import annotations

import pandas as pd

from segbench.errors import one_line


def markdown_table(frame: pd.DataFrame, **options) -> str:
    """``frame`` as a pipe table, its cells as given (no number parsing). A ``|`` in a name or a cell (a class
    called ``box|crate``) is escaped: as written it split the cell in two when rendered, and every column after it
    showed its neighbour's figures. A control character is shown escaped (``\\n`` as those two characters), as in
    error lines: tabulate broke a cell at a newline into a second line, so a header over two lines was no table,
    and a run folder named with one added a row that was no run's."""
    def escaped(value):
        return one_line(value).replace("|", "\\|") if isinstance(value, str) else value

    shown = frame.rename(columns=escaped).map(escaped)
    return shown.to_markdown(index=False, disable_numparse=True, **options)
