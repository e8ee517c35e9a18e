"""``restorable serve`` in a real browser (issue 19): headless Chromium (Debian's ``chromium`` and
``chromium-driver``, installed by .ci/run) driven by Selenium through upload, apply, the before/after
slider and zoom, download, restore, a corrupt upload, and a batch of 5 with one bad file.

Skipped where Chromium is not installed, except in CI (``CI`` set), where it must run.
``RESTORABLE_SCREENSHOT=PATH`` also saves the before/after screenshot there (the README's).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from live_server import running  # noqa: E402

from restorable.serve import ServeConfig, create_app  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "photo.jpg"
CHROMIUM, DRIVER = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and DRIVER) or pytest.importorskip("selenium") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: install chromium and chromium-driver (apt)")
        pytest.skip("needs chromium and chromium-driver (apt install chromium chromium-driver)")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium never looks for drivers online
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1000", "--disable-gpu"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory, odd_photo_path):
    folder = tmp_path_factory.mktemp("shoot")
    with Image.open(odd_photo_path) as img:
        for i in range(4):
            img.crop((i * 100, 40, i * 100 + 128, 136)).save(folder / f"frame{i}.jpg", quality=95)
    (folder / "frame9.jpg").write_bytes(EXAMPLE.read_bytes()[:5000])  # cut short
    app = create_app(ServeConfig([folder], tmp_path_factory.mktemp("out")))
    with running(app) as url:
        browser.get(url)
        yield browser


def _wait(driver, condition, timeout: float = 120):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))


def _text(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def _click(driver, css: str) -> None:
    driver.find_element("css selector", css).click()


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    from restorable.metrics import psnr

    return psnr(a, b)


def test_upload_apply_compare_zoom_download_restore(page, tmp_path):
    driver = page
    _wait(driver, lambda d: d.find_elements("css selector", "#op option[value=l0]"))
    driver.find_element("id", "try-file").send_keys(str(EXAMPLE))
    _wait(driver, lambda d: "640 x 480" in _text(d, "try-upload"))
    from selenium.webdriver.common.action_chains import ActionChains

    # a stronger effect: drag l0's lam slider to the right (a logarithmic slider, 0.001 to 0.2)
    lam = driver.find_element("css selector", "#params input[name=lam]")
    ActionChains(driver).click_and_hold(lam).move_by_offset(lam.size["width"] // 5, 0).release().perform()
    chosen = float(driver.find_element("css selector", "#params .param output").text)
    assert 0.04 < chosen < 0.15
    _click(driver, "#apply")
    _wait(driver, lambda d: "PSNR" in _text(d, "try-figures"))
    figures = _text(driver, "try-figures")
    shown = float(figures.split("PSNR ")[1].split(" dB")[0])
    assert figures.startswith(f"l0 (lam={chosen:.3g}, kappa=2): 640 x 480; restored from the PNG file")
    assert shown > 30 and _text(driver, "try-message") == "" and "trained" not in figures
    for name in ("original", "processed", "restored"):
        assert driver.execute_script(f"return document.getElementById('img-{name}').naturalWidth") == 640

    # synchronised zoom to 400 %: every pane 4x as wide, and scrolling one scrolls the others
    _click(driver, '#try-result [data-zoom="4"]')
    widths = driver.execute_script("return [...document.querySelectorAll('#try-panes img')].map(i => i.getBoundingClientRect().width)")
    assert widths == [2560, 2560, 2560]
    driver.execute_script("const s = document.querySelector('#try-panes .scroller'); s.scrollLeft = 700; s.scrollTop = 300;")
    _wait(driver, lambda d: d.execute_script(
        "return [...document.querySelectorAll('#try-panes .scroller')].every(s => s.scrollLeft === 700 && s.scrollTop === 300)"), 10)

    # the before/after slider: dragging it moves where the processed image starts
    _click(driver, '.view[data-view="compare"]')
    _click(driver, '#try-result [data-zoom="fit"]')
    split = driver.find_element("id", "split")
    ActionChains(driver).click_and_hold(split).move_by_offset(-split.size["width"] // 5, 0).release().perform()
    value = int(split.get_attribute("value"))
    assert 20 <= value <= 40
    assert driver.execute_script("return document.getElementById('cmp-after').style.clipPath") == f"inset(0px 0px 0px {value}%)"
    time.sleep(0.3)
    driver.save_screenshot(str(tmp_path / "before-after.png"))
    if os.environ.get("RESTORABLE_SCREENSHOT"):
        shutil.copy(tmp_path / "before-after.png", os.environ["RESTORABLE_SCREENSHOT"])

    # download: the file restores anywhere, from its record
    _click(driver, "#download-processed")
    downloaded = driver.downloads / "photo-l0.png"
    _wait(driver, lambda d: downloaded.exists() and not list(driver.downloads.glob("*.crdownload")), 30)
    import restorable

    original = np.asarray(Image.open(EXAMPLE).convert("RGB"))
    restored = np.asarray(restorable.restore(Image.open(downloaded)))
    assert _psnr(original, restored) == pytest.approx(shown, abs=0.01)

    # the restore tab takes the downloaded file
    _click(driver, '.tab[data-tab="restore"]')
    driver.find_element("id", "restore-file").send_keys(str(downloaded))
    _wait(driver, lambda d: "640 x 480" in _text(d, "restore-upload"))
    _click(driver, "#restore-run")
    _wait(driver, lambda d: "learned reverse pass" in _text(d, "restore-figures"))
    assert "made with l0" in _text(driver, "restore-figures")
    assert driver.execute_script("return document.getElementById('img-rrestored').naturalWidth") == 640


def test_bad_uploads_get_one_line_in_the_page_and_the_server_goes_on(page, tmp_path):
    from live_server import png_bomb

    driver = page
    _click(driver, '.tab[data-tab="restore"]')
    bad = {
        "notes.jpg": (b"a shopping list, not a photo\n" * 50, "notes.jpg: not a readable image (not PNG, JPEG, TIFF, WebP or BMP data)"),
        "cut.jpg": (EXAMPLE.read_bytes()[:8000], "cut.jpg: not a readable image (the file is cut short)"),
        "bomb.png": (png_bomb(), "bomb.png: 30000x30000 is 900 MP, over the limit of 64 MP (restorable serve --max-pixels raises it)"),
        "empty.png": (b"", "empty.png: the file is empty (0 bytes)"),
    }
    for name, (data, message) in bad.items():
        (tmp_path / name).write_bytes(data)
        driver.find_element("id", "restore-file").send_keys(str(tmp_path / name))
        _wait(driver, lambda d: _text(d, "restore-message"), 30)
        assert _text(driver, "restore-message") == message
        driver.find_element("id", "restore-file").send_keys(str(EXAMPLE))  # the server keeps serving
        _wait(driver, lambda d: "640 x 480" in _text(d, "restore-upload"), 30)
        assert _text(driver, "restore-message") == ""
        driver.execute_script("document.getElementById('restore-upload').textContent = ''")


def test_a_batch_of_five_with_one_bad_file(page):
    driver = page
    _click(driver, '.tab[data-tab="folders"]')
    assert "(5 photos)" in driver.find_element("id", "folder").text
    _click(driver, "#batch-start")
    _wait(driver, lambda d: "done:" in _text(d, "batch-stage"))
    assert "4 written, 1 failed" in _text(driver, "batch-stage")
    rows = [r.text for r in driver.find_elements("css selector", "#batch-table tbody tr")]
    assert len(rows) == 5
    bad = driver.find_element("css selector", "#batch-table tr.failed").text
    assert bad.startswith("frame9.jpg failed") and "cut short" in bad
