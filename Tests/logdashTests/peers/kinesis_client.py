"""Kinesis as its producers use it, with boto3 (against the endpoint in AWS_ENDPOINT_URL_KINESIS).

usage:
  kinesis_client.py create STREAM SHARDS
  kinesis_client.py put STREAM FROM TO [SHARD_INDEX,...]
      records {"ts", "level", "msg", "id": i} for i in FROM..TO-1, 500 a request; with shard
      indexes (of a stream made with `create`), routed to those shards only by explicit hash keys
  kinesis_client.py split STREAM SHARD_ID
      splits the shard at the middle of its hash key range
  kinesis_client.py cloudwatch STREAM
      what a CloudWatch Logs subscription filter puts: a gzip DATA_MESSAGE with three log
      events, a gzip CONTROL_MESSAGE; then one plain line
"""
import gzip
import json
import os
import sys

import boto3

kinesis = boto3.client("kinesis", endpoint_url=os.environ["AWS_ENDPOINT_URL_KINESIS"], region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
command, stream = sys.argv[1], sys.argv[2]

if command == "create":
    kinesis.create_stream(StreamName=stream, ShardCount=int(sys.argv[3]))
elif command == "put":
    first, end = int(sys.argv[3]), int(sys.argv[4])
    indexes = [int(x) for x in sys.argv[5].split(",")] if len(sys.argv) > 5 else None
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    for start in range(first, end, 500):
        records = []
        for i in range(start, min(end, start + 500)):
            data = json.dumps({"ts": "2026-12-07T10:00:00Z", "level": "info", "msg": f"record {i}", "id": i}).encode()
            record = {"Data": data, "PartitionKey": f"key-{i}"}
            if indexes:
                r = shards[indexes[i % len(indexes)]]["HashKeyRange"]
                record["ExplicitHashKey"] = str(int(r["StartingHashKey"]) + i % 1000)
            records.append(record)
        answer = kinesis.put_records(StreamName=stream, Records=records)
        assert answer.get("FailedRecordCount", 0) == 0, answer
elif command == "split":
    shard = next(s for s in kinesis.list_shards(StreamName=stream)["Shards"] if s["ShardId"] == sys.argv[3])
    low, high = int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(StreamName=stream, ShardToSplit=sys.argv[3], NewStartingHashKey=str((low + high) // 2))
elif command == "cloudwatch":
    data = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/checkout",
            "logStream": "2026/12/07/[$LATEST]abc", "subscriptionFilters": ["to-logdash"],
            "logEvents": [{"id": f"3800000000000000000000000000000000000000000000000{n}", "timestamp": 1796637600000 + n * 1000,
                           "message": f"START RequestId: r-{n}" if n == 0 else f"ERROR payment {n} failed"} for n in range(3)]}
    control = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1796637600000, "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}
    for payload in (data, control):
        kinesis.put_record(StreamName=stream, Data=gzip.compress(json.dumps(payload).encode()), PartitionKey="cwl")
    kinesis.put_record(StreamName=stream, Data=b"plain line from another producer", PartitionKey="other")
