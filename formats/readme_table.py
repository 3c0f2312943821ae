#!/usr/bin/env python3
"""Rewrites the table of built-in definitions in README.md (under "### Formats") from the
titles in formats/*.yaml."""
import glob, os, re
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
titles = {}
for f in sorted(glob.glob(os.path.join(root, "formats", "*.yaml"))):
    for line in open(f):
        if line.startswith("title: "):
            t = line[7:].strip()
            if len(t) > 1 and t[0] == t[-1] and t[0] in "'\"":  # a quoted YAML scalar
                t = t[1:-1].replace("''", "'") if t[0] == "'" else t[1:-1]
            titles[os.path.basename(f)[:-5]] = t
rows = "\n".join("| `%s` | %s |" % (n, t.replace("|", "\\|")) for n, t in sorted(titles.items()))
p = os.path.join(root, "README.md")
s = open(p).read()
s2 = re.sub(r"(\| name \| what \|\n\|---\|---\|\n)(?:\|.*\|\n)+", lambda m: m.group(1) + rows + "\n", s, count=1)
assert s2 != s or rows in s
open(p, "w").write(s2)
print(len(titles), "definitions")
