"""Prometheus' side of GET /metrics: the exposition read by prometheus-client's own text parser.

usage: prometheus_scrape.py URL [TOKEN]

Prints one JSON object: {"metric{label=value,...}": value} for every sample, with the families'
types under "#types". Exits 2 when the answer is not 200 (the status is printed).
"""
import json
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

request = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]} if len(sys.argv) > 2 else {})
try:
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
        content_type = answer.headers["Content-Type"]
except urllib.error.HTTPError as e:
    print(e.code)
    sys.exit(2)
out = {"#types": {}, "#content-type": content_type}
for family in text_string_to_metric_families(text):
    out["#types"][family.name] = family.type
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        out[f"{s.name}{{{labels}}}"] = s.value if s.value == s.value else "NaN"
print(json.dumps(out, sort_keys=True))
