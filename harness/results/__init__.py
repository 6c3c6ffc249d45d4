"""Results: the versioned schema of one env's results file, and writing and
reading results folders (atomically, with one-line errors for bad files)."""
