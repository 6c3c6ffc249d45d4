"""The matrix: env names, stack releases and their pins, declared support, the
labels, and the files derived from them (tox.ini's env list, the CI workflow)."""
