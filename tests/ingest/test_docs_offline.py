"""`cchc docs` prints file:// URLs of the dbt docs and the GX Data Docs that render offline.

The sample is built once per test run (`cchc run`, then `cchc docs`: tests/conftest.py),
then each URL that `cchc docs` prints is opened in headless Chromium with every non-file
request refused: the page must ask for nothing from the network and show the project's
own content (models in the dbt docs, the suites' validation results in the Data Docs).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ingest.test_dashboard import CHROMIUM, require_chromium


@pytest.fixture(scope="module")
def printed(sample_docs: dict) -> dict[str, str]:
    """What `cchc docs` prints, by site, after `cchc run` on the sample (tests/conftest.py)."""
    assert "network" not in sample_docs["stderr"], sample_docs["stderr"]
    return dict(re.findall(r"^(dbt|gx)\s+(\S+)\s*$", sample_docs["stdout"], re.MULTILINE))


def render_offline(url: str, ready: str) -> dict[str, object]:
    """Open `url` with the network refused; once `ready` (a JS expression) holds, return the
    page's text, the network requests it tried, the local files it failed to load and its
    script errors."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, list[str]] = {"network": [], "missing_files": [], "errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            tab = browser.new_page()
            tab.on("pageerror", lambda e: seen["errors"].append(str(e)))
            tab.on("requestfailed", lambda r: seen["missing_files"].append(r.url)
                   if r.url.startswith("file:") else None)

            def offline(route) -> None:
                if route.request.url.startswith(("file:", "data:", "blob:")):
                    route.continue_()
                else:
                    seen["network"].append(route.request.url)
                    route.abort()

            tab.route("**/*", offline)
            tab.goto(url)
            try:
                tab.wait_for_function(ready, timeout=30_000)
            except Exception as exc:  # the assertions say what the page showed instead
                seen["errors"].append(f"not ready ({ready}): {exc}")
            text = tab.evaluate("() => document.body.innerText")
        finally:
            browser.close()
    return {"text": text, **seen}


@pytest.mark.slow
def test_docs_prints_file_urls_of_both_sites(printed: dict[str, str]) -> None:
    assert set(printed) == {"dbt", "gx"}, printed
    for url in printed.values():
        assert url.startswith("file:///"), url
        assert Path(url.removeprefix("file://")).is_file(), url
    assert printed["dbt"].endswith("/static_index.html")


@pytest.mark.slow
def test_dbt_docs_render_from_file_offline(printed: dict[str, str]) -> None:
    require_chromium()
    # a model's page: its description and columns come from the inlined manifest and catalog
    page = render_offline(printed["dbt"] + "#!/model/model.cchc.fct_dossiers",
                          "() => document.body.innerText.includes('One row per dossier')")
    assert page["network"] == [], f"the dbt docs fetched from the network: {page['network']}"
    assert page["errors"] == [], page["errors"]
    assert "One row per dossier" in page["text"] and "dossier_id" in page["text"], page["text"][:2000]
    assert "cchc.marts.fct_dossiers" in page["text"]  # the relation, from the catalog
    # dbt's page names two files by templates it never fills in (`{{ getIcon(...) }}` before
    # Angular runs, `${require('.../favicon.ico')}`): missing over http too. Nothing else.
    assert [url for url in page["missing_files"] if "%7B" not in url] == []


@pytest.mark.slow
def test_gx_data_docs_render_from_file_offline(printed: dict[str, str]) -> None:
    require_chromium()
    # the index's validation results are a bootstrap-table, drawn by the vendored scripts
    page = render_offline(printed["gx"], "() => document.querySelectorAll('table tbody tr td').length > 0")
    assert page["network"] == [], f"the GX Data Docs fetched from the network: {page['network']}"
    assert page["errors"] == [] and page["missing_files"] == [], page
    assert "fct_dossiers.complete" in page["text"], page["text"][:2000]
    assert "rpt_report_vs_exports" in page["text"], page["text"][:2000]
