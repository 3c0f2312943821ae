#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (Fuzz/corpus/TARGET/) from logdash's own examples:
gen_logs.py's six formats and hostile lines, the SQL logic tests' queries, the Insights tests'
queries, the README's YAML, the themes, and the store fixture. Run from the repository root;
the corpora are committed, so this is needed only to refresh them."""
import os, re, subprocess, sys, glob, hashlib

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "Fuzz", "corpus")
gen = os.path.join(root, "..", "shared", "bench", "gen_logs.py")
formats = [None, "json", "syslog5424", "syslog3164", "combined", "java", "logfmt", "generic"]  # FuzzTargets.formats

def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

def logs(fmt, lines, bad=False):
    args = [sys.executable, gen, "--format", fmt, "--lines", str(lines), "--seed", "7"] + (["--bad"] if bad else [])
    return subprocess.run(args, check=True, capture_output=True).stdout

# records: the first byte picks the format (0: detect; bit 7: a 64-byte record limit).
for fmt in ["json", "logfmt", "combined", "syslog5424", "syslog3164", "java"]:
    text = logs(fmt, 12)
    put("records", bytes([0]) + text)
    put("records", bytes([formats.index(fmt)]) + text)
    put("records", bytes([0]) + logs(fmt, 12, bad=True))
    put("records", bytes([0x80 | formats.index(fmt)]) + text)

# framing: byte 0 even = syslog (else lines), its upper bits the record limit; byte 1 the piece size.
syslog = logs("syslog5424", 6).splitlines()
counted = b"".join(b"%d %s" % (len(l), l) for l in syslog)
put("framing", bytes([0, 7]) + counted)
put("framing", bytes([0, 255]) + b"\n".join(syslog) + b"\n")
put("framing", bytes([1, 3]) + logs("json", 6))
put("framing", bytes([0, 0]) + b"99999999 <13>1 too long\n12 short\n")

# sql: every query of the logic tests.
for path in sorted(glob.glob(os.path.join(root, "Tests/LogdashEngineTests/Query/logic/*.test"))):
    blocks = open(path).read().split("\n\n")
    for b in blocks:
        lines = b.strip().splitlines()
        if lines and lines[0].startswith(("query", "error")) and len(lines) > 1:
            sql = []
            for l in lines[1:]:
                if l.startswith("----"):
                    break
                sql.append(l)
            put("sql", "\n".join(sql))

# insights: the queries of the Insights tests.
text = open(os.path.join(root, "Tests/LogdashEngineTests/Query/InsightsTests.swift")).read()
for q in re.findall(r'\(\s*"((?:[^"\\]|\\.)*)",\s*\n?\s*"SELECT', text):
    put("insights", q.encode().decode("unicode_escape"))

# filter-pattern: CloudWatch's pattern shapes.
for p in ['{ $.msg = "upstream timeout" }', '{ $.latency_ms > 500 && $.level = "error" }', '{ ($.status = 5*) || $.user.id IS NULL }',
          'ERROR', '"timed out" -debug', '?ERROR ?WARN', '[ip, user, username, timestamp, request, status_code = 5*, bytes > 1000]',
          '{ $.tags[0] = "a" }', '{ $.msg = %time.*out% }', '[..., status = 500, ...]']:
    put("filter-pattern", p)

# config: byte 0 picks config / alarms / dashboard / theme / composite rule / format definition (FuzzTargets.config).
readme = open(os.path.join(root, "README.md")).read()
for y in re.findall(r"```yaml\n(.*?)```", readme, re.S):
    kind = 1 if y.lstrip().startswith("alarms") else 2 if y.lstrip().startswith("dashboards") else 3 if y.lstrip().startswith("name:") else 0
    put("config", bytes([kind]) + y.encode())
for t in sorted(glob.glob(os.path.join(root, "themes/*.yaml"))):
    put("config", bytes([3]) + open(t, "rb").read())
for d in sorted(glob.glob(os.path.join(root, "formats/*.yaml"))):
    put("config", bytes([5]) + open(d, "rb").read())
for rule in ["ALARM(a) AND NOT OK(b)", "(ALARM(x) OR INSUFFICIENT_DATA(y)) AND TRUE", "ALARM(\"web[payments]\")"]:
    put("config", bytes([4]) + rule.encode())

# wal, segment: the store fixture's files.
fixture = os.path.join(root, "Tests/LogdashEngineTests/Store/fixtures/store-format-1")
for f in sorted(os.listdir(fixture)):
    if f.endswith(".log"):
        put("wal", open(os.path.join(fixture, f), "rb").read())
    if f.endswith(".lds"):
        put("segment", open(os.path.join(fixture, f), "rb").read())

# otlp: byte 0 picks an OTLP/HTTP logs body in protobuf (0) or JSON (1), Kinesis records' data
# split at 0xFF bytes (2), or a CloudWatch Logs payload unpacked (3) (FuzzTargets.otlp). The protobuf is written by hand, field by
# field, with OpenTelemetry's field numbers (Sources/LogdashEngine/Ingest/OTLP/otlp_logs.proto).
import gzip, json, struct

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out

def field(number, value):
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value

def fixed64(number, value):
    return varint(number << 3 | 1) + struct.pack("<Q", value)

def any_value(v):
    if isinstance(v, str):
        return field(1, v.encode())
    if isinstance(v, bool):
        return field(2, int(v))
    if isinstance(v, int):
        return field(3, v)
    if isinstance(v, dict):
        return field(6, b"".join(field(1, key_value(k, x)) for k, x in v.items()))
    return field(5, b"".join(field(1, any_value(x)) for x in v))

def key_value(k, v):
    return field(1, k.encode()) + field(2, any_value(v))

record = (fixed64(1, 1796637600123456789) + field(2, 17) + field(3, b"ERROR") + field(5, any_value("payment failed"))
          + field(6, key_value("order_id", 42)) + field(6, key_value("card", {"brand": "visa"})) + field(6, key_value("tags", ["a", True]))
          + field(9, bytes(range(16))) + field(10, bytes(range(8))))
resource = field(1, key_value("service.name", "checkout")) + field(1, key_value("host.name", "web-1"))
body = field(1, field(1, resource) + field(2, field(1, field(1, b"shop")) + field(2, record) + field(2, fixed64(11, 1796637600000000000))))
put("otlp", bytes([0]) + body)
put("otlp", bytes([1]) + json.dumps({"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
    "scopeLogs": [{"scope": {"name": "shop"}, "logRecords": [{"timeUnixNano": "1796637600123456789", "severityNumber": 17, "severityText": "ERROR",
    "body": {"stringValue": "payment failed"}, "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
    "attributes": [{"key": "n", "value": {"intValue": "7"}}, {"key": "d", "value": {"doubleValue": 1.5}}, {"key": "b", "value": {"boolValue": True}},
                   {"key": "m", "value": {"kvlistValue": {"values": [{"key": "x", "value": {"arrayValue": {"values": [{"stringValue": "y"}]}}}]}}},
                   {"key": "raw", "value": {"bytesValue": "aGk="}}]}]}]}]}).encode())
cwl = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/f", "logStream": "s", "subscriptionFilters": ["f"],
       "logEvents": [{"id": "1", "timestamp": 1796637600000, "message": "hello"}, {"id": "2", "timestamp": 1796637601000, "message": "{\"level\":\"error\"}"}]}
put("otlp", bytes([2]) + gzip.compress(json.dumps(cwl).encode(), mtime=0) + b"\xff" + b"plain line\nsecond line" + b"\xff" + gzip.compress(b"zipped line\n", mtime=0))
put("otlp", bytes([3]) + json.dumps(cwl).encode())
