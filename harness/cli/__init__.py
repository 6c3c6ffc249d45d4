"""The ``harness`` command line: one module per command, shared option groups."""
