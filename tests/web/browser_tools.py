#!/usr/bin/env python3
"""The analysts' pages and the public AQI map in a real browser (Debian's Chromium over
WebDriver, Python selenium), against two running `lantian` servers over one store: one with
the public map off (the default), one with it on. The helpers (the browser, checks, login, the
HJ 633 colours typed from the standard) are browser.py's.

The harness (tests/web/browser_tools.rs) writes one JSON line: the URLs, the users, the day to
report on, the stations, the stored AQIs, the CSV to upload and what `lantian aqi` writes for
it. The script answers {"done": true, "checks": [...]} (exit status 0), or raises.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser as common  # noqa: E402  (browser.py, beside this file)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def fetch(driver, url):
    """GET `url` from the page (with its cookies): status, content type, text."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])))"
        ".catch(e => done([0, '', String(e)]));", url)


def no_console_errors(driver, check, page):
    """As browser.py's, but a missing favicon.ico of a report's own page is not the page's error."""
    errors = [e for e in driver.get_log("browser")
              if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")]
    check.that(not errors, page + ": no console errors: " + json.dumps(errors))


def main():
    setup = common.receive()
    base, public = setup["base"], setup["public_base"]
    shots = setup["screenshots"]
    os.makedirs(shots, exist_ok=True)
    driver = common.browser(setup["profile"])
    check = common.Check(driver, shots)
    try:
        analyst = setup["analyst"]
        common.login(driver, check, base, analyst["name"], analyst["password"])

        # The analyst generates the daily report of a day and opens it.
        driver.get(base + "/reports?lang=en")
        check.that(driver.find_elements(By.ID, "generate"), "an analyst has the generation form")
        Select(driver.find_element(By.ID, "report-kind")).select_by_value("daily")
        date = driver.find_element(By.ID, "report-date")
        date.clear()
        date.send_keys(setup["report_date"])
        driver.find_element(By.ID, "report-generate").click()
        check.wait(lambda: driver.find_elements(By.ID, "report-written"), "the daily report is written")
        written = driver.find_element(By.ID, "report-written").text
        check.that(setup["report_date"] in written, "the report is the day's: " + written)
        rows = driver.find_elements(By.CSS_SELECTOR, "#reports tr[data-kind='daily']")
        check.that(len(rows) == 1, "the archive lists the daily report")
        check.shot("reports-generated")
        no_console_errors(driver, check, "reports")
        driver.find_element(By.ID, "report-written").click()
        check.wait(lambda: "/api/v1/reports/files/" in driver.current_url, "the report opens")
        html = driver.page_source
        check.that('content="daily"' in html and setup["report_date"] in html,
                   "the opened report is the daily report of " + setup["report_date"])
        check.shot("report-opened")
        no_console_errors(driver, check, "the report")
        driver.set_window_size(1366, 768)
        driver.get(base + "/reports?lang=en")
        check.shot("reports-laptop")
        driver.set_window_size(1920, 1080)

        # The explorer: a station's PM2.5 by the hour over the last day of data.
        station = setup["first_station"]
        driver.get(base + "/explore?lang=en")
        driver.find_element(By.CSS_SELECTOR, "input[name=station][value='%s']" % station).click()
        driver.find_element(By.CSS_SELECTOR, "input[name=parameter][value='pm25']").click()
        Select(driver.find_element(By.ID, "explore-resolution")).select_by_value("hour")
        driver.find_element(By.ID, "explore-show").click()
        check.wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#explore-charts figure svg"),
                   "the explorer draws the chart")
        figure = driver.find_element(By.CSS_SELECTOR, "#explore-charts figure")
        check.that(figure.get_attribute("data-station") == station
                   and figure.get_attribute("data-parameter") == "pm25", "the chart is the one asked")
        check.shot("explore-chart")
        no_console_errors(driver, check, "explorer")
        href = driver.find_element(By.ID, "download-csv").get_attribute("href")
        status, media, text = fetch(driver, href)
        lines = text.strip().splitlines()
        check.that(status == 200 and media.startswith("text/csv"), "the CSV downloads (%s %s)" % (status, media))
        check.that(len(lines) >= 20 and all(station in line for line in lines[1:]),
                   "the CSV has the station's hours: %d lines" % len(lines))

        # An uploaded CSV comes back with the AQI `lantian aqi` writes for it.
        driver.get(base + "/explore")
        Select(driver.find_element(By.ID, "aqi-standard")).select_by_value("hj633-2012")
        Select(driver.find_element(By.ID, "aqi-mode")).select_by_value("hourly")
        driver.find_element(By.ID, "aqi-file").send_keys(setup["upload"])
        driver.find_element(By.ID, "aqi-show").click()
        check.wait(lambda: driver.find_elements(By.ID, "aqi-csv"), "the uploaded CSV is computed")
        got = driver.find_element(By.ID, "aqi-csv").get_property("value")
        check.that(got.replace("\r\n", "\n") == setup["upload_aqi"],
                   "the AQI is lantian aqi's:\n%s\nvs\n%s" % (got, setup["upload_aqi"]))
        check.that(driver.find_elements(By.CSS_SELECTOR, "#aqi-problems tr[data-line='3'][data-field='pm25']"),
                   "the bad row is named by line and field")
        check.shot("explore-aqi-upload")
        no_console_errors(driver, check, "explorer upload")

        # The station page: roses and source flags.
        driver.get(base + "/stations/" + setup["wind_station"] + "?span=7d&lang=en")
        roses = driver.find_elements(By.CSS_SELECTOR, "#roses figure svg")
        check.that(len(roses) == 2, "the wind and pollution roses are drawn (%d)" % len(roses))
        flags = setup["flags"]
        if flags:
            shown = driver.find_elements(By.CSS_SELECTOR, "#flags tbody tr")
            check.that(len(shown) == flags, "the %d source flags are listed (%d)" % (flags, len(shown)))
        else:
            said = driver.find_element(By.ID, "no-flags").text
            analysed = "not analysed" not in said and "has not analysed" not in said
            check.that(analysed == setup["analysed"],
                       "no flags, and the page says whether the days were analysed: " + said)
        driver.execute_script("document.getElementById('roses').scrollIntoView();")
        check.shot("station-roses")
        no_console_errors(driver, check, "station")
        driver.set_window_size(390, 844)
        driver.get(base + "/explore")
        check.shot("explore-phone")
        driver.set_window_size(1920, 1080)

        # The public map is off on this server.
        for path in ("/public/map", "/public/map.json"):
            status, _, _ = fetch(driver, base + path)
            check.that(status == 404, path + " is absent when off (%d)" % status)
        common.logout(driver, check, base)

        # A leader reads the archive but generates nothing and has no explorer.
        leader = setup["leader"]
        common.login(driver, check, base, leader["name"], leader["password"])
        driver.get(base + "/reports")
        check.that(driver.find_elements(By.CSS_SELECTOR, "#reports tr[data-kind='daily']"),
                   "a leader sees the archive")
        check.that(not driver.find_elements(By.ID, "generate"), "a leader has no generation form")
        status, _, _ = fetch(driver, base + "/explore")
        check.that(status == 403, "a leader cannot open the explorer (%d)" % status)
        driver.get_log("browser")  # the expected 403 of the fetch
        common.logout(driver, check, base)

        # The public map, without login, in the official colours.
        driver.get(public + "/public/map")
        check.that("/login" not in driver.current_url and not driver.find_elements(By.ID, "user"),
                   "the public map needs no login")
        shown = common.map_aqis(driver)
        expected = setup["aqi"]
        check.that(set(shown) == set(expected), "the public map shows every station")
        for station, aqi in expected.items():
            got_aqi, fill = shown[station]
            check.that(got_aqi == aqi and fill == common.colour(aqi),
                       "%s: AQI %s in %s (shown %s %s)" % (station, aqi, common.colour(aqi), got_aqi, fill))
        check.that(not driver.find_elements(By.CSS_SELECTOR, "svg.station-map a"),
                   "the public map links to no station page")
        check.shot("public-map")
        no_console_errors(driver, check, "public map")
        status, media, text = fetch(driver, public + "/public/map.json")
        stations = json.loads(text)["stations"] if status == 200 else []
        check.that(stations and all(set(s) == {"id", "name", "name_en", "lat", "lon", "aqi", "level", "primary"}
                                    for s in stations), "the public JSON has the AQI and nothing else")
        driver.set_window_size(390, 844)
        driver.get(public + "/public/map?lang=en")
        check.shot("public-map-phone")
        no_console_errors(driver, check, "public map on a phone")
        common.send({"done": True, "checks": check.done})
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
