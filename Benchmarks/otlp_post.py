"""Posts 1M log records to a running `logdash ingest http://127.0.0.1:PORT` as OTLP/HTTP
protobuf (100 requests of 10,000 records, built with opentelemetry-proto) or as the same
records in NDJSON to /ingest; prints the seconds the posts took."""
import http.client, json, random, sys, time
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import ResourceLogs, ScopeLogs, LogRecord
from opentelemetry.proto.common.v1.common_pb2 import KeyValue, AnyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

port, mode = int(sys.argv[1]), sys.argv[2]
random.seed(7)
services = ["checkout", "payments", "search", "auth", "cart"]
levels = [(9, "info")] * 8 + [(13, "warn"), (17, "error")]
def kv(k, v):
    return KeyValue(key=k, value=AnyValue(int_value=v) if isinstance(v, int) else AnyValue(string_value=v))
bodies = []
t0 = 1796637600_000_000_000
for b in range(100):
    records, lines = [], []
    for i in range(10_000):
        n = b * 10_000 + i
        num, name = random.choice(levels)
        status = random.choice([200] * 9 + [500])
        path = f"/api/v1/items/{random.randint(1, 5000)}"
        lat = random.randint(1, 900)
        tid = random.getrandbits(128).to_bytes(16, "big")
        msg = f"GET {path} {status} in {lat}ms"
        records.append(LogRecord(time_unix_nano=t0 + n * 1_000_000, severity_number=num, severity_text=name.upper(),
                                 body=AnyValue(string_value=msg), trace_id=tid,
                                 attributes=[kv("http.status", status), kv("latency_ms", lat), kv("path", path), kv("user", f"u{random.randint(1, 99999)}")]))
        lines.append(json.dumps({"ts": t0 + n * 1_000_000, "level": name, "msg": msg, "trace_id": tid.hex(), "service": services[b % 5],
                                 "http.status": status, "latency_ms": lat, "path": path, "user": f"u{random.randint(1, 99999)}"}))
    if mode == "otlp":
        req = ExportLogsServiceRequest(resource_logs=[ResourceLogs(resource=Resource(attributes=[kv("service.name", services[b % 5]), kv("host.name", "web-1")]),
                                                                   scope_logs=[ScopeLogs(log_records=records)])])
        bodies.append(req.SerializeToString())
    else:
        bodies.append(("\n".join(lines) + "\n").encode())
c = http.client.HTTPConnection("127.0.0.1", port)
path, ctype = ("/v1/logs", "application/x-protobuf") if mode == "otlp" else ("/ingest", "application/x-ndjson")
start = time.time()
retries = 0
for body in bodies:
    while True:
        try:
            c.request("POST", path, body, {"Content-Type": ctype})
            r = c.getresponse(); r.read()
            if r.status != 503:
                break
        except (ConnectionError, http.client.HTTPException):
            pass
        # The buffer is full (a 503 mid-body closes the connection): as a shipper does, again.
        retries += 1
        c.close()
        c = http.client.HTTPConnection("127.0.0.1", port)
        time.sleep(0.02)
    assert r.status == 200, r.status
print(f"{start:.3f} {mode}: {sum(map(len, bodies)) / 1e6:.1f} MB posted in {time.time() - start:.2f} s ({retries} 503s)")
