"""The web page with a real model, in headless Chromium: upload a test clip, run speech-to-speech translation,
check that the page shows the transcript, the translation and the spoken translation, save a screenshot.

    .venv/bin/python scripts/web_screenshot.py [--model models/babel-small] [--clip data/.../x.wav]
                                               [--lang fr] [--to en] [--out docs/img/web-page.png]

Exits 1 if the page does not show a result.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from audiopalm.serve import ServeConfig, start_in_thread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/babel-small")
    parser.add_argument("--clip", required=True)
    parser.add_argument("--lang", default="fr")
    parser.add_argument("--to", default="en")
    parser.add_argument("--out", default="docs/img/web-page.png")
    args = parser.parse_args()
    server, _, url = start_in_thread(ServeConfig(args.model), log_level="error")
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,1000"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))
    try:
        browser.get(url + "/")
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "model-languages").text != "…")
        browser.find_element(By.ID, "file").send_keys(str(Path(args.clip).resolve()))
        Select(browser.find_element(By.ID, "source")).select_by_value(args.lang)
        Select(browser.find_element(By.ID, "target")).select_by_value(args.to)
        browser.find_element(By.CSS_SELECTOR, "input[name=task][value=s2st]").click()
        browser.find_element(By.ID, "go").click()
        WebDriverWait(browser, 300).until(lambda d: d.find_element(By.ID, "status").text.startswith("done")
                                          or d.find_element(By.ID, "error").text)
        shown = {k: browser.find_element(By.ID, k).text for k in ("error", "language", "transcript", "translation")}
        speech = browser.find_element(By.ID, "speech").get_attribute("src") or ""
        browser.save_screenshot(args.out)
    finally:
        browser.quit()
        server.should_exit = True
    print({**shown, "speech": speech[:30] + "..."})
    ok = not shown["error"] and shown["transcript"] not in ("", "—") and shown["translation"] not in ("", "—") \
        and speech.startswith("data:audio/wav;base64,")
    print(f"screenshot: {args.out}" if ok else "the page shows no result", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
