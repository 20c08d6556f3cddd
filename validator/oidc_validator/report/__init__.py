"""Presenting results: the text/JSON report and catalogue, and ``inspect``'s token explanation."""
