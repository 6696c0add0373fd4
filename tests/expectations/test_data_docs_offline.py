"""The Data Docs' CDN assets are vendored: every URL GX writes has a local copy, and a page
rewritten by `make_offline` loads nothing from the network and finds each file it names."""

from __future__ import annotations

import re
from pathlib import Path

import great_expectations
import pytest

from expectations.data_docs import CDN_ASSETS, VENDOR_DIR, VENDORED, make_offline, remote_resources

GX_TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"


def test_every_cdn_url_in_gx_templates_has_a_vendored_copy() -> None:
    """A GX upgrade that loads another asset fails here, naming it."""
    written = set()
    for template in GX_TEMPLATES.rglob("*.j2"):
        written |= set(re.findall(r"(?:src|href)=\"(https?://[^\"{}]+)\"", template.read_text("utf-8")))
    assets = {url for url in written
              if re.search(r"\.(js|css)$|/npm/vega", url) and "greatexpectations.io" not in url}
    assert assets, f"no CDN asset found in {GX_TEMPLATES}: did GX move its templates?"
    assert sorted(assets - set(CDN_ASSETS)) == [], "add these to CDN_ASSETS and data_docs_static/"
    for local in CDN_ASSETS.values():
        assert (VENDORED / local).is_file(), local


@pytest.mark.parametrize("depth", [0, 2, 5])
def test_rewritten_page_names_only_local_files_that_exist(tmp_path: Path, depth: int) -> None:
    site = tmp_path / "local_site"
    page = site.joinpath(*[f"d{i}" for i in range(depth)], "page.html")
    page.parent.mkdir(parents=True)
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo-long.png").write_bytes(b"png")
    tags = [f'<script src="{url}" integrity="sha384-x" crossorigin="anonymous"></script>'
            if not url.endswith("css") else f'<link rel="stylesheet" href="{url}">'
            for url in CDN_ASSETS]
    logo = ('<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/'
            'logo-long.png?d=1&dataContextId=abc">'
            "<style>.x { background: url('https://great-expectations-web-assets.s3.us-east-2."
            "amazonaws.com/full_logo_dark.png') }</style>")
    link = '<a href="https://greatexpectations.io">GX</a>'  # a link is not fetched: it stays
    page.write_text("<html><head>" + "".join(tags) + "</head><body>" + logo + link + "</body></html>")
    assert len(remote_resources(page.read_text())) == len(CDN_ASSETS) + 2

    assert make_offline(site) == []
    html = page.read_text()
    assert remote_resources(html) == []
    assert "integrity=" not in html and "crossorigin=" not in html
    assert link in html
    for ref in re.findall(r"(?:src|href)=\"([^\"]+)\"|url\('([^']+)'\)", html):
        ref = ref[0] or ref[1]
        if not ref.startswith("https://greatexpectations.io"):
            assert (page.parent / ref).resolve().is_file(), ref
    assert (site / VENDOR_DIR / "fontawesome-free@6.6.0" / "webfonts" / "fa-solid-900.woff2").is_file()
    assert make_offline(site) == [] and page.read_text() == html  # idempotent
