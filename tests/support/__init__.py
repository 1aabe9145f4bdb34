"""Helpers shared by the tests and the benchmarks: factories, the publisher's feed server, the
demo feed, user actions against the emulator, the CLI runner and sample texts.

Fixtures stay in the ``conftest.py`` files; they build on what is here. Test modules import
helpers from this package, never from each other.
"""
