"""The built guide site in a real browser: Debian's chromium, headless, driven by selenium.

Served over HTTP on 127.0.0.1 because the site's search runs in a web worker,
which browsers refuse to start from file://. Screenshots go to build/screenshots/
as CI artefacts, and for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplab.guides.site import build
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
SHOTS = ROOT / "build" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]
LAB = {"ko": "/labs/snapshots/", "en": "/en/labs/snapshots/"}
COPY = "button[data-md-type='copy'], button.md-clipboard"  # Material 9.8, and before it


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("guide")
    built = build(out)
    handler = functools.partial(Quiet, directory=str(built.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (CHROMIUM.exists() and DRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing: `make chromium` installs them")
        pytest.skip("chromium and chromium-driver are missing: `make chromium` installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, condition, timeout: float = 10):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # search results are redrawn as the query is typed: an element may go stale under us
    ignored = (StaleElementReferenceException,)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(condition)


def shot(driver, name: str) -> None:
    time.sleep(0.5)  # let the header's title finish its fade after a scroll
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def tab_blocks(tabset) -> dict[str, object]:
    """A content-tab set's blocks by label: {"LXD": <div>, "Incus": <div>}."""
    from selenium.webdriver.common.by import By

    labels = [lb.text for lb in tabset.find_elements(By.CSS_SELECTOR, ".tabbed-labels > label")]
    blocks = tabset.find_elements(By.CSS_SELECTOR, ".tabbed-content > .tabbed-block")
    return dict(zip(labels, blocks, strict=True))


def scroll_to(driver, element) -> None:
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'start'}); scrollBy(0, -80)", element
    )


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_lab_page_tabs_switch_between_lxd_and_incus(site, browser, lang):
    from selenium.webdriver.common.by import By

    browser.get(site + LAB[lang])
    title = {"ko": "컨테이너 스냅샷", "en": "Container snapshots"}[lang]
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text == title
    sets = browser.find_elements(By.CSS_SELECTOR, "article .tabbed-set")
    assert len(sets) >= 10  # start, nine steps, grade and finish
    first, step1 = tab_blocks(sets[0]), tab_blocks(sets[1])
    assert list(first) == ["LXD", "Incus"]
    # the choice of tab is remembered across pages: start from LXD whatever came before
    sets[0].find_element(By.CSS_SELECTOR, ".tabbed-labels > label:nth-of-type(1)").click()
    assert first["LXD"].is_displayed() and not first["Incus"].is_displayed()
    assert "lxc snapshot ubuntu-test ubuntu-test-1" in step1["LXD"].text
    scroll_to(browser, sets[1])
    shot(browser, f"{lang}-lab-lxd")

    label = sets[1].find_element(By.CSS_SELECTOR, ".tabbed-labels > label:nth-of-type(2)")
    label.click()
    wait(browser, lambda d: step1["Incus"].is_displayed())
    assert not step1["LXD"].is_displayed()
    assert "incus snapshot create ubuntu-test ubuntu-test-1" in step1["Incus"].text
    # linked tabs: choosing Incus once switches every tab set on the page
    assert tab_blocks(sets[-1])["Incus"].is_displayed()
    shot(browser, f"{lang}-lab-incus")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_commands_have_a_copy_button_and_outputs_do_not(site, browser, lang):
    from selenium.webdriver.common.by import By

    browser.get(site + LAB[lang])
    tab = browser.find_elements(By.CSS_SELECTOR, "article .tabbed-set .tabbed-block")[2]
    command = tab.find_element(By.CSS_SELECTOR, "div.highlight:not(.no-copy)")
    output = tab.find_element(By.CSS_SELECTOR, "div.highlight.no-copy")
    assert "lxc snapshot" in command.get_attribute("textContent")
    assert command.find_elements(By.CSS_SELECTOR, COPY)
    assert not output.find_elements(By.CSS_SELECTOR, COPY)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_chapters_warning_is_a_warning_box(site, browser, lang):
    from selenium.webdriver.common.by import By

    browser.get(site + LAB[lang])
    box = browser.find_element(By.CSS_SELECTOR, "article .admonition.warning")
    title = box.find_element(By.CSS_SELECTOR, ".admonition-title").text
    assert title == {"ko": "주의", "en": "Warning"}[lang]
    assert "The instance is currently running" in box.text
    scroll_to(browser, box)
    shot(browser, f"{lang}-warning")


def test_language_switch_leads_to_the_english_page(site, browser):
    from selenium.webdriver.common.by import By

    browser.get(site + LAB["ko"])
    link = browser.find_element(By.CSS_SELECTOR, "a.md-select__link[hreflang='en']")
    browser.get(link.get_attribute("href"))
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text == "Container snapshots"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"


@pytest.mark.parametrize(
    "lang, query", [("ko", "스냅샷"), ("en", "restore"), ("en", "스냅샷"), ("ko", "restore")]
)
def test_search_finds_in_both_languages(site, browser, lang, query):
    from selenium.webdriver.common.by import By

    browser.get(site + LAB[lang])
    box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    box.click()  # the header's search field, shown at this window width
    box.send_keys(query)

    def found(d):
        items = d.find_elements(By.CSS_SELECTOR, ".md-search-result__item")
        return " ".join(i.text for i in items).lower() if items else False

    assert query.lower() in wait(browser, found, timeout=15)
    shot(browser, f"{lang}-search-{'ko' if query == '스냅샷' else query}")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_host_page_shows_setup_and_a_real_doctor_report(site, browser, lang):
    from selenium.webdriver.common.by import By

    browser.get(site + {"ko": "/host/", "en": "/en/host/"}[lang])
    article = browser.find_element(By.CSS_SELECTOR, "article")
    assert "sudo snaplab host setup" in article.text
    # the storage figures: their chart, in the page's language
    chart = browser.find_element(By.CSS_SELECTOR, "article img[src*='storage']")
    assert chart.get_attribute("naturalWidth") not in (None, "0")
    doctor = tab_blocks(browser.find_element(By.CSS_SELECTOR, "article .tabbed-set"))
    for backend, block in doctor.items():
        text = block.get_attribute("textContent")
        assert f"snaplab doctor --backend {backend.lower()}" in text
        verdict = {"en": "{} is fit for the labs", "ko": "{}은(는) 실습에 적합합니다"}[lang]
        assert verdict.format(backend.lower()) in text  # the Korean page shows Korean output
    scroll_to(browser, browser.find_element(By.CSS_SELECTOR, "article .tabbed-set"))
    shot(browser, f"{lang}-host-doctor")
