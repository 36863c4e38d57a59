#!/usr/bin/env python3
"""Watches the runtime's console page (`GET /` on `cml-runtime serve --admin-listen`) in headless chromium
while a federated round happens, as a person would, and prints what it saw as one JSON object on
standard output.

  console_check.py URL --then COMMAND...   open the page, read the round, the lineage and the chart's
                                           points, run COMMAND (a device's `cml-device fl`, which must exit
                                           0), then wait until the page shows the next round, one more
                                           lineage entry and one more point with a loss on the chart
  --screenshot DIR                         also save the page as DIR/console.png

The page is never reloaded: it must update itself. Exit status: 0 when it did, 1 when it did not (the
JSON's "error" says what), 3 when chromium, chromium-driver or selenium is missing (run tools/setup).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402


def chart_points(page, series):
    """The points drawn in the chart's `series` (chart-loss or chart-accuracy)."""
    return len(page.element(series).find_elements("css selector", "circle"))


def observed(page):
    """What a person reads at a glance: round, model, lineage entries, chart points."""
    return {
        "round": page.text("round"),
        "model": page.text("model"),
        "lineage": len(page.element("lineage").find_elements("css selector", "li[data-round]")),
        "chartRounds": int(page.element("chart").get_attribute("data-points") or 0),
        "lossPoints": chart_points(page, "chart-loss"),
        "countdown": page.text("countdown"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--screenshot", metavar="DIR")
    parser.add_argument("--timeout", type=float, default=120, help="the longest wait for any one thing, in seconds")
    parser.add_argument("--then", nargs=argparse.REMAINDER, required=True, help="the command that makes a round happen")
    arguments = parser.parse_args()

    missing = browser.missing()
    if missing:
        print(json.dumps({"error": missing}))
        return browser.MISSING
    seen = {}
    try:
        with browser.Browser(timeout=arguments.timeout) as page:
            page.open(arguments.url)
            try:
                page.wait_text("round", lambda text: text.isdigit(), "the open round's number")
                seen["before"] = before = observed(page)
                command = subprocess.run(arguments.then, capture_output=True, text=True, timeout=arguments.timeout)
                seen["command"] = {"status": command.returncode, "stderr": command.stderr[-2000:]}
                if command.returncode != 0:
                    raise browser.PageError(f"{arguments.then[0]} exited {command.returncode}")
                next_round = str(int(before["round"]) + 1)
                page.wait_text("round", lambda text: text == next_round, f"round {next_round}")
                page.wait(lambda: chart_points(page, "chart-loss") > before["lossPoints"], "one more loss point on the chart")
                seen["after"] = observed(page)
            except browser.PageError as error:
                seen["error"] = str(error)
            if arguments.screenshot:
                seen["screenshot"] = page.screenshot(os.path.join(arguments.screenshot, "console.png"))
    except Exception as error:  # the browser itself failed: say so in the JSON too
        seen["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(seen, indent=1))
    return 1 if "error" in seen else 0


if __name__ == "__main__":
    sys.exit(main())
