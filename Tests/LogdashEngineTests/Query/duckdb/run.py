"""Runs the DuckDB side of the differential test: loads gen_logs.py JSON into a table `logs`
(the columns logdash infers, at the same types) and runs each query, printing one JSON line
per query: {"rows": [...]} or {"error": "..."}. Times print as logdash prints them."""
import datetime, decimal, json, sys
import duckdb

data, queries = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"""CREATE TABLE logs AS SELECT * FROM read_json('{data}', format = 'newline_delimited', columns = {{
    ts: 'TIMESTAMP', level: 'VARCHAR', service: 'VARCHAR', host: 'VARCHAR', method: 'VARCHAR', path: 'VARCHAR',
    status: 'BIGINT', latency_ms: 'DOUBLE', bytes: 'BIGINT', "user": 'VARCHAR', trace_id: 'VARCHAR', msg: 'VARCHAR'}})""")

def plain(v):
    if isinstance(v, datetime.datetime) and v.utcoffset():
        return v.isoformat(timespec='milliseconds')
    if isinstance(v, datetime.datetime):
        return v.strftime('%Y-%m-%dT%H:%M:%S.') + f'{v.microsecond // 1000:03d}Z'
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    return v

for sql in json.load(open(queries)):
    try:
        print(json.dumps({"rows": [[plain(v) for v in row] for row in con.execute(sql).fetchall()]}))
    except Exception as e:  # reported against the query, not a crash of the runner
        print(json.dumps({"error": str(e)}))
