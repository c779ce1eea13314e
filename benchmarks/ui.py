"""Benchmark: in a real browser, the time from changing the retention period to the new heatmap.

Generates about 1M demo events (``prodops.data.demo.generate_events_rows``), saves them in a
throwaway catalog, starts ``streamlit run app.py`` on it, opens the Retention page in Debian's
chromium and measures, from the click on a new "Period" option until the page has finished its
rerun with the new period in the URL and the browser has painted twice more:

- **warm**: switching between two periods whose results are already cached (median of 5);
- **cold**: a period whose result is not cached yet, so the retention query runs (median of 5:
  each run changes "Periods" to a new value first, then times the period switch).

Then the **first paint** of each insight page (Home, Retention, Engagement, Revenue & Churn) on
the demo data (a data directory set up as ``prodops setup`` does), from opening the page's URL
until the page's script has finished, every chart is drawn and the browser has painted twice
more, each page on a server of its own with nothing cached (results, chart specs and the
stored active-user runs of :mod:`prodops.metrics.day_runs` all emptied first):

- **first visit**: the server has already served the Data page to the same browser (the Python
  imports are done and Streamlit's scripts are in the browser's cache), and the page's results
  are not cached: what a person opening the page for the first time waits for;
- **second visit**: the same page again in a new tab right after the first visit, its results
  now cached: what the browser alone needs to draw the page (the server only reads caches);
- **fresh server**: the page is the first thing a just-started server runs, in a browser that
  has never loaded the app (Python imports, the first-start check and Streamlit's scripts
  included).

Each first visit also notes when the page's first chart was drawn (a Vega view in the first
chart element), counted from the navigation's start: when a person sees the first chart.

Two last rows measure the same for pages of an app that computes nothing, laid out as ProdOps
is: a page holding only a title, and a page holding a title and five line charts of 180 points,
each with its three download buttons (as ``prodops.ui.render.chart`` draws them): what Streamlit
itself takes on this machine, the floors under every page's numbers.

Usage: ``python benchmarks/ui.py [--rows 1000000] [--paint-runs 3] [--skip-switch]``; prints
Markdown tables with targets (period switch under 0.5 s warm, first paint under 2 s) and
writes ``benchmarks/out/ui.json``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
DATASET = "bench-1m"
SWITCH_TARGET_S = 0.5
PAINT_TARGET_S = 2.0
# (label, URL path) of the insight pages whose first paint is measured, on the default dataset.
PAINT_PAGES = (
    ("Home", ""),
    ("Retention", "Retention"),
    ("Engagement", "Engagement"),
    ("Revenue & Churn", "Revenue_and_Churn"),
)
# Pages of an app that computes nothing (floor_app): Streamlit's own first paint. (label, file)
FLOOR_PAGE = ("Streamlit alone (a title)", "pages/2_Title.py")
FLOOR_CHARTS_PAGE = ("Streamlit alone (a title, 5 charts, 15 downloads)", "pages/3_Charts.py")
FLOOR_CHARTS_SOURCE = """import altair as alt
import pandas as pd
import streamlit as st

st.title("Charts")
frame = pd.DataFrame({"day": pd.date_range("2026-05-01", periods=180), "users": range(180)})
for i in range(5):
    chart = alt.Chart(frame).mark_line().encode(x=alt.X("day:T"), y=alt.Y("users:Q"))
    st.vega_lite_chart(chart.properties(width="container").to_dict(validate=False))
    row = st.container(horizontal=True, gap="small")
    for kind in ("CSV", "PNG", "SVG"):
        row.download_button(kind, data=lambda: "", key=f"{i}{kind}", on_click="ignore")
"""
# Logged in each tab from its start: when the first chart element holds a drawn Vega view.
FIRST_CHART_LOGGER = """
(() => {
  const tick = () => {
    const chart = document.querySelector("[data-testid='stVegaLiteChart'] canvas, "
      + "[data-testid='stVegaLiteChart'] svg");
    if (chart !== null) { window.__firstChartMs = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""
# Every element of the page has drawn: no lazily loaded element (a chart, a table) still shows
# Streamlit's placeholder while its code loads (`stSkeleton`; a page's first charts wait for the
# Vega bundle), and a Vega view (canvas or svg) is in each chart element.
CHARTS_DRAWN = """() => {
  if (document.querySelector("[data-testid='stSkeleton']") !== null) return false;
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  return charts.every(c => c.querySelector("canvas, svg") !== null);
}"""


def prepare_home(home: Path, rows: int) -> float:
    """Save about *rows* demo events as dataset ``bench-1m``; return the seconds it took."""
    from prodops.data.catalog import Catalog
    from prodops.data.demo import generate_events_rows

    started = time.perf_counter()
    frame = generate_events_rows(rows=rows)
    Catalog(home).save(DATASET, frame, kind="events", source="benchmarks/ui.py")
    return time.perf_counter() - started


def prepare_demo_home(home: Path) -> float:
    """Set up *home* as ``prodops setup`` does (demo datasets, examples); return the seconds."""
    started = time.perf_counter()
    env = {**os.environ, "PRODOPS_HOME": str(home)}
    prodops = Path(sys.executable).with_name("prodops")
    subprocess.run([str(prodops), "setup"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def start_app(home: Path, root: Path = ROOT) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "PRODOPS_HOME": str(home), "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    proc = subprocess.Popen(
        [*command, "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def wait_idle(page: Any, param: str) -> None:
    """Until the rerun that wrote *param* to the URL has finished and the browser painted."""
    page.wait_for_function(
        "(param) => location.search.includes(param)"
        ' && document.querySelector("' + IDLE + '") !== null',
        arg=param,
        polling="raf",
        timeout=300_000,
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def switch_period(page: Any, label: str, value: str) -> float:
    """Open the Period list, then time the click on *label* until the new heatmap is drawn."""
    page.get_by_role("combobox", name="Period", exact=True).click()
    option = page.get_by_role("option", name=label, exact=True)
    option.wait_for()
    started = time.perf_counter()
    option.click()
    wait_idle(page, f"period={value}")
    return time.perf_counter() - started


def set_periods(page: Any, count: int) -> None:
    box = page.get_by_role("spinbutton", name="Periods", exact=True)
    box.fill(str(count))
    box.press("Enter")
    wait_idle(page, f"periods={count}")


def measure(url: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        raise SystemExit("Debian's chromium is needed (apt install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"{url}/Retention?dataset={DATASET}&period=week&periods=8")
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=300_000)
        wait_idle(page, "period=week")
        cold = []
        for count in range(9, 14):  # a new "Periods" each time: day and week both uncached
            set_periods(page, count)
            cold.append(switch_period(page, "Day", "day"))
            switch_period(page, "Week", "week")
        warm = []
        for i in range(5):  # both cached now (periods=13)
            label, value = ("Day", "day") if i % 2 == 0 else ("Week", "week")
            warm.append(switch_period(page, label, value))
        browser.close()
    return {"cold_s": cold, "warm_s": warm}


def open_page(context: Any, url: str, marks: dict[str, float] | None = None) -> float:
    """Open *url* in a new tab (a new session); seconds until the script ended and every chart
    is drawn. Tabs of one *context* share the browser's HTTP cache (Streamlit's scripts).

    With *marks*, ``first_chart_s`` is set there: seconds from the navigation's start until the
    first chart was drawn (absent on a page without charts)."""
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(
        '() => document.querySelector("' + IDLE + '") !== null'
        " && document.querySelector(\"[data-testid='stMainBlockContainer'] h1\") !== null",
        polling="raf",
        timeout=300_000,
    )
    page.wait_for_function(CHARTS_DRAWN, polling="raf", timeout=300_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    elapsed = time.perf_counter() - started
    if marks is not None:
        first_chart = page.evaluate("() => window.__firstChartMs ?? null")
        if first_chart is not None:
            marks["first_chart_s"] = float(first_chart) / 1000
    page.close()
    return elapsed


def floor_app(folder: Path) -> Path:
    """A Streamlit app that computes nothing, laid out as ProdOps is (the Data page first, then
    the measured pages: a title alone; a title and five charts with their downloads):
    Streamlit's own first paint on this machine."""
    (folder / "pages").mkdir(parents=True)
    (folder / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    for path, title in (("app.py", "Home"), (FLOOR_PAGE[1], "Title")):
        (folder / path).write_text(f"import streamlit as st\n\nst.title({title!r})\n")
    # As ProdOps's Data page does, the Data page imports pandas and Altair (first visits)
    data_page = "import altair\nimport pandas\nimport streamlit as st\n\nst.title('Data')\n"
    (folder / "pages" / "6_Data.py").write_text(data_page)
    (folder / FLOOR_CHARTS_PAGE[1]).write_text(FLOOR_CHARTS_SOURCE)
    return folder


def measure_paint(
    home: Path, runs: int, root: Path = ROOT, pages: tuple[tuple[str, str], ...] = PAINT_PAGES
) -> dict[str, dict[str, list[float]]]:
    """First paint of each page of *pages*, *runs* times, each on a fresh server."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        raise SystemExit("Debian's chromium is needed (apt install chromium)")
    cases = ("first_visit_s", "second_visit_s", "first_chart_s", "fresh_server_s")
    times: dict[str, dict[str, list[float]]] = {
        label: {case: [] for case in cases} for label, _ in pages
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for _ in range(runs):
            for label, path in pages:
                for case in ("fresh_server_s", "first_visit_s"):
                    shutil.rmtree(home / "cache", ignore_errors=True)  # stored day runs
                    proc, url = start_app(home, root)
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    context.add_init_script(FIRST_CHART_LOGGER)
                    try:
                        if case == "fresh_server_s":
                            times[label][case].append(open_page(context, f"{url}/{path}"))
                            continue
                        open_page(context, f"{url}/Data")  # also fills the browser's cache
                        marks: dict[str, float] = {}
                        times[label][case].append(open_page(context, f"{url}/{path}", marks))
                        if "first_chart_s" in marks:
                            times[label]["first_chart_s"].append(marks["first_chart_s"])
                        second = open_page(context, f"{url}/{path}")  # results cached now
                        times[label]["second_visit_s"].append(second)
                    finally:
                        context.close()
                        proc.terminate()
                        proc.wait(timeout=20)
        browser.close()
    return times


def print_paint(times: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Print the first-paint table (target vs measured); return its numbers."""
    print(f"\nFirst paint of each insight page on the demo data (target < {PAINT_TARGET_S} s)\n")
    print(
        "| page | first visit (s) | first chart drawn (s) | second visit, results cached (s)"
        " | fresh server (s) | runs (s) | target met |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    out: dict[str, Any] = {}
    for label, cases in times.items():
        medians = {k: statistics.median(v) if v else None for k, v in cases.items()}
        runs = "; ".join(
            f"{name.rsplit('_', 1)[0].replace('_', ' ')} " + ", ".join(f"{v:.2f}" for v in values)
            for name, values in cases.items()
            if values
        )
        visit, fresh = medians["first_visit_s"], medians["fresh_server_s"]
        met = "yes" if visit is not None and visit < PAINT_TARGET_S else "no"
        met += " (fresh server: " + (
            "yes" if fresh is not None and fresh < PAINT_TARGET_S else "no"
        )
        met += ")"
        if label in (FLOOR_PAGE[0], FLOOR_CHARTS_PAGE[0]):
            met = "(reference: a floor of this machine)"
        shown = " | ".join(
            "-" if medians[k] is None else f"{medians[k]:.2f}"
            for k in ("first_visit_s", "first_chart_s", "second_visit_s", "fresh_server_s")
        )
        print(f"| {label} | {shown} | {runs} | {met} |")
        out[label] = {
            **{
                k.removesuffix("_s") + "_median_s": None if m is None else round(m, 3)
                for k, m in medians.items()
            },
            **{k: [round(v, 3) for v in vs] for k, vs in cases.items()},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--paint-runs", type=int, default=3, help="0: skip the first paint")
    parser.add_argument("--skip-switch", action="store_true", help="only the first paint")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="run the app of another checkout (A/B runs)"
    )
    args = parser.parse_args()
    # bytecode first, as an installed package has it (`make` writes it too): this machine sets
    # PYTHONDONTWRITEBYTECODE, so a page's first visit would compile its modules every time
    compileall.compile_dir(args.root / "prodops", quiet=1)
    result: dict[str, Any] = {"rows": args.rows, "root": str(args.root)}
    result["load_average_start"] = os.getloadavg()
    if not args.skip_switch:
        with tempfile.TemporaryDirectory(prefix="prodops-bench-ui-") as tmp:
            home = Path(tmp)
            prepared_s = prepare_home(home, args.rows)
            proc, url = start_app(home, args.root)
            try:
                times = measure(url)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
        result |= {
            "prepare_s": round(prepared_s, 2),
            "warm_median_s": round(statistics.median(times["warm_s"]), 3),
            "cold_median_s": round(statistics.median(times["cold_s"]), 3),
            **{k: [round(v, 3) for v in vs] for k, vs in times.items()},
        }
        print(f"Retention period switch in the browser, {args.rows:,} events (median of 5)\n")
        print("| case | median (s) | runs (s) | target |")
        print("| --- | --- | --- | --- |")
        for case in ("warm", "cold"):
            runs = ", ".join(f"{v:.2f}" for v in result[f"{case}_s"])
            target = f"< {SWITCH_TARGET_S} s" if case == "warm" else "-"
            print(f"| {case} | {result[f'{case}_median_s']:.2f} | {runs} | {target} |")
    if args.paint_runs > 0:
        with tempfile.TemporaryDirectory(prefix="prodops-bench-paint-") as tmp:
            home = Path(tmp)
            result["demo_setup_s"] = round(prepare_demo_home(home), 2)
            paint = measure_paint(home, args.paint_runs, args.root)
            floor = floor_app(home / "floor-app")
            floors = ((FLOOR_PAGE[0], "Title"), (FLOOR_CHARTS_PAGE[0], "Charts"))
            paint |= measure_paint(home, args.paint_runs, floor, pages=floors)
            result["first_paint"] = print_paint(paint)
    result["load_average_end"] = os.getloadavg()
    print(f"\nload average (1, 5, 15 min): {result['load_average_start']} at the start,")
    print(f"{result['load_average_end']} at the end")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    name = "ui.json" if args.root == ROOT else "ui-other.json"
    (out / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
