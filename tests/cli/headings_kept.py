#!/usr/bin/env python3
"""Does every heading of a printed report stay on the page of what follows it?

usage: headings_kept.py REPORT.html REPORT.pdf

Reads the <h1>..<h4> headings from the HTML and each page's text from the PDF (pdftotext), the
footer ("safer evidence: ...", "page N of M") left out, and fails for a page whose text ends with
a heading: a heading left alone at the foot of a page, its table or charts on the next (the bid
pack's "Monthly trend" heading did). Prints each such page and heading; exits 1 if any."""
import html
import re
import subprocess
import sys

page_html, pdf = sys.argv[1:3]


def words(text):
    return re.sub(r"\s+", " ", text).strip()


headings = [words(html.unescape(re.sub(r"<[^>]+>", " ", h))) for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", open(page_html, encoding="utf-8").read(), re.S)]
pages = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
count = int(re.search(r"^Pages:\s+(\d+)", pages, re.M).group(1))
bad = 0
for p in range(1, count + 1):
    text = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), pdf, "-"], capture_output=True, text=True, check=True).stdout
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("safer evidence:") and not re.fullmatch(r"\s*page \d+ of \d+\s*", l)]
    body = words(" ".join(lines))
    for h in headings:
        if h and body.endswith(h):
            print(f"page {p} of {count} ends with the heading '{h}'", file=sys.stderr)
            bad += 1
print(f"{len(headings)} headings on {count} pages, {bad} left at the foot of a page", file=sys.stderr)
sys.exit(1 if bad else 0)
