"""The web app in headless Chromium: upload, upscale, fetch the result shown.

Needs the Debian packages `chromium` and `chromium-driver` and the Python
package `selenium`; skipped when any is missing.
"""

import importlib.util
import io
import shutil
import socket
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser

pytest.importorskip("gradio", reason="the web app needs gradio (pip install 'keras-vsr[app]')")
pytest.importorskip("selenium", reason="the browser test needs selenium (pip install selenium)")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from keras_vsr.app import launch  # noqa: E402
from tests.support import load_tool  # noqa: E402

CAT = Path(__file__).resolve().parents[1] / "keras_vsr" / "assets" / "sample_cat.png"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
HAS_GIF = importlib.util.find_spec("keras_vsr.io.gif") is not None
HAS_VIDEO = importlib.util.find_spec("keras_vsr.io.video") is not None
# Seconds to wait for a page element or a result.
TIMEOUT = 180
# The server's pixel limit: above the cat's 226 x 150.
MAX_PIXELS = 40_000
# The server's upload limit.
MAX_FILE_SIZE = "1mb"


@pytest.fixture(scope="module")
def server(tiny_preset):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = launch(port=port, presets=[tiny_preset], max_pixels=MAX_PIXELS, max_file_size=MAX_FILE_SIZE, block=False)
    yield demo
    demo.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Chromium and its driver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(TIMEOUT)
    yield driver
    driver.quit()


def wait_for(driver, css):
    """The first element matching `css`, once it is visible."""
    return WebDriverWait(driver, TIMEOUT).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def upload(driver, elem_id, path, preview="img"):
    """Upload `path` to the component `elem_id`; wait for its `preview` element."""
    driver.find_element(By.CSS_SELECTOR, f"#{elem_id} input[type=file]").send_keys(str(path))
    wait_for(driver, f"#{elem_id} {preview}")


def error_toast(driver):
    """The text of the first error notification shown, or None."""
    toasts = driver.find_elements(By.CSS_SELECTOR, ".toast-body.error")
    return toasts[0].text if toasts else None


def fetch(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def result_link(driver, elem_id):
    """The download URL in the `gr.File` with `elem_id`, once a result is there.

    Fails at once with its message when the app shows an error instead."""

    def link_or_error(d):
        if (message := error_toast(d)) is not None:
            raise AssertionError(f"the app showed an error: {message}")
        links = d.find_elements(By.CSS_SELECTOR, f"#{elem_id} a[href]")
        return links[0].get_attribute("href") if links else False

    return WebDriverWait(driver, TIMEOUT).until(link_or_error)


def test_image_in_the_browser(browser, server, tmp_path):
    browser.get(server.local_url)
    wait_for(browser, "#image-input")

    upload(browser, "image-input", CAT)
    browser.find_element(By.ID, "image-button").click()
    link = result_link(browser, "image-file")
    with Image.open(io.BytesIO(fetch(link))) as result:
        assert result.size == (226 * 4, 150 * 4)
    shown = [img.get_attribute("src") for img in browser.find_elements(By.CSS_SELECTOR, "#image-result img")]
    assert len(shown) >= 2  # before and after, under the slider
    assert "904×600" in wait_for(browser, "#image-info").text
    browser.save_screenshot(str(tmp_path / "image_tab.png"))


@pytest.mark.skipif(not HAS_GIF, reason="keras_vsr.io.gif (map_gif) is not available")
def cat_frames(count, step):
    """`count` 40x60 crops of the sample cat, each `step` pixels lower."""
    cat = np.asarray(Image.open(CAT).convert("RGB"))
    return [cat[20 + step * i : 60 + step * i, 80:140] for i in range(count)]


def run_tab(browser, server, tab, path, preview="img"):
    """Open the app, upload `path` in the `tab` ("GIF" or "Video") tab, press
    its button; returns the result's download link."""
    name = tab.lower()
    browser.get(server.local_url)
    wait_for(browser, "#image-input")
    browser.find_element(By.XPATH, f"//button[@role='tab'][normalize-space()='{tab}']").click()
    upload(browser, f"{name}-input", path, preview=preview)
    browser.find_element(By.ID, f"{name}-button").click()
    return result_link(browser, f"{name}-file")


def test_gif_in_the_browser(browser, server, tmp_path):
    frames = [Image.fromarray(frame) for frame in cat_frames(3, 8)]
    gif = tmp_path / "cat.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)

    link = run_tab(browser, server, "GIF", gif)
    src = wait_for(browser, "#gif-result img").get_attribute("src")
    for url in (link, src):
        with Image.open(io.BytesIO(fetch(url))) as result:
            assert (result.format, result.size, result.n_frames) == ("GIF", (60 * 4, 40 * 4), 3)
    browser.save_screenshot(str(tmp_path / "gif_tab.png"))


@pytest.mark.skipif(not HAS_VIDEO, reason="keras_vsr.io.video (map_video) is not available")
def test_video_in_the_browser(browser, server, tmp_path):
    import imageio.v2 as imageio

    from keras_vsr.io.video import probe_video

    clip = tmp_path / "cat.mp4"
    imageio.mimwrite(clip, cat_frames(5, 4), fps=5, macro_block_size=1)

    result = tmp_path / "result.mp4"
    result.write_bytes(fetch(run_tab(browser, server, "Video", clip, preview="video")))
    assert probe_video(result).size == (60 * 4, 40 * 4)
    wait_for(browser, "#video-result video")
    browser.save_screenshot(str(tmp_path / "video_tab.png"))


def test_too_large_image_shows_the_limit(browser, server, tmp_path):
    browser.get(server.local_url)
    wait_for(browser, "#image-input")
    big = tmp_path / "big.png"
    Image.new("RGB", (250, 200), (40, 90, 160)).save(big)
    upload(browser, "image-input", big)
    browser.find_element(By.ID, "image-button").click()
    message = WebDriverWait(browser, TIMEOUT).until(error_toast)
    assert "big.png: 250x200 = 50,000 pixels is above the limit of 40,000 pixels" in message
    browser.save_screenshot(str(tmp_path / "error.png"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#image-file a[href]")


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    """The abusive uploads of `tools/load_app.py`, an oversized file, and `load_app` itself."""
    tool = load_tool("load_app")
    files = tool.make_inputs(tmp_path_factory.mktemp("bad_uploads"))
    files["huge.png"] = files["image.png"].with_name("huge.png")
    files["huge.png"].write_bytes(files["image.png"].read_bytes() + bytes(2 * 1024 * 1024))
    return tool, files


def expected_message(tool, files, name, tab):
    """What the page must show for the upload `name` in `tab`: the CLI's message for the file, or,
    for what the browser or the server refuses before the app sees it, their message naming it."""
    if name == "huge.png":
        return f'File(s) exceed the maximum allowed size of 1.0 Mb: "{name}"'
    if name == "notes.mp4":
        return f"Invalid file type: {name}."
    if name == "photo.gif":
        return f"{name} is a PNG image, not a GIF"
    return tool.cli_message(files[name], tab.lower())


@pytest.mark.parametrize(
    "name,tab",
    [("empty.png", "Image"), ("notes.png", "Image"), ("cut.png", "Image"), ("bomb.png", "Image"),
     ("huge.png", "Image"), ("notes.mp4", "Image"), ("photo.gif", "GIF")],
)
def test_bad_uploads_show_the_clis_message_in_the_page(browser, server, bad_files, name, tab, tmp_path):
    tool, files = bad_files
    expected = expected_message(tool, files, name, tab)
    assert expected
    browser.get(server.local_url)
    wait_for(browser, "#image-input")
    browser.find_element(By.XPATH, f"//button[@role='tab'][normalize-space()='{tab}']").click()
    key = tab.lower()
    browser.find_element(By.CSS_SELECTOR, f"#{key}-input input[type=file]").send_keys(str(files[name]))
    WebDriverWait(browser, TIMEOUT).until(
        lambda d: error_toast(d) or d.find_elements(By.CSS_SELECTOR, f"#{key}-input img")
    )
    if error_toast(browser) is None:  # accepted by the page: the app reads it
        browser.find_element(By.ID, f"{key}-button").click()
    message = WebDriverWait(browser, TIMEOUT).until(error_toast)
    browser.save_screenshot(str(tmp_path / "refused.png"))
    assert expected in message, message
    assert str(files[name].parent) not in message
    assert not browser.find_elements(By.CSS_SELECTOR, f"#{key}-file a[href]")


def test_closing_the_page_deletes_its_upload_and_result(browser, server, bad_files, tmp_path, monkeypatch):
    import gradio as gr

    tool, _ = bad_files
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.25")  # how soon the server notices the page closed
    cat = tmp_path / f"cat_{tmp_path.name}.png"
    shutil.copy(CAT, cat)
    browser.get(server.local_url)
    wait_for(browser, "#image-input")
    upload(browser, "image-input", cat)
    browser.find_element(By.ID, "image-button").click()
    result_link(browser, "image-file")
    uploads = gr.utils.get_upload_folder()
    assert len(tool.session_files(uploads, cat.stem)) == 3  # the upload, the result, the "before" image
    browser.get("about:blank")
    assert tool.files_left(uploads, cat.stem, timeout=30) == []
