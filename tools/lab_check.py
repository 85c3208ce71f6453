"""`make lab-check`: JupyterLab in a real browser, as a new user meets it.

Starts JupyterLab (the venv's, repo root, a free localhost port), drives the system Chromium headless
through Selenium, opens the file browser, double-clicks ``notebooks/`` and then the notebook (default
``02_frame_statistics.py``), checks that it opened as a notebook (not the text editor), runs all cells,
waits for the kernel, saves (Ctrl+S) and writes a screenshot. Then it checks what the run left behind:
no cell raised, the ``.py`` file is byte-identical after the save, and ``git status`` shows no change
under ``notebooks/``. Prints one PASS/FAIL line per check and exits 1 on any failure.

It installs nothing. It needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``;
elsewhere set ``CHROME_BIN`` / ``CHROMEDRIVER``) and the prepared data of ``make reproduce`` (notebook 02 reads
what 01 wrote). ``python tools/lab_check.py --notebook 05_metrics --out results/lab-check``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _browser_paths() -> tuple[str, str]:
    chrome = os.environ.get("CHROME_BIN") or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if not chrome or not driver:
        sys.exit("lab-check: no Chromium/chromedriver found (Debian: apt-get install chromium chromium-driver; or set CHROME_BIN and CHROMEDRIVER)")
    return chrome, driver


def _start_lab(port: int, token: str) -> subprocess.Popen:
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.Popen([str(jupyter), "lab", "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
                             f"--IdentityProvider.token={token}", "--allow-root", f"--notebook-dir={ROOT}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit("lab-check: jupyter lab exited at start")
            time.sleep(0.5)
    proc.terminate()
    sys.exit("lab-check: jupyter lab did not answer within 60 s")


def _git_status(paths: list[str]) -> list[str]:
    out = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.splitlines() if out.returncode == 0 else []


def check(notebook: str, out_dir: Path, timeout: float) -> list[tuple[str, bool, str]]:
    from selenium import webdriver
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    chrome, driver_path = _browser_paths()
    nb_file = ROOT / "notebooks" / f"{notebook}.py"
    before = nb_file.read_bytes()
    port, token = _free_port(), "lab-check"
    lab = _start_lab(port, token)
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(arg)
    browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=opts)
    results: list[tuple[str, bool, str]] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        wait = WebDriverWait(browser, 60)
        browser.get(f"http://127.0.0.1:{port}/lab/tree?token={token}")

        def double_click(name: str) -> None:
            item = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'.jp-DirListing-item[title^="Name: {name}"]')))
            ActionChains(browser).double_click(item).perform()

        double_click("notebooks")
        double_click(f"{notebook}.py")
        try:
            WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell")))
            opened = True
        except Exception:  # noqa: BLE001 (a text editor opened instead: the failure reported below)
            opened = False
        editor = bool(browser.find_elements(By.CSS_SELECTOR, ".jp-FileEditor"))
        results.append(("double-click opens the .py as a notebook", opened and not editor, "text editor opened" if editor else ""))
        browser.save_screenshot(str(out_dir / f"{notebook}.opened.png"))
        if not opened:
            return results
        time.sleep(2)  # the kernel starts
        panel = browser.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel")
        panel.click()
        browser.find_element(By.CSS_SELECTOR, "body").send_keys(Keys.ESCAPE)
        # Run > Run All Cells, through the menu a user would use
        browser.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Run']").click()
        wait.until(ec.element_to_be_clickable((By.XPATH, "//div[contains(@class,'lm-Menu-itemLabel') and text()='Run All Cells']"))).click()
        t0 = time.time()
        done = False
        while time.time() - t0 < timeout:
            time.sleep(2)
            prompts = [p.text for p in browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")]
            busy = any("*" in p for p in prompts)
            if prompts and not busy and all(p.strip() not in ("[ ]:", "") for p in prompts):
                done = True
                break
        errors = browser.find_elements(By.CSS_SELECTOR, '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
        results.append(("Run All finishes", done, f"after {time.time() - t0:.0f} s" if done else f"still running after {timeout:.0f} s"))
        results.append(("no cell raised", done and not errors, errors[0].text.splitlines()[0][:200] if errors else ""))
        walls = [o for o in browser.find_elements(By.CSS_SELECTOR, '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
                 if "%|" in o.text]
        results.append(("no progress-bar text walls in the outputs", not walls, f"{len(walls)} stderr outputs with bars" if walls else ""))
        ActionChains(browser).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
        time.sleep(3)
        browser.save_screenshot(str(out_dir / f"{notebook}.ran.png"))
        results.append(("saving leaves the .py byte-identical", nb_file.read_bytes() == before, ""))
        changed = _git_status(["notebooks"])
        results.append(("git status: no change under notebooks/", not changed, "; ".join(changed)))
    finally:
        browser.quit()
        lab.terminate()
        lab.wait(timeout=20)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notebook", default="02_frame_statistics")
    ap.add_argument("--out", default="results/lab-check", help="screenshots go here")
    ap.add_argument("--timeout", type=float, default=300, help="seconds Run All may take")
    a = ap.parse_args()
    results = check(a.notebook, ROOT / a.out, a.timeout)
    for name, ok, detail in results:
        print(f"lab-check: {'PASS' if ok else 'FAIL'} {name}" + (f" ({detail})" if detail else ""))
    ok = all(r[1] for r in results)
    print(f"lab-check: {'PASS' if ok else 'FAIL'}: {a.notebook} in JupyterLab; screenshots in {a.out}/")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
