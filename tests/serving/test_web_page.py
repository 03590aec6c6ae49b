"""The web page at `/` in a real headless browser (Chromium through selenium): an uploaded clip and a microphone
recording go through the API and their results appear on the page."""

import base64
import shutil

import httpx
import pytest

pytestmark = pytest.mark.skipif(shutil.which("chromedriver") is None, reason="needs chromium-driver (make setup)")


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,1100",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"):  # a fake microphone
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))
    yield driver
    driver.quit()


def _run(browser, task: str) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.CSS_SELECTOR, f"input[name=task][value={task}]").click()
    browser.find_element(By.ID, "go").click()
    WebDriverWait(browser, 120).until(lambda d: d.find_element(By.ID, "status").text.startswith("done")
                                      or d.find_element(By.ID, "error").text)
    assert browser.find_element(By.ID, "error").text == ""
    assert browser.find_element(By.ID, "result").is_displayed()
    return {k: browser.find_element(By.ID, k).text for k in ("language", "transcript", "translation")}


def test_an_uploaded_clip_is_transcribed_and_spoken_on_the_page(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, wav, _ = server
    browser.get(url + "/")
    WebDriverWait(browser, 30).until(lambda d: "French" in d.find_element(By.ID, "model-languages").text)
    browser.find_element(By.ID, "file").send_keys(str(wav))
    Select(browser.find_element(By.ID, "source")).select_by_value("fr")
    Select(browser.find_element(By.ID, "target")).select_by_value("en")

    shown = _run(browser, "transcribe")
    api = httpx.post(url + "/v1/audio/transcriptions", files={"file": ("c.wav", wav.read_bytes(), "audio/wav")},
                     data={"language": "fr"}, timeout=120).json()
    assert shown["language"] == "French" and shown["transcript"] == (api["text"] or "—")

    shown = _run(browser, "s2st")
    api = httpx.post(url + "/v1/audio/speech-translations", files={"file": ("c.wav", wav.read_bytes(), "audio/wav")},
                     data={"language": "fr", "target_language": "en"}, timeout=120).json()
    assert shown["transcript"] == (api["transcript"] or "—") and shown["translation"] == (api["translation"] or "—")
    src = browser.find_element(By.ID, "speech").get_attribute("src")
    assert src.startswith("data:audio/wav;base64,") and base64.b64decode(src.split(",", 1)[1])[:4] == b"RIFF"
    browser.save_screenshot(str(tmp_path / "page.png"))
    assert (tmp_path / "page.png").stat().st_size > 10_000


def test_a_microphone_recording_is_sent_as_a_wav(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, _, _ = server
    browser.get(url + "/")
    WebDriverWait(browser, 30).until(lambda d: "French" in d.find_element(By.ID, "model-languages").text)
    browser.find_element(By.ID, "record").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "recording").text == "recording…")
    browser.execute_script("return new Promise((ok) => setTimeout(ok, 1500))")
    browser.find_element(By.ID, "stop").click()
    recorded = browser.find_element(By.ID, "recording").text  # "1.5 s recorded"
    assert recorded.endswith(" s recorded") and float(recorded.split()[0]) >= 1.0
    shown = _run(browser, "transcribe")
    assert shown["language"] in ("English", "French", "Spanish", "German", "Italian", "Portuguese")
