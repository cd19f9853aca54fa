"""digest: a monthly technical digest publisher for Kindle and any EPUB reader."""

__version__ = "0.1.0"
