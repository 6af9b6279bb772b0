"""Shared by the benchmark scripts (tools/bench_*.py): waiting for an idle machine."""
import os
import sys
import time


def wait_idle(limit, timeout=1800):
    """Sleeps until the 1-minute load average is <= limit (figures taken under load are not figures);
    warns and returns after timeout seconds."""
    start = time.time()
    while os.getloadavg()[0] > limit:
        if time.time() - start > timeout:
            print(f"warning: load average still {os.getloadavg()[0]:.2f} after {timeout} s", file=sys.stderr)
            return
        time.sleep(10)
