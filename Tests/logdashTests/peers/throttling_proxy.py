"""Kinesis throttling, as a consumer over its shard's read limit meets it: a loopback proxy to a
Kinesis endpoint that answers every other GetRecords request (the first THROTTLED of them)
with 400 ProvisionedThroughputExceededException, as Kinesis does, and passes everything else on.

usage: throttling_proxy.py PORT UPSTREAM THROTTLED
GET /throttled answers how many it has refused.
"""
import http.client
import http.server
import sys
import urllib.parse

port, upstream, limit = int(sys.argv[1]), urllib.parse.urlparse(sys.argv[2]), int(sys.argv[3])
state = {"calls": 0, "throttled": 0}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/x-amz-json-1.1"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(200, str(state["throttled"]).encode(), "text/plain")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("X-Amz-Target", "").endswith(".GetRecords"):
            state["calls"] += 1
            if state["calls"] % 2 == 1 and state["throttled"] < limit:
                state["throttled"] += 1
                return self.answer(400, b'{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard"}')
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        connection.request("POST", self.path, body, {k: v for k, v in self.headers.items() if k.lower() != "host"})
        response = connection.getresponse()
        data = response.read()
        self.answer(response.status, data, response.getheader("Content-Type", "application/x-amz-json-1.1"))


http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
