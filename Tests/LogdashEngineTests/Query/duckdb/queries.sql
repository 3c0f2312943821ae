-- The DuckDB differential test's hand-written queries (issue 24), in the Trino dialect logdash
-- speaks; a line starting with "=> " is the previous query in DuckDB's dialect where the two
-- differ. Every query orders its rows completely. (The test adds generated aggregate queries.)

-- Joins: lookup joins (logs with a table that has each key once) and general ones.
SELECT l.service, count(*) FROM logs l JOIN (SELECT user, count(*) AS n FROM logs GROUP BY user) u ON l.user = u.user WHERE u.n > 1 GROUP BY l.service ORDER BY 1
SELECT count(*), count(u.n), sum(u.n) FROM logs l LEFT JOIN (SELECT user, count(*) AS n FROM logs WHERE status >= 500 GROUP BY user) u ON l.user = u.user
SELECT a.service, a.n, b.errors FROM (SELECT service, count(*) AS n FROM logs GROUP BY service) a JOIN (SELECT service, count_if(status >= 500) AS errors FROM logs GROUP BY service) b ON a.service = b.service ORDER BY 1
SELECT count(*) FROM logs a JOIN logs b ON a.host = b.host AND a.service = b.service WHERE a.status = 503 AND b.status = 500
SELECT count(*), max(b.latency_ms) FROM logs a JOIN logs b ON a.trace_id = b.trace_id WHERE a.status >= 500
SELECT a.level, b.service FROM (SELECT DISTINCT level FROM logs) a CROSS JOIN (SELECT DISTINCT service FROM logs) b ORDER BY 1, 2
SELECT service, count(*) FROM logs JOIN (SELECT service, max(bytes) AS mb FROM logs GROUP BY service) m USING (service) WHERE bytes = mb GROUP BY service ORDER BY 1
SELECT s.service, count(l.ts) FROM (SELECT ts, service FROM logs WHERE status = 503 AND method = 'PUT') l RIGHT JOIN (SELECT DISTINCT service FROM logs) s ON l.service = s.service GROUP BY s.service ORDER BY 1
SELECT a.host, b.host FROM (SELECT DISTINCT host FROM logs WHERE status = 503) a FULL JOIN (SELECT DISTINCT host FROM logs WHERE status = 429) b ON a.host = b.host ORDER BY 1 NULLS LAST, 2 NULLS LAST
SELECT count(*) FROM (SELECT DISTINCT status FROM logs) a JOIN (SELECT DISTINCT status FROM logs) b ON a.status < b.status
SELECT m.* FROM logs l JOIN (SELECT service, min(ts) AS first FROM logs GROUP BY service) m ON l.service = m.service AND l.ts = m.first ORDER BY 1
SELECT l.path, count(*) FROM logs l LEFT JOIN (SELECT path, avg(latency_ms) AS a FROM logs WHERE method = 'POST' GROUP BY path) p ON l.path = p.path WHERE p.a IS NULL OR l.latency_ms > p.a GROUP BY l.path ORDER BY 1
SELECT t.tier, count(*) FROM logs l JOIN (VALUES ('cart', 1), ('auth', 2), ('search', 3)) AS t(service, tier) ON l.service = t.service GROUP BY t.tier ORDER BY 1

-- Subqueries, uncorrelated and correlated.
SELECT count(*) FROM logs WHERE latency_ms > (SELECT avg(latency_ms) FROM logs)
SELECT count(*) FROM logs WHERE user IN (SELECT user FROM logs WHERE status = 503)
SELECT count(*) FROM logs WHERE bytes NOT IN (SELECT bytes FROM logs WHERE status = 503)
SELECT count(*) FROM logs WHERE EXISTS (SELECT 1 FROM logs WHERE status = 999)
SELECT service, count(*) FROM logs l WHERE latency_ms > (SELECT avg(latency_ms) FROM logs i WHERE i.service = l.service) GROUP BY service ORDER BY 1
SELECT service, count(*), sum(n) FROM (SELECT service, (SELECT count(*) FROM logs i WHERE i.host = l.host AND i.status >= 500) AS n FROM logs l WHERE l.status = 429) t GROUP BY service ORDER BY 1
SELECT count(*) FROM logs l WHERE EXISTS (SELECT 1 FROM logs i WHERE i.host = l.host AND i.level = 'error' AND i.service = 'payments')
SELECT count(*) FROM logs l WHERE NOT EXISTS (SELECT 1 FROM logs i WHERE i.host = l.host AND i.status = 503 AND i.method = l.method)
SELECT count(*) FROM logs l WHERE status IN (SELECT i.status FROM logs i WHERE i.host = l.host AND i.level = 'error')
SELECT count(*) FROM logs l WHERE bytes NOT IN (SELECT i.bytes FROM logs i WHERE i.host = l.host AND i.path = l.path AND i.level = 'error')
SELECT service FROM logs GROUP BY service HAVING count(*) > (SELECT count(*) / 8 FROM logs) ORDER BY 1

-- Set operations, grouping sets.
SELECT host FROM logs WHERE status = 503 INTERSECT SELECT host FROM logs WHERE status = 429 ORDER BY 1
SELECT host FROM logs WHERE status = 503 EXCEPT SELECT host FROM logs WHERE status = 429 ORDER BY 1
SELECT service, level FROM logs WHERE status = 503 UNION SELECT service, level FROM logs WHERE bytes > 9000 ORDER BY 1, 2
SELECT service, level, count(*) FROM logs GROUP BY ROLLUP (service, level) ORDER BY 1 NULLS LAST, 2 NULLS LAST
SELECT method, status >= 500, count(*) FROM logs GROUP BY CUBE (method, status >= 500) ORDER BY 1 NULLS LAST, 2 NULLS LAST

-- Window functions.
SELECT service, n, rank() OVER (ORDER BY n DESC) FROM (SELECT service, count(*) AS n FROM logs GROUP BY service) t ORDER BY 1
SELECT ts, status, row_number() OVER (PARTITION BY service ORDER BY ts) AS r FROM logs WHERE level = 'error' ORDER BY ts, r
SELECT ts, sum(bytes) OVER (ORDER BY ts ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) FROM logs WHERE service = 'cart' ORDER BY ts
SELECT ts, lag(status) OVER (ORDER BY ts), lead(status, 2) OVER (ORDER BY ts) FROM logs WHERE host = 'web-2' ORDER BY ts

-- Expressions and functions.
SELECT CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END AS k, count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT upper(service), lower(method), length(path), substr(path, 2, 4), service || '-' || method, strpos(path, 'a'), split_part(path, '/', 2) FROM logs ORDER BY ts LIMIT 30
SELECT replace(path, '/', '_'), starts_with(path, '/api'), reverse(host), lpad(CAST(status AS varchar), 5, '0') FROM logs ORDER BY ts LIMIT 30
SELECT regexp_extract(path, '[0-9]+'), count(*) FROM logs GROUP BY 1 ORDER BY 1 NULLS LAST
=> SELECT nullif(regexp_extract(path, '[0-9]+'), ''), count(*) FROM logs GROUP BY 1 ORDER BY 1 NULLS LAST
SELECT count(*) FROM logs WHERE regexp_like(path, '^/api/(cart|orders)')
=> SELECT count(*) FROM logs WHERE regexp_matches(path, '^/api/(cart|orders)')
SELECT status / 100, status % 7, bytes * 2 - 1, -status, abs(bytes - 500), round(latency_ms, 1), floor(latency_ms), ceil(latency_ms) FROM logs ORDER BY ts LIMIT 30
=> SELECT status // 100, status % 7, bytes * 2 - 1, -status, abs(bytes - 500), round(latency_ms, 1), floor(latency_ms), ceil(latency_ms) FROM logs ORDER BY ts LIMIT 30
SELECT coalesce(user, 'none'), nullif(status, 200), greatest(bytes, 100), least(bytes, 100) FROM logs ORDER BY ts LIMIT 30
SELECT date_trunc('hour', ts), count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT hour(ts), minute(ts), count(*) FROM logs GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 40
SELECT date_diff('second', min(ts), max(ts)) FROM logs
SELECT day_of_week(ts), count(*) FROM logs GROUP BY 1 ORDER BY 1
=> SELECT isodow(ts), count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT to_unixtime(ts), ts FROM logs ORDER BY ts LIMIT 5
=> SELECT epoch(ts), ts FROM logs ORDER BY ts LIMIT 5
SELECT CAST(status AS varchar) || 'x', CAST('42' AS bigint) + 1, CAST(latency_ms AS bigint) FROM logs ORDER BY ts LIMIT 20
SELECT count(*) FROM logs WHERE ts >= TIMESTAMP '2026-11-27 00:10:00' AND ts < TIMESTAMP '2026-11-27 00:20:00'
SELECT count(*), count(DISTINCT user), count(DISTINCT trace_id), approx_distinct(host) FROM logs
=> SELECT count(*), count(DISTINCT "user"), count(DISTINCT trace_id), count(DISTINCT host) FROM logs
SELECT service, stddev(latency_ms), variance(latency_ms), stddev_pop(latency_ms) FROM logs GROUP BY 1 ORDER BY 1
SELECT service, bool_and(status < 500), bool_or(status >= 500), min_by(path, latency_ms), max_by(path, latency_ms) FROM logs GROUP BY 1 ORDER BY 1
=> SELECT service, bool_and(status < 500), bool_or(status >= 500), arg_min(path, latency_ms), arg_max(path, latency_ms) FROM logs GROUP BY 1 ORDER BY 1

-- Arrays and UNNEST.
SELECT split(path, '/'), cardinality(split(path, '/')), element_at(split(path, '/'), -1) FROM logs ORDER BY ts LIMIT 20
=> SELECT string_split(path, '/'), len(string_split(path, '/')), string_split(path, '/')[-1] FROM logs ORDER BY ts LIMIT 20
SELECT part, count(*) AS n FROM logs CROSS JOIN UNNEST(split(path, '/')) AS t(part) WHERE part <> '' GROUP BY part ORDER BY n DESC, part
=> SELECT part, count(*) AS n FROM logs, unnest(string_split(path, '/')) AS t(part) WHERE part <> '' GROUP BY part ORDER BY n DESC, part
SELECT service, array_join(array_sort(array_distinct(array_agg(level))), ',') FROM logs GROUP BY 1 ORDER BY 1
=> SELECT service, array_to_string(list_sort(list_distinct(list(level))), ',') FROM logs GROUP BY 1 ORDER BY 1
SELECT contains(ARRAY['cart', 'auth'], service), count(*) FROM logs GROUP BY 1 ORDER BY 1
=> SELECT list_contains(['cart', 'auth'], service), count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT slice(ARRAY[1, 2, 3, 4, 5], 2, 3), ARRAY[10, 20, 30][2], sequence(1, 4)
=> SELECT [1, 2, 3, 4, 5][2:4], [10, 20, 30][2], range(1, 5)

-- Digests.
SELECT lower(to_hex(md5(to_utf8(user)))) AS h, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
=> SELECT md5("user") AS h, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
SELECT DISTINCT path, lower(to_hex(sha256(to_utf8(path)))) FROM logs ORDER BY 1
=> SELECT DISTINCT path, sha256(path) FROM logs ORDER BY 1

-- Ordered aggregation.
SELECT service, array_agg(status ORDER BY ts DESC) FROM logs WHERE level = 'error' GROUP BY 1 ORDER BY 1

-- Lambdas.
SELECT transform(split(path, '/'), p -> upper(p)), filter(split(path, '/'), p -> length(p) > 4) FROM logs ORDER BY ts LIMIT 20
=> SELECT list_transform(string_split(path, '/'), lambda p: upper(p)), list_filter(string_split(path, '/'), lambda p: length(p) > 4) FROM logs ORDER BY ts LIMIT 20
SELECT count(*) FROM logs WHERE any_match(split(path, '/'), p -> p = 'api')
=> SELECT count(*) FROM logs WHERE list_bool_or(list_transform(string_split(path, '/'), lambda p: p = 'api'))

-- Dates and zones.
SELECT CAST(ts AS date), count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT CAST(ts AS date) + INTERVAL '1' DAY, date_trunc('month', CAST(ts AS date)), count(*) FROM logs GROUP BY 1, 2 ORDER BY 1
=> SELECT CAST(CAST(ts AS date) + INTERVAL '1' DAY AS date), CAST(date_trunc('month', CAST(ts AS date)) AS date), count(*) FROM logs GROUP BY 1, 2 ORDER BY 1
SELECT count(*) FROM logs WHERE ts >= DATE '2026-11-27' AND CAST(ts AS date) < DATE '2026-11-28'
SELECT hour(ts AT TIME ZONE 'America/New_York') AS h, count(*) FROM logs GROUP BY 1 ORDER BY 1
=> SELECT hour(timezone('America/New_York', ts::TIMESTAMPTZ)) AS h, count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT CAST(ts AT TIME ZONE 'Asia/Kolkata' AS date) AS d, minute(ts AT TIME ZONE 'Asia/Kolkata') AS m, count(*) FROM logs GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 20
=> SELECT CAST(timezone('Asia/Kolkata', ts::TIMESTAMPTZ) AS date) AS d, minute(timezone('Asia/Kolkata', ts::TIMESTAMPTZ)) AS m, count(*) FROM logs GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 20
SELECT date_diff('day', DATE '2026-01-01', CAST(ts AS date)) AS n, count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT CAST(ts AS date) + INTERVAL '1' MONTH AS d, count(*) FROM logs GROUP BY 1 ORDER BY 1
=> SELECT CAST(CAST(ts AS date) + INTERVAL 1 MONTH AS date) AS d, count(*) FROM logs GROUP BY 1 ORDER BY 1
SELECT min(ts - INTERVAL '1-2' YEAR TO MONTH), max(ts + INTERVAL '1 02:30:00' DAY TO SECOND), count(*) FROM logs WHERE ts > TIMESTAMP '2026-12-27 00:00' - INTERVAL '1' MONTH
=> SELECT min(ts - INTERVAL 14 MONTH), max(ts + INTERVAL 1 DAY + INTERVAL 9000 SECOND), count(*) FROM logs WHERE ts > TIMESTAMP '2026-12-27 00:00' - INTERVAL 1 MONTH
