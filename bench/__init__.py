"""Benchmark digest against calibre's news recipes on a generated corpus served on 127.0.0.1 (`make bench`)."""
