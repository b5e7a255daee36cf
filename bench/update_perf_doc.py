#!/usr/bin/env python3
"""Replace (or append) one section of docs/performance.md (or DOC): the one whose
heading starts with HEADING_PREFIX, with the contents of SECTION_FILE.
    python3 bench/update_perf_doc.py SECTION_FILE "## Policies:" [DOC]
"""
import sys

section_file, head = sys.argv[1], sys.argv[2]
section = open(section_file).read()
path = sys.argv[3] if len(sys.argv) > 3 else "docs/performance.md"
try:
    doc = open(path).read()
except FileNotFoundError:
    doc = "# Performance\n\nMeasured by the scripts in `bench/`; each section is rewritten by its script.\n"
start = doc.find(head)
if start == -1:
    doc = doc.rstrip() + "\n\n" + section
else:
    nxt = doc.find("\n## ", start + 1)
    doc = doc[:start] + section.rstrip() + "\n" + ("\n" + doc[nxt + 1:] if nxt != -1 else "")
open(path, "w").write(doc)
