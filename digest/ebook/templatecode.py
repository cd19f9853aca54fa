"""Compiled templates remembered in the cache, so a rebuild does not compile the theme again.

Jinja turns each template into Python source and compiles it on every run: on the sample's
rebuild, the theme's 21 templates took more CPU than anything the build then did with them.
Jinja's own bytecode cache format is kept as it is: each entry carries Jinja's magic (its
version and Python's) and the checksum of the template's source, and Jinja itself throws away
an entry that does not match, so an edited template is compiled again.
"""

from __future__ import annotations

import base64

import jinja2

from digest.core.cache import Cache


class TemplateCode(jinja2.BytecodeCache):
    """A ``bytecode_cache`` for a jinja2 Environment, in the build's cache."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        stored = self.cache.recall("template-code", bucket.key)
        if stored is not None:
            bucket.bytecode_from_string(base64.b64decode(stored))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.remember("template-code", bucket.key, base64.b64encode(bucket.bytecode_to_string()).decode())
