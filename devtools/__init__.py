"""Developer tooling: run the whole app or the test suite on any machine (DESIGN.md §11)."""
