"""mitmweb in a real browser: log in with its token, select a failing flow, read the diagnosis.

Headless Chromium driven by Selenium through Debian's chromedriver (no browser download).
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.harness import demo_process
from tests.e2e.harness import read_until

AUTHDOCTOR = str(Path(sys.executable).with_name("authdoctor"))
BROWSER_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--window-size=1400,1000",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser(tmp_path: Path) -> webdriver.Chrome:
    binary = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    assert binary and driver, (
        "needs Debian's chromium and chromium-driver (./run test installs them)"
    )
    options = Options()
    options.binary_location = binary
    for flag in [*BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def test_mitmweb_shows_the_root_cause_and_fix(tmp_path: Path) -> None:
    web_port = _free_port()
    command = [AUTHDOCTOR, "demo", "--port", "0", "--web-port", str(web_port)]
    with demo_process(command, tmp_path) as demo:
        try:
            output = read_until(demo, "Ctrl-C stops")
            match = re.search(rf"http://127\.0\.0\.1:{web_port}/\?token=[0-9a-f]+", output)
            assert match, output
            browser = _browser(tmp_path)
            try:
                browser.get(match.group(0))
                wait = WebDriverWait(browser, 20)
                rows = wait.until(
                    lambda b: [r for r in b.find_elements(By.CSS_SELECTOR, "tbody tr.has-response")
                               if "⛔" in r.find_element(By.CSS_SELECTOR, "span.marker").text]
                )  # fmt: skip
                assert len(rows) >= 15  # every runbook failure of the demo is marked
                rows[6].click()  # the expired token (after 6 header and token-format failures)
                tab = wait.until(expected_conditions.element_to_be_clickable(
                    (By.XPATH, "//nav//a[normalize-space()='Comment']")))  # fmt: skip
                tab.click()
                wait.until(lambda b: "authdoctor:" in b.find_element(By.TAG_NAME, "body").text)
                text = browser.find_element(By.TAG_NAME, "body").text
                assert "The access token had expired when the request was sent" in text
                assert "2 h 13 min before the request" in text
                assert "Fix:" in text and "grant_type=refresh_token" in text
                shot = tmp_path / "mitmweb.png"
                browser.save_screenshot(str(shot))
                assert shot.stat().st_size > 20_000
            finally:
                browser.quit()
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(30)
