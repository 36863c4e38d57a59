"""What the browser tests of ConfidentialML's pages share: Debian's chromium, headless, driven through
chromium-driver by selenium (PyPI, the version tools/setup pins), at a fixed window size so screenshots
are alike from run to run.

A script imports it, checks `missing()` first (exit MISSING with its text, so a Swift test can tell a
machine without a browser from a page that fails), then:

    with Browser() as browser:
        browser.open(url)
        text = browser.wait_text("round", lambda text: text != "-", "a round number")
        browser.screenshot("docs/screenshots/console.png")

Nothing is fetched from the internet: the driver and the browser are the installed ones (Selenium
Manager, which would download them, is told to stay offline).
"""
import os
import shutil
import time

# The exit status of a script when the browser or selenium is missing.
MISSING = 3

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1000, 900)


def missing():
    """What is missing to run a browser test, in words; None when everything is there."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (run tools/setup: pip install selenium)"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.exists(path) or shutil.which(os.path.basename(path))):
            return f"{path} is missing (run tools/setup: apt-get install {package})"
    return None


class PageError(Exception):
    """The page did not show what it should have, in words, with what it showed instead."""


class Browser:
    """A headless chromium at a fixed window size; `timeout` is the longest wait for any one thing."""

    def __init__(self, timeout=120, window=WINDOW):
        os.environ.setdefault("SE_OFFLINE", "true")
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        options = Options()
        options.binary_location = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--hide-scrollbars", "--force-device-scale-factor=1", f"--window-size={window[0]},{window[1]}"):
            options.add_argument(argument)
        driver = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.driver.quit()

    def open(self, url):
        """Loads `url` and waits until its document is complete."""
        self.driver.get(url)
        self.wait(lambda: self.driver.execute_script("return document.readyState") == "complete", "the page to load")

    def element(self, element_id):
        """The element with id `element_id`."""
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id):
        """The text of the element with id `element_id` as a person sees it ("" when hidden)."""
        return self.element(element_id).text.strip()

    def shown(self, element_id):
        """Whether the element with id `element_id` is on screen."""
        return self.element(element_id).is_displayed()

    def type(self, element_id, text):
        """Clears the input `element_id` and types `text` into it, key by key, as a person would."""
        field = self.element(element_id)
        field.clear()
        field.send_keys(text)

    def click(self, element_id):
        """Clicks the element `element_id` once it is enabled."""
        self.wait(lambda: self.element(element_id).is_enabled(), f"#{element_id} to be enabled")
        self.element(element_id).click()

    def wait(self, condition, what, timeout=None):
        """Waits until `condition()` is true (checked every 100 ms); PageError naming `what` after `timeout`."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                if condition():
                    return
            except Exception:  # an element not there yet, or replaced while read
                pass
            if time.monotonic() > deadline:
                raise PageError(f"waited {timeout or self.timeout} s for {what}")
            time.sleep(0.1)

    def wait_text(self, element_id, condition, what, timeout=None):
        """Waits until the text of `element_id` satisfies `condition` and returns it; PageError saying
        `what` was expected and the text it had otherwise."""
        seen = {}

        def check():
            seen["text"] = self.text(element_id)
            return condition(seen["text"])
        try:
            self.wait(check, f"#{element_id} to show {what}", timeout)
        except PageError as error:
            raise PageError(f"{error}; it shows {seen.get('text', '(nothing)')!r}") from None
        return seen["text"]

    def screenshot(self, path):
        """Saves the window as a PNG at `path` (its folder made if needed) and returns the path."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if not self.driver.save_screenshot(path):
            raise PageError(f"chromium could not save a screenshot to {path}")
        return path
