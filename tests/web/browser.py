#!/usr/bin/env python3
"""The web pages in a real browser: Debian's Chromium driven over WebDriver (chromedriver,
Python selenium), against a running `lantian` server.

Written from what a person does and sees, not from the server's code: the AQI colours are
HJ 633-2012's table (Table 2: 0-50 #00E400, 51-100 #FFFF00, 101-150 #FF7E00, 151-200
#FF0000, 201-300 #99004C, >300 #7E0023), typed here from the standard.

The test harness (tests/web/browser.rs) starts the server over a store it filled, and talks
to this script over stdin/stdout, one JSON object per line:
  harness -> script: {"cmd": "expect", ...}  first line: base URL, users, expected AQIs
  script -> harness: {"ready": "hour"}        the map is checked; add a new hour now
  harness -> script: {"station": id, "aqi": n} the new hour's stored AQI
  script -> harness: {"done": true, "checks": [...]} at the end (exit status 0)
Any failed check raises (exit status 1) with a message on stderr.
"""

import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HJ633 = [(50, "#00E400"), (100, "#FFFF00"), (150, "#FF7E00"), (200, "#FF0000"), (300, "#99004C")]
SEVERE = "#7E0023"
NO_DATA = "#9AA0A6"


def colour(aqi):
    if aqi is None:
        return NO_DATA
    for top, c in HJ633:
        if aqi <= top:
            return c
    return SEVERE


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("the harness closed stdin")
    return json.loads(line)


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--hide-scrollbars", "--window-size=1920,1080", "--user-data-dir=" + profile):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Check:
    def __init__(self, driver, shots):
        self.driver = driver
        self.shots = shots
        self.done = []

    def that(self, ok, what):
        if not ok:
            self.shot("failed")
            raise AssertionError(what + " (at " + self.driver.current_url + ")")
        self.done.append(what)

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(self.shots, name + ".png"))

    def no_console_errors(self, page):
        errors = [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]
        self.that(not errors, page + ": no console errors: " + json.dumps(errors))

    def wait(self, condition, what, seconds=30):
        end = time.time() + seconds
        while time.time() < end:
            try:
                if condition():
                    self.done.append(what)
                    return
            except Exception:  # an element replaced while reading it: look again
                pass
            time.sleep(0.2)
        self.that(False, what + " within " + str(seconds) + " s")


def login(driver, check, base, user, password):
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    check.wait(lambda: driver.find_elements(By.ID, "user"), "logged in as " + user)


def logout(driver, check, base):
    driver.get(base + "/alarms")
    driver.find_element(By.ID, "logout").click()
    check.wait(lambda: "/login" in driver.current_url, "logged out")


def map_aqis(driver):
    out = {}
    for g in driver.find_elements(By.CSS_SELECTOR, "svg.station-map g.station"):
        aqi = g.get_attribute("data-aqi")
        fill = g.find_element(By.TAG_NAME, "circle").get_attribute("fill")
        out[g.get_attribute("data-station")] = (int(aqi) if aqi else None, fill.upper())
    return out


def main():
    setup = receive()
    base = setup["base"]
    shots = setup["screenshots"]
    os.makedirs(shots, exist_ok=True)
    driver = browser(setup["profile"])
    check = Check(driver, shots)
    try:
        # A logged-out browser is sent to the login page.
        driver.get(base + "/")
        check.that("/login" in driver.current_url, "a logged-out browser is sent to /login")
        check.shot("login")
        check.no_console_errors("login")

        # The maintainer logs in; the map shows every station in its category's colour.
        maintainer = setup["maintainer"]
        login(driver, check, base, maintainer["name"], maintainer["password"])
        check.wait(lambda: driver.find_elements(By.CSS_SELECTOR, "svg.station-map g.station"),
                   "the overview shows the station map")
        shown = map_aqis(driver)
        expected = setup["aqi"]
        check.that(set(shown) == set(expected),
                   "the map shows the stations %s (shown: %s)" % (sorted(expected), sorted(shown)))
        for station, aqi in expected.items():
            got_aqi, fill = shown[station]
            check.that(got_aqi == aqi, "%s shows AQI %s (shown %s)" % (station, aqi, got_aqi))
            check.that(fill == colour(aqi), "%s is %s (shown %s)" % (station, colour(aqi), fill))
        check.that(driver.find_elements(By.CSS_SELECTOR, "#town-ranking tbody tr"),
                   "the town ranking has rows")
        check.shot("overview-1920x1080")
        check.no_console_errors("overview")

        # A new hour arrives: the map changes without a reload.
        driver.execute_script("window.lantianMarker = 'no reload';")
        check.wait(lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-live") == "live",
                   "the page is connected to the server's events")
        send({"ready": "hour"})
        hour = receive()
        station, aqi = hour["station"], hour["aqi"]
        check.wait(lambda: map_aqis(driver)[station] == (aqi, colour(aqi)),
                   "%s turns to AQI %s in %s without a reload" % (station, aqi, colour(aqi)))
        check.that(driver.execute_script("return window.lantianMarker;") == "no reload",
                   "the page was not reloaded")
        check.shot("overview-after-new-hour")
        check.no_console_errors("overview after the update")

        # Device health, and its problems filter.
        driver.get(base + "/health")
        check.that(driver.find_elements(By.CSS_SELECTOR, "#devices tbody tr[data-device]"),
                   "the health page lists devices")
        check.shot("health")
        driver.find_element(By.ID, "filter-problems").click()
        check.wait(lambda: "problems=1" in driver.current_url, "the problems filter applies")
        check.no_console_errors("health")

        # The maintainer acknowledges an alarm.
        alarm = setup["alarm"]
        driver.get(base + "/alarms")
        check.that(driver.find_elements(By.CSS_SELECTOR, "#alarm-list tr[data-alarm]"),
                   "the alarms page lists the open alarm")
        driver.get(base + "/alarms/" + alarm)
        check.that(driver.find_element(By.ID, "alarm").get_attribute("data-state") == "open",
                   "the alarm is open")
        driver.find_element(By.ID, "acknowledge").click()
        check.wait(lambda: driver.find_element(By.ID, "alarm").get_attribute("data-state") == "acknowledged",
                   "the maintainer acknowledged the alarm")
        check.that(maintainer["name"] in driver.find_element(By.ID, "alarm-history").text,
                   "the alarm's history names the maintainer")
        check.shot("alarm-acknowledged")
        check.no_console_errors("alarm")

        # A phone.
        driver.set_window_size(390, 844)
        driver.get(base + "/")
        check.wait(lambda: driver.find_elements(By.CSS_SELECTOR, "svg.station-map"), "the overview on a phone")
        check.shot("overview-phone")
        driver.get(base + "/health?problems=1")
        check.shot("health-phone")
        driver.set_window_size(1920, 1080)
        logout(driver, check, base)

        # A leader reads but cannot handle alarms nor reach admin pages.
        leader = setup["leader"]
        login(driver, check, base, leader["name"], leader["password"])
        driver.get(base + "/alarms/" + alarm)
        check.that(not driver.find_elements(By.ID, "alarm-forms"), "a leader sees no alarm forms")
        for path in setup["admin_pages"]:
            driver.get(base + path)
            body = driver.find_element(By.TAG_NAME, "body").text
            check.that("403" in body or "forbidden" in body.lower(),
                       "a leader cannot reach " + path + ": " + body[:200])
        check.shot("leader-forbidden")
        driver.get_log("browser")  # the expected 403s (and the plain 403 page's favicon.ico)
        logout(driver, check, base)

        # An administrator sees the users and the audit log with the acknowledgement.
        admin = setup["admin"]
        login(driver, check, base, admin["name"], admin["password"])
        driver.get(base + "/admin")
        users = [r.get_attribute("data-user") for r in driver.find_elements(By.CSS_SELECTOR, "#users tr[data-user]")]
        check.that(set(users) >= {maintainer["name"], leader["name"], admin["name"]}, "the admin page lists the users: %s" % users)
        audit = driver.find_element(By.ID, "audit").text
        check.that("alarm.acknowledge" in audit and maintainer["name"] in audit,
                   "the audit log has the maintainer's acknowledgement")
        check.shot("admin")
        check.no_console_errors("admin")
        send({"done": True, "checks": check.done})
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
