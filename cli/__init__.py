"""Command-line interface (installed as ``landmarkset.cli``); entry point ``landmarkset``."""
