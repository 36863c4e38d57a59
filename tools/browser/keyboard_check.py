#!/usr/bin/env python3
"""Drives the device's keyboard page (`cml-device console`) in headless chromium as a person would, and
prints what it saw as one JSON object on standard output.

  keyboard_check.py URL                   type abo, read the prediction, type about, press Train, see the
                                          new model id and round, then about predicted for abo
  keyboard_check.py URL --expect refused  see the red banner saying the runtime was refused, and why
  --screenshot DIR                        also save the page as DIR/keyboard-trained.png or keyboard-refused.png

Exit status: 0 when the page did what it should, 1 when it did not (the JSON's "error" says what), 3 when
chromium, chromium-driver or selenium is missing (run tools/setup).
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402

SHORT_ID = re.compile(r"^[0-9a-f]{8}$")


def trained(page, prefix, word, seen):
    """The ML or FL flow: a prediction, a word trained on, a new model that completes the prefix to it."""
    seen["before"] = before = {}
    before["model"] = page.wait_text("model-id", SHORT_ID.match, "the downloaded model's id")
    before["round"] = page.text("round")
    page.type("prefix", prefix)
    before["prediction"] = page.wait_text(
        "prediction", lambda text: len(text) == 5 and text.startswith(prefix), f"a five-letter completion of {prefix!r}")
    page.type("word", word)
    page.click("train")
    seen["after"] = after = {}
    after["model"] = page.wait_text(
        "model-id", lambda text: SHORT_ID.match(text) and text != before["model"], f"a model other than {before['model']}")
    after["round"] = page.text("round")
    after["prediction"] = page.wait_text("prediction", lambda text: text == word, f"{word!r} predicted for {prefix!r}")
    seen["status"] = page.text("status")
    seen["refusedShown"] = page.shown("refused")
    return "keyboard-trained.png"


def refused(page, seen):
    """The tamper run: the banner, its reason, and no model."""
    page.wait(lambda: page.shown("refused") and page.text("refused-reason"), "the red banner #refused")
    seen["banner"] = page.text("refused")
    seen["reason"] = page.text("refused-reason")
    seen["model"] = page.text("model-id")
    seen["status"] = page.text("status")
    seen["trainEnabled"] = page.element("train").is_enabled()
    return "keyboard-refused.png"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--expect", choices=["trained", "refused"], default="trained")
    parser.add_argument("--prefix", default="abo")
    parser.add_argument("--word", default="about")
    parser.add_argument("--screenshot", metavar="DIR")
    parser.add_argument("--timeout", type=float, default=120, help="the longest wait for any one thing, in seconds")
    arguments = parser.parse_args()

    missing = browser.missing()
    if missing:
        print(json.dumps({"error": missing}))
        return browser.MISSING
    seen = {"expect": arguments.expect}
    try:
        with browser.Browser(timeout=arguments.timeout) as page:
            page.open(arguments.url)
            try:
                if arguments.expect == "trained":
                    name = trained(page, arguments.prefix, arguments.word, seen)
                else:
                    name = refused(page, seen)
            except browser.PageError as error:
                seen["error"] = str(error)
                seen["statusAtFailure"] = page.text("status")
                name = "keyboard-failure.png"
            if arguments.screenshot:
                seen["screenshot"] = page.screenshot(os.path.join(arguments.screenshot, name))
    except Exception as error:  # the browser itself failed: say so in the JSON too
        seen["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(seen, indent=1))
    return 1 if "error" in seen else 0


if __name__ == "__main__":
    sys.exit(main())
