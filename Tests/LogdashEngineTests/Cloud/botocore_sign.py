"""Signs each request of a JSON list with botocore's own SigV4 signer and prints, per request,
the headers it added (JSON, one list per line): the reference SigV4Tests compares logdash's
signer with, byte for byte. The clock is fixed to each request's `timestamp`."""
import datetime
import json
import sys
import types
from unittest import mock

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

for case in json.load(open(sys.argv[1])):
    request = AWSRequest(method=case["method"], url=case["url"], data=bytes(case["body"], "latin-1") if case["body"] else None)
    for name, value in case["headers"]:
        request.headers[name] = value
    if case["unsigned"]:
        request.context["payload_signing_enabled"] = False
        request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
    credentials = Credentials(case["access"], case["secret"], case["token"] or None)
    signer = (S3SigV4Auth if case["service"] == "s3" else SigV4Auth)(credentials, case["service"], case["region"])
    now = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        signer.add_auth(request)
    added = [[k, request.headers[k]] for k in ("X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256", "Authorization") if k in request.headers]
    print(json.dumps(added))
