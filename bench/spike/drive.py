"""Drive the spike in headless Chromium: cold (fresh profile) then warm visits, N runs, medians."""
import json, shutil, statistics, sys, tempfile, time
from playwright.sync_api import sync_playwright

URL = "http://127.0.0.1:8765/index.html?mode="
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# (cold mode, warm mode) pairs: the warm visit runs in the same profile right after the cold one.
PAIRS = {"bare": ("bare", "bare"), "current": ("current", "current"), "snapshot": ("make", "restore"),
         "nodesnap": ("nodesnap", "nodesnap")}

def visit(page, mode):
    page.goto(URL + mode)
    page.wait_for_function("window.__result", timeout=180_000)
    r = page.evaluate("window.__result")
    if not r.get("ok"):
        raise RuntimeError(f"{mode}: {r.get('error')}")
    return r

def main():
    runs = int(sys.argv[1]); kinds = sys.argv[2].split(",")
    out = {k: {"cold": [], "warm": []} for k in kinds}
    with sync_playwright() as p:
        for i in range(runs):
            for k in kinds:
                prof = tempfile.mkdtemp(prefix="spike-prof-")
                ctx = p.chromium.launch_persistent_context(prof, executable_path=shutil.which("chromium"), headless=True, args=ARGS)
                page = ctx.new_page()
                cold = visit(page, PAIRS[k][0]); time.sleep(0.5)
                page.close(); page = ctx.new_page()
                warm = visit(page, PAIRS[k][1])
                ctx.close(); shutil.rmtree(prof, ignore_errors=True)
                out[k]["cold"].append(cold); out[k]["warm"].append(warm)
                print(k, i, "cold", cold["sinceNav"], cold["T"], "| warm", warm["sinceNav"], warm["T"], "|", str(warm["result"])[:70], flush=True)
    json.dump(out, open(f"/tmp/spike-{int(time.time())}.json", "w"))
    print("\nmedians (ms, navigation start -> ready):")
    for k in kinds:
        c = statistics.median(r["sinceNav"] for r in out[k]["cold"]); w = statistics.median(r["sinceNav"] for r in out[k]["warm"])
        print(f"{k:10s} cold {c:7.0f}  warm {w:7.0f}")

main()
