"""GX Data Docs that open offline: the CDN scripts, styles and fonts they load are vendored.

GX writes pages that load jQuery, Bootstrap, bootstrap-table, Font Awesome and Vega from CDNs,
and a logo from GX's web-assets bucket (with the project's id in the query). Offline, or where
those hosts are blocked, the index shows nothing. `make_offline(site)` copies the vendored
files (`data_docs_static/`, see its SOURCES.md) into the site's `static/vendor/` and points
every page at them with a relative path, so the site also opens from `file://`. It is
idempotent: the runner calls it after each build, `cchc docs` before printing the site.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

VENDORED = Path(__file__).parent / "data_docs_static"
VENDOR_DIR = "static/vendor"

# CDN URL (as GX 1.x writes it) -> file under data_docs_static/.
CDN_ASSETS = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery@3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "popper.js@1.12.9/umd/popper.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap@4.3.1/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap@4.3.1/js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table@1.19.1/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table@1.19.1/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js":
        "bootstrap-table@1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.js",
    # GX links the 1.19.0 filter-control CSS (minified and not); 1.19.1's is the same rule set.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css":
        "bootstrap-table@1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css":
        "bootstrap-table@1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker@1.9.0/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker@1.9.0/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "fontawesome-free@6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark@1.1.0/css/bootstrap-prefers-dark.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega@5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite@5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed@6.29.0/vega-embed.min.js",
}
# GX's logos from its web-assets bucket (an <img> whose query carries the data context id, and
# the dark theme's CSS background): the site's own copy.
GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"'()\s]*\.png[^\"'()\s]*")
LOCAL_LOGO = "static/images/logo-long.png"
# Subresource integrity and CORS mode: a script fetched in CORS mode fails from file://.
CORS_ATTRIBUTES = re.compile(r"\s+(?:integrity|crossorigin)=(?:\"[^\"]*\"|'[^']*'|[^\s>]+)")
TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.IGNORECASE)
# What a browser fetches by itself: src= of any tag, href= of <link>, url() in CSS.
REMOTE_RESOURCE = re.compile(
    r"<(?:[a-z]+\b[^>]*\bsrc|link\b[^>]*\bhref)=[\"']?(?:https?:)?//[^\"'\s>]+"
    r"|url\(\s*[\"']?(?:https?:)?//[^)]+\)|@import\s+[\"'](?:https?:)?//[^\"']+", re.IGNORECASE)


def remote_resources(html: str) -> list[str]:
    """The http(s) URLs a page would fetch by itself (scripts, styles, images), not its links."""
    return [match.group(0) for match in REMOTE_RESOURCE.finditer(html)]


def _localize(tag: str, prefix: str) -> str:
    for url, local in CDN_ASSETS.items():
        if f'"{url}"' in tag or f"'{url}'" in tag:
            tag = tag.replace(url, f"{prefix}{VENDOR_DIR}/{local}")
            return CORS_ATTRIBUTES.sub("", tag)
    return tag


def make_offline(site: Path) -> list[str]:
    """Vendor the CDN assets into `site` and rewrite its pages (and GX's stylesheets) to use
    them; return what they still fetch from the network (empty when the site works offline)."""
    if not site.is_dir():
        return []
    shutil.copytree(VENDORED, site / VENDOR_DIR, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("SOURCES.md"))
    remaining: list[str] = []
    pages = [path for path in sorted(site.rglob("*")) if path.suffix in (".html", ".css")
             and not path.is_relative_to(site / VENDOR_DIR)]
    for page in pages:
        prefix = "../" * (len(page.relative_to(site).parts) - 1)
        text = page.read_text(encoding="utf-8")
        offline = TAG.sub(lambda match, prefix=prefix: _localize(match.group(0), prefix), text)
        offline = GX_LOGO.sub(prefix + LOCAL_LOGO, offline)
        if offline != text:
            page.write_text(offline, encoding="utf-8")
        remaining += [f"{page.relative_to(site)}: {url}" for url in remote_resources(offline)]
    return remaining
