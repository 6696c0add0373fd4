"""GX's Data Docs page views with one shared Jinja bytecode cache.

GX gives each site section (suites, validations, profiling) and the index a Jinja
environment of its own, so a gate run compiled the same page templates about fifty times:
three quarters of the Data Docs build. These views are GX's own, with a bytecode cache in
the GX project's uncommitted folder: a template is compiled once, and later runs load it
(Jinja keys the cache on the template's source, so a GX upgrade recompiles). The validating
process names them in the site's configuration (expectations/validate.py); imports GX.
"""

from __future__ import annotations

from pathlib import Path

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import FileSystemBytecodeCache


def _bytecode_cache(directory: str) -> FileSystemBytecodeCache:
    Path(directory).mkdir(parents=True, exist_ok=True)
    return FileSystemBytecodeCache(directory)


class CachedJinjaPageView(DefaultJinjaPageView):
    def __init__(self, bytecode_cache_directory: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.env.bytecode_cache = _bytecode_cache(bytecode_cache_directory)


class CachedJinjaIndexPageView(DefaultJinjaIndexPageView):
    def __init__(self, bytecode_cache_directory: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.env.bytecode_cache = _bytecode_cache(bytecode_cache_directory)
