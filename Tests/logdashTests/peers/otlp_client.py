"""An application logging through OpenTelemetry's Python SDK to logdash's POST /v1/logs.

usage: otlp_client.py URL protobuf|json [TOKEN]

protobuf: the SDK's own OTLP/HTTP exporter (opentelemetry-exporter-otlp-proto-http), gzip.
json: the same requests (the SDK's encoder) sent in OTLP's JSON encoding, as the Collector's
otlphttp exporter does with `encoding: json` (proto3's JSON mapping, enums as numbers, trace
and span ids in hex).

Prints the trace and span ids of the span the first record was logged in.
"""
import base64
import json
import logging
import sys
import urllib.request

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

url, mode = sys.argv[1], sys.argv[2]
headers = {"Authorization": "Bearer " + sys.argv[3]} if len(sys.argv) > 3 else {}


class JSONExporter(LogRecordExporter):
    def export(self, batch):
        body = MessageToDict(encode_logs(batch), use_integers_for_enums=True)
        for rl in body.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                for lr in sl.get("logRecords", []):
                    for k in ("traceId", "spanId"):
                        if k in lr:
                            lr[k] = base64.b64decode(lr[k]).hex()
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return LogRecordExportResult.SUCCESS if answer.status == 200 else LogRecordExportResult.FAILURE

    def shutdown(self):
        pass

    def force_flush(self, timeout_millis=30000):
        return True


class Checked(LogRecordExporter):
    """Fails the script when an export fails (the SDK would only log it)."""

    def __init__(self, inner):
        self.inner = inner

    def export(self, batch):
        result = self.inner.export(batch)
        if result.name != "SUCCESS":
            print("export failed", file=sys.stderr)
            sys.exit(3)
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return True


exporter = OTLPLogExporter(endpoint=url, compression=Compression.Gzip, headers=headers, timeout=10) if mode == "protobuf" else JSONExporter()
provider = LoggerProvider(resource=Resource.create({"service.name": "checkout", "host.name": "web-7", "deployment.environment": "test"}))
provider.add_log_record_processor(SimpleLogRecordProcessor(Checked(exporter)))
log = logging.getLogger("shop.payments")
log.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=provider))
log.setLevel(logging.DEBUG)
log.propagate = False

with TracerProvider().get_tracer("shop").start_as_current_span("charge") as span:
    log.error("payment failed for order %s", 42, extra={"order_id": 42, "amount": 12.5, "retry": True, "card": {"brand": "visa"}})
    context = span.get_span_context()
    print(format(context.trace_id, "032x"), format(context.span_id, "016x"))
log.warning("slow checkout", extra={"latency_ms": 812, "severity": "an attribute named severity"})
log.info("checkout done")
provider.shutdown()
