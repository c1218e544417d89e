"""Tables and figures made from run folders."""

# The formats table.RENDER writes ours-beside-the-paper's tables in: here, not in table.py, so that the command line
# can offer them without loading pandas and SciPy (tests/test_commands.py checks the two agree).
TABLE_FORMATS = ("md", "csv", "tex")
