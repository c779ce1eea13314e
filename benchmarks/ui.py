"""Benchmark: in a real browser, the time from changing the retention period to the new heatmap.

Generates about 1M demo events (``prodops.data.demo.generate_events_rows``), saves them in a
throwaway catalog, starts ``streamlit run app.py`` on it, opens the Retention page in Debian's
chromium and measures, from the click on a new "Period" option until the page has finished its
rerun with the new period in the URL and the browser has painted twice more:

- **warm**: switching between two periods whose results are already cached (median of 5);
- **cold**: a period whose result is not cached yet, so the retention query runs (median of 5:
  each run changes "Periods" to a new value first, then times the period switch).

Usage: ``python benchmarks/ui.py [--rows 1000000]``; prints a Markdown table (and writes
``benchmarks/out/ui.json``).
"""

from __future__ import annotations

import argparse
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


def prepare_home(home: Path, rows: int) -> float:
    """Save about *rows* demo events as dataset ``bench-1m``; return the seconds it took."""
    from prodops.data.catalog import Catalog
    from prodops.data.demo import generate_events_rows

    started = time.perf_counter()
    frame = generate_events_rows(rows=rows)
    Catalog(home).save(DATASET, frame, kind="events", source="benchmarks/ui.py")
    return time.perf_counter() - started


def start_app(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "PRODOPS_HOME": str(home)}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    proc = subprocess.Popen(
        [*command, "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prodops-bench-ui-") as tmp:
        home = Path(tmp)
        prepared_s = prepare_home(home, args.rows)
        proc, url = start_app(home)
        try:
            times = measure(url)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    result = {
        "rows": args.rows,
        "prepare_s": round(prepared_s, 2),
        "warm_median_s": round(statistics.median(times["warm_s"]), 3),
        "cold_median_s": round(statistics.median(times["cold_s"]), 3),
        **{k: [round(v, 3) for v in vs] for k, vs in times.items()},
    }
    print(f"Retention period switch in the browser, {args.rows:,} events (median of 5)\n")
    print("| case | median (s) | runs (s) |")
    print("| --- | --- | --- |")
    for case in ("warm", "cold"):
        runs = ", ".join(f"{v:.2f}" for v in result[f"{case}_s"])
        print(f"| {case} | {result[f'{case}_median_s']:.2f} | {runs} |")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ui.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
