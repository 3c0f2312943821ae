#!/usr/bin/env python3
"""Writes Sources/LogdashEngine/Parse/Formats/BuiltinFormats.swift: the text of every
formats/*.yaml, so that the binary does not need the repository at run time. Run it after
changing a definition; a test fails while the copies differ."""
import glob, os
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = ["// The built-in format definitions: the same text as the files in formats/ (written by",
       "// formats/embed.py; a test keeps them equal).", "enum BuiltinFormats {",
       "    static let sources: [(name: String, yaml: String)] = ["]
for path in sorted(glob.glob(os.path.join(root, "formats", "*.yaml"))):
    name = os.path.basename(path)[:-5]
    text = open(path).read()
    assert '"""#' not in text
    # (A multi-line literal drops the line feed before its closing quotes: one more keeps the file's.)
    out.append('        ("%s", #"""\n%s\n"""#),' % (name, text))
out += ["    ]", "}", ""]
open(os.path.join(root, "Sources/LogdashEngine/Parse/Formats/BuiltinFormats.swift"), "w").write("\n".join(out))
