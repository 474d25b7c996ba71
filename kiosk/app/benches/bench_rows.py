#!/usr/bin/env python3
"""Markdown table rows from the output of `cargo bench -p kiosk-library
--bench search` and `cargo bench -p kiosk-ime --bench ime`, for the summary
of scripts/bench. Usage: bench_rows.py SEARCH_OUTPUT IME_OUTPUT.

Reads the "all" row of each library in the search bench (columns ... p50 µs,
p99 µs, max µs) and the "all taps" row and "dictionary load" line of the ime
bench. Prints nothing for what it cannot find (the raw output is shown in
full below the table anyway)."""

import re
import sys
from pathlib import Path

NUM = r"[0-9]+(?:\.[0-9]+)?"


def read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def search_rows(text):
    rows = []
    library, articles = None, None
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+([0-9]+)\s", line)
        if m and m.group(1) != "library":
            library, articles = m.group(1), int(m.group(2))
        m = re.search(rf"\sall\s+([0-9]+)\s+({NUM})\s+({NUM})\s+({NUM})\s*$", line)
        if m and library:
            queries, p50, p99, mx = int(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4))
            big = articles >= 10000
            target = "p99 < 5 ms" if big else "–"
            result = ("pass" if p99 < 5000 else "**FAIL**") if big else "–"
            rows.append(
                f"| Search, {library} library ({articles:,} articles), {queries} queries: p50 / p99 (max) | "
                f"{p50 / 1000:.2f} / {p99 / 1000:.2f} ms ({mx / 1000:.1f} ms) | – | {target} | {result} |"
            )
    return rows


def ime_rows(text):
    rows = []
    m = re.search(rf"dictionary load: median ({NUM}) ms", text)
    if m:
        rows.append(f"| Keyboard: pinyin dictionary load (median) | {float(m.group(1)):.0f} ms | – | – | – |")
    m = re.search(rf"^all taps\s+({NUM})\s+({NUM})\s+({NUM})\s*$", text, re.M)
    if m:
        p50, p99, mx = (float(m.group(i)) for i in (1, 2, 3))
        rows.append(
            f"| Keyboard: one key tap in pinyin mode, p50 / p99 (max) | "
            f"{p50:.0f} / {p99:.0f} µs ({mx / 1000:.1f} ms) | – | – | – |"
        )
    return rows


def main():
    search = read(sys.argv[1]) if len(sys.argv) > 1 else ""
    ime = read(sys.argv[2]) if len(sys.argv) > 2 else ""
    for row in search_rows(search) + ime_rows(ime):
        print(row)


if __name__ == "__main__":
    main()
