// The built-in format definitions: the same text as the files in formats/ (written by
// formats/embed.py; a test keeps them equal).
enum BuiltinFormats {
    static let sources: [(name: String, yaml: String)] = [
        ("alternatives", #"""
# Debian's /var/log/alternatives.log (update-alternatives).
name: alternatives
title: Debian update-alternatives log
regex: '^(?<program>update-alternatives) (?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d): (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S'
samples:
  - line: 'update-alternatives 2025-06-24 14:36:53: run with --quiet --install /usr/bin/pager pager /usr/bin/less 77 --slave /usr/share/man/man1/pager.1.gz pager.1.gz /usr/share/man/man1/less.1.gz'
    expect: { ts: '2025-06-24T14:36:53.000Z', program: update-alternatives }
  - line: 'update-alternatives 2025-06-24 14:36:53: link group pager updated to point to /usr/bin/less'
    expect: { message: link group pager updated to point to /usr/bin/less }

"""#),
        ("apache-error", #"""
# Apache httpd's error log: 2.2 ([date] [level] message) and 2.4 ([date] [module:level] [pid …]).
name: apache-error
title: Apache httpd error log (2.2 and 2.4)
patterns:
  - '^\[(?<ts>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4})\] \[(?:(?<module>[\w-]+):)?(?<level>[a-z]+\d?)\] (?:\[pid (?<pid>\d+)(?::tid (?<tid>\d+))?\] )?(?:\[client (?<client>[^\]]+)\] )?(?<message>.*)$'
timestamp_format: ['%a %b %d %H:%M:%S %Y', '%a %b %d %H:%M:%S.%f %Y']
level_map: { emerg: fatal, alert: critical, crit: critical, trace1: trace, trace2: trace, trace3: trace, trace4: trace, trace5: trace, trace6: trace, trace7: trace, trace8: trace }
fields: { pid: int, tid: int }
samples:
  - line: '[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties'
    expect: { ts: '2005-12-04T04:47:44.000Z', level: notice, message: workerEnv.init() ok /etc/httpd/conf/workers2.properties }
  - line: '[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6'
    expect: { level: error }
  - line: '[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:52130] File does not exist: /usr/local/apache2/htdocs/favicon.ico'
    expect: { ts: '2000-10-11T14:32:52.123456Z', level: error, module: core, pid: '35708', client: '72.15.99.187:52130' }

"""#),
        ("apache-vhost", #"""
# Apache's vhost_combined (and nginx with $host first): vhost:port, then the combined line.
name: apache-vhost
title: Apache vhost_combined access log
regex: '^(?<vhost>[\w.-]+(?::\d+)?) (?<ip>\S+) (?<ident>\S+) (?<user>\S+) \[(?<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "(?<method>[A-Z]+) (?<path>\S+) (?<protocol>[^"]+)" (?<status>\d{3}) (?<bytes>\d+|-) "(?<referer>[^"]*)" "(?<user_agent>[^"]*)"$'
timestamp_format: '%d/%b/%Y:%H:%M:%S %z'
fields: { status: int, bytes: int }
samples:
  - line: 'shop.example.com:443 10.0.0.7 - - [27/Nov/2026:14:00:00 +0000] "GET /cart HTTP/1.1" 200 612 "-" "curl/8.0"'
    expect: { ts: '2026-11-27T14:00:00.000Z', vhost: 'shop.example.com:443', status: '200', path: /cart }

"""#),
        ("apt-history", #"""
# apt's /var/log/apt/history.log: one record per transaction, from Start-Date to End-Date (the
# lines between — Commandline, Install, Upgrade … — are part of its message).
name: apt-history
title: apt history log (/var/log/apt/history.log)
regex: '^Start-Date: (?<ts>\d{4}-\d\d-\d\d\s+\d\d:\d\d:\d\d)$'
timestamp_format: '%Y-%m-%d %H:%M:%S'
record_start: '^Start-Date: '
samples:
  - line: 'Start-Date: 2025-06-24  14:36:25'
    expect: { ts: '2025-06-24T14:36:25.000Z' }

"""#),
        ("apt-term", #"""
# apt's /var/log/apt/term.log: the terminal output of each run, from "Log started" to "Log ended".
name: apt-term
title: apt terminal log (/var/log/apt/term.log)
regex: '^Log started: (?<ts>\d{4}-\d\d-\d\d\s+\d\d:\d\d:\d\d)$'
timestamp_format: '%Y-%m-%d %H:%M:%S'
record_start: '^Log started: '
samples:
  - line: 'Log started: 2025-06-24  14:36:25'
    expect: { ts: '2025-06-24T14:36:25.000Z' }

"""#),
        ("aws-alb", #"""
# AWS Application Load Balancer access logs (the first nineteen fields named).
name: aws-alb
title: AWS Application Load Balancer access log
regex: '^(?<type>http|https|h2|grpcs|ws|wss) (?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) (?<elb>\S+) (?<client>[^\s:]+):(?<client_port>\d+) (?<target>\S+) (?<request_processing_time>[-\d.]+) (?<target_processing_time>[-\d.]+) (?<response_processing_time>[-\d.]+) (?<status>\d{3}|-) (?<target_status>\d{3}|-) (?<received_bytes>\d+) (?<sent_bytes>\d+) "(?<request>[^"]*)" "(?<user_agent>[^"]*)" (?<ssl_cipher>\S+) (?<ssl_protocol>\S+) (?<target_group_arn>\S+) "(?<trace_id>[^"]*)"(?<rest>.*)$'
fields: { client_port: int, status: int, target_status: int, received_bytes: int, sent_bytes: int, request_processing_time: double, target_processing_time: double, response_processing_time: double }
samples:
  - line: 'https 2026-11-27T14:00:00.123456Z app/my-lb/50dc6c495c0c9188 10.0.0.7:51234 10.0.1.9:80 0.000 0.001 0.000 200 200 34 366 "GET https://shop.example.com:443/ HTTP/1.1" "curl/8.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "shop.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678" 0 2026-11-27T14:00:00.120000Z "forward" "-" "-" "10.0.1.9:80" "200" "-" "-"'
    expect: { ts: '2026-11-27T14:00:00.123456Z', type: https, client: 10.0.0.7, status: '200', sent_bytes: '366', request: 'GET https://shop.example.com:443/ HTTP/1.1' }

"""#),
        ("aws-elb", #"""
# AWS Classic Load Balancer access logs.
name: aws-elb
title: AWS Classic Load Balancer access log
regex: '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) (?<elb>\S+) (?<client>[^\s:]+):(?<client_port>\d+) (?<backend>\S+) (?<request_processing_time>[-\d.]+) (?<backend_processing_time>[-\d.]+) (?<response_processing_time>[-\d.]+) (?<status>\d{3}|-) (?<backend_status>\d{1,3}|-) (?<received_bytes>\d+) (?<sent_bytes>\d+) "(?<request>[^"]*)" "(?<user_agent>[^"]*)" (?<ssl_cipher>\S+) (?<ssl_protocol>\S+)$'
fields: { client_port: int, status: int, backend_status: int, received_bytes: int, sent_bytes: int }
samples:
  - line: '2026-11-27T14:00:00.123456Z my-lb 10.0.0.7:51234 10.0.1.9:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/8.0" - -'
    expect: { ts: '2026-11-27T14:00:00.123456Z', elb: my-lb, status: '200', sent_bytes: '29' }

"""#),
        ("bgl", #"""
# Blue Gene/L RAS logs (and other HPC RAS logs of the same layout): alert flag, epoch seconds,
# date, node, full timestamp, node again, type, component, level, message.
name: bgl
title: Blue Gene/L and HPC RAS logs
regex: '^(?<alert>\S+) (?<epoch>\d{9,10}) (?<date>\d{4}\.\d\d\.\d\d) (?<node>\S+) (?<ts>\d{4}-\d\d-\d\d-\d\d\.\d\d\.\d\d\.\d{6}) (?<location>\S+) (?<type>[A-Z]+) (?<component>[A-Z_]+) (?<level>[A-Z]+) (?<message>.*)$'
timestamp_format: '%Y-%m-%d-%H.%M.%S.%f'
fields: { epoch: int, date: string }
level_map: { SEVERE: error, FAILURE: critical }
samples:
  - line: '- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected'
    expect: { ts: '2005-06-03T15:42:50.675872Z', level: info, node: 'R02-M1-N0-C:J12-U11', type: RAS, component: KERNEL, alert: '-', message: instruction cache parity error corrected }
  - line: 'KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt'
    expect: { level: fatal, alert: KERNDTLB }

"""#),
        ("cassandra", #"""
# Apache Cassandra's system.log: LEVEL [thread] date time file:line - message.
name: cassandra
title: Apache Cassandra system log
regex: '^(?<level>[A-Z]+)\s+\[(?<thread>[^\]]+)\] (?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?<file>[\w.$]+):(?<line>\d+) - (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'
fields: { line: int }
samples:
  - line: 'INFO  [main] 2026-11-27 14:00:00,123 StorageService.java:1234 - Node /10.0.0.1 state jump to NORMAL'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, thread: main, file: StorageService.java, line: '1234' }
  - line: 'WARN  [GossipTasks:1] 2026-11-27 14:00:05,000 FailureDetector.java:288 - Not marking nodes down due to local pause'
    expect: { level: warn, thread: 'GossipTasks:1' }

"""#),
        ("cloud-init", #"""
# cloud-init's /var/log/cloud-init.log: time - module[LEVEL]: message.
name: cloud-init
title: cloud-init log
regex: '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (?<module>[\w.-]+)\[(?<level>[A-Z]+)\]: (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'
samples:
  - line: '2026-11-27 14:00:00,123 - util.py[DEBUG]: Reading from /proc/uptime (quiet=False)'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: debug, module: util.py }
  - line: '2026-11-27 14:00:01,500 - url_helper.py[WARNING]: Calling ''http://169.254.169.254/latest/api/token'' failed'
    expect: { level: warn }

"""#),
        ("cloudfront", #"""
# Amazon CloudFront standard logs (W3C, tab-separated; the first fifteen fields named).
name: cloudfront
title: Amazon CloudFront access log
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d)\t(?<edge_location>\S+)\t(?<bytes>\d+)\t(?<client_ip>\S+)\t(?<method>[A-Z]+)\t(?<host>\S+)\t(?<path>\S+)\t(?<status>\d{3})\t(?<referer>\S+)\t(?<user_agent>\S+)\t(?<query>\S+)\t(?<cookie>\S+)\t(?<edge_result>\S+)\t(?<request_id>\S+)\t(?<host_header>\S+)(?:\t(?<rest>.*))?$'
  - '^#(?<directive>Version|Fields): (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S'
fields: { bytes: int, status: int }
samples:
  - line: "2026-11-27\t14:00:00\tLAX1-C1\t612\t10.0.0.7\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tcurl/8.0\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23"
    expect: { ts: '2026-11-27T14:00:00.000Z', edge_location: LAX1-C1, status: '200', edge_result: Hit, path: /index.html }

"""#),
        ("cloudtrail", #"""
# AWS CloudTrail events one JSON object a line, as CloudWatch Logs, EventBridge and most
# shippers deliver them (`jq -c '.Records[]'` turns a CloudTrail S3 file into these): a JSON
# definition names its keys instead of patterns.
name: cloudtrail
title: AWS CloudTrail events (JSON lines)
json: true
timestamp_field: eventTime
level_field: errorCode
message_field: eventName
host_field: sourceIPAddress
level_map: { AccessDenied: error, Client.UnauthorizedOperation: error, UnauthorizedOperation: error, ThrottlingException: warn, NoSuchKey: warn }
samples:
  - line: '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"ann"},"eventTime":"2026-11-27T14:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","errorCode":"AccessDenied","errorMessage":"Access Denied"}'
    expect: { ts: '2026-11-27T14:00:00.000Z', level: error, message: GetObject, host: 203.0.113.9, userIdentity.userName: ann, awsRegion: eu-west-1 }
  - line: '{"eventVersion":"1.08","eventTime":"2026-11-27T14:00:01Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"ec2.amazonaws.com"}'
    expect: { ts: '2026-11-27T14:00:01.000Z', level: 'null', message: RunInstances, eventSource: ec2.amazonaws.com }

"""#),
        ("cri", #"""
# Kubernetes CRI container logs (/var/log/pods/…, /var/log/containers/…): RFC 3339 nanosecond
# time, stream, P(artial) or F(ull) tag, the line — parsed again by its own format; a P line is
# joined to the lines that end it, and a stack trace's lines to the record they continue.
name: cri
title: Kubernetes CRI container log (time stream P|F line)
regex: '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:\d\d)) (?<stream>stdout|stderr) (?<tag>[PF]) (?<message>.*)$'
payload: true
partial_tag: P
samples:
  - line: '2026-11-27T14:00:00.123456789Z stdout F GET /healthz 200 1ms'
    expect: { ts: '2026-11-27T14:00:00.123456789Z', stream: stdout, tag: F, message: GET /healthz 200 1ms }
  - line: '2026-11-27T14:00:00.223456789+00:00 stderr F panic: runtime error'
    expect: { stream: stderr }

"""#),
        ("dmesg", #"""
# The kernel's ring buffer (dmesg, and kern.log without syslog's header): seconds since boot in
# brackets; `dmesg -T` prints the wall-clock time instead.
name: dmesg
title: Linux kernel messages (dmesg, dmesg -T, -r, -x)
level_map: { '0': fatal, '1': critical, '2': critical, '3': error, '4': warn, '5': notice, '6': info, '7': debug }
patterns:
  - '^\[(?<ts>[A-Z][a-z]{2} [A-Z][a-z]{2}\s+\d{1,2} \d\d:\d\d:\d\d \d{4})\] (?<message>.*)$'
  - '^\[\s*(?<uptime>\d+\.\d{6})\] (?:(?<subsystem>[\w.-]+): )?(?<message>.*)$'
  - '^<(?<level>\d)>\[\s*(?<uptime>\d+\.\d{6})\] (?:(?<subsystem>[\w.-]+): )?(?<message>.*)$'
  - '^(?<facility>kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])\s*:(?<level>emerg|alert|crit|err|warn|notice|info|debug)\s*: \[\s*(?<uptime>\d+\.\d{6})\] (?:(?<subsystem>[\w.-]+): )?(?<message>.*)$'
timestamp_format: '%a %b %d %H:%M:%S %Y'
fields: { uptime: double }
samples:
  - line: '[    0.000000] Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)'
    expect: { uptime: '0' }
  - line: '[   12.345678] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex'
    expect: { uptime: '12.345678', subsystem: e1000e }
  - line: '[Fri Nov 27 14:00:00 2026] usb 1-1: new high-speed USB device number 2 using xhci_hcd'
    expect: { ts: '2026-11-27T14:00:00.000Z' }

"""#),
        ("dnf", #"""
# dnf / yum on Fedora and RHEL (/var/log/dnf.log, dnf.rpm.log): time LEVEL message.
name: dnf
title: dnf / yum log (Fedora, RHEL)
regex: '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (?<level>DDEBUG|DEBUG|INFO|WARNING|ERROR|CRITICAL|SUBDEBUG) (?<message>.*)$'
level_map: { DDEBUG: trace, SUBDEBUG: debug }
samples:
  - line: '2026-11-27T14:00:00+0000 INFO --- logging initialized ---'
    expect: { ts: '2026-11-27T14:00:00.000Z', level: info }
  - line: '2026-11-27T14:00:01+0000 SUBDEBUG Upgrade: openssl-1:3.0.7-25.el9.x86_64'
    expect: { level: debug }

"""#),
        ("docker-compose", #"""
# docker compose logs (and `docker compose up`): the service's name, a bar, then its line —
# parsed again by its own format (with `docker compose logs -t`, the time compose adds).
name: docker-compose
title: docker compose output (service-1  | line)
regex: '^(?<service>[A-Za-z0-9][\w.-]*?(?:[-_]\d+)?)\s+\| (?<message>.*)$'
payload: true
samples:
  - line: 'web-1  | 172.18.0.1 - - [27/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 615'
    expect: { service: web-1 }
  - line: 'db-1   | 2026-11-27T14:00:00.123456Z ready for connections'
    expect: { service: db-1, message: 2026-11-27T14:00:00.123456Z ready for connections }

"""#),
        ("dpkg", #"""
# Debian's /var/log/dpkg.log: actions, package states and conffile decisions.
name: dpkg
title: Debian dpkg log (/var/log/dpkg.log)
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<action>install|upgrade|remove|purge|configure|trigproc) (?<package>\S+) (?<old_version>\S+) (?<version>\S+)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<action>status) (?<status>\S+) (?<package>\S+) (?<version>\S+)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<action>startup|conffile) (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S'
fields: { version: string, old_version: string }
samples:
  - line: '2025-06-24 14:36:25 upgrade libsystemd0:amd64 252.36-1~deb12u1 252.38-1~deb12u1'
    expect: { ts: '2025-06-24T14:36:25.000Z', action: upgrade, package: 'libsystemd0:amd64', old_version: 252.36-1~deb12u1, version: 252.38-1~deb12u1 }
  - line: '2025-06-24 14:36:25 status triggers-pending libc-bin:amd64 2.36-9+deb12u10'
    expect: { action: status, status: triggers-pending, package: 'libc-bin:amd64' }
  - line: '2025-06-24 14:36:25 startup archives unpack'
    expect: { action: startup, message: archives unpack }

"""#),
        ("elasticsearch", #"""
# Elasticsearch / OpenSearch plain-text server log: [time][LEVEL][logger] [node] message.
name: elasticsearch
title: Elasticsearch / OpenSearch server log
regex: '^\[(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d{3}(?:Z|[+-]\d\d:?\d\d)?)\]\[(?<level>[A-Z]+)\s*\]\[(?<logger>[^\]]+?)\s*\] \[(?<node>[^\]]*)\] (?<message>.*)$'
timestamp_format: ['%Y-%m-%dT%H:%M:%S,%f', '%Y-%m-%dT%H:%M:%S,%f%z']
samples:
  - line: '[2026-11-27T14:00:00,123][INFO ][o.e.n.Node               ] [es-1] started'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, logger: o.e.n.Node, node: es-1, message: started }
  - line: '[2026-11-27T14:00:01,500][WARN ][o.e.c.r.a.DiskThresholdMonitor] [es-1] high disk watermark [90%] exceeded'
    expect: { level: warn, logger: o.e.c.r.a.DiskThresholdMonitor }

"""#),
        ("envoy", #"""
# Envoy's default access log format.
name: envoy
title: Envoy proxy access log (default format)
regex: '^\[(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\] "(?<method>[A-Z]+) (?<path>\S+) (?<protocol>[^"]+)" (?<status>\d{3}) (?<flags>\S+) (?<bytes_received>\d+) (?<bytes_sent>\d+) (?<duration_ms>\d+) (?<upstream_ms>\S+) "(?<forwarded_for>[^"]*)" "(?<user_agent>[^"]*)" "(?<request_id>[^"]*)" "(?<authority>[^"]*)" "(?<upstream_host>[^"]*)"$'
fields: { status: int, bytes_received: int, bytes_sent: int, duration_ms: int }
samples:
  - line: '[2026-11-27T14:00:00.123Z] "GET /api/items HTTP/1.1" 200 - 0 612 3 2 "-" "curl/8.0" "7c1b0d36-0f2a-4a9b-9c7e-1d2e3f4a5b6c" "shop.example.com" "10.0.0.9:8080"'
    expect: { ts: '2026-11-27T14:00:00.123Z', method: GET, status: '200', bytes_sent: '612', duration_ms: '3', upstream_host: '10.0.0.9:8080' }

"""#),
        ("exim", #"""
# Exim's mainlog: date time [pid] message-id flag address … (or a line without a message id).
name: exim
title: Exim mainlog
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})?) (?:\[(?<pid>\d+)\] )?(?<message_id>\w{6}-\w{6,11}-\w{2,4}) (?:(?<flag><=|=>|->|>>|\*>|\*\*|==) )?(?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})?) (?:\[(?<pid>\d+)\] )?(?<message>(?:Start|End) queue run: .*|exim \S+ daemon started: .*)$'
timestamp_format: ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S %z']
fields: { pid: int }
samples:
  - line: '2026-11-27 14:00:00 1vN8Zq-000ABC-1x <= alice@example.com H=mail.example.com [10.0.0.7] P=esmtps S=2048'
    expect: { ts: '2026-11-27T14:00:00.000Z', message_id: 1vN8Zq-000ABC-1x, flag: '<=' }
  - line: '2026-11-27 14:00:01 Start queue run: pid=4242'
    expect: { message: 'Start queue run: pid=4242' }

"""#),
        ("fail2ban", #"""
# fail2ban's log: time logger [pid]: LEVEL [jail] message.
name: fail2ban
title: fail2ban log
regex: '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?<logger>[\w.]+)\s+\[(?<pid>\d+)\]: (?<level>[A-Z]+)\s+(?:\[(?<jail>[^\]]+)\] )?(?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'
fields: { pid: int }
samples:
  - line: '2026-11-27 14:00:00,123 fail2ban.actions        [4242]: NOTICE  [sshd] Ban 10.0.0.7'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: notice, logger: fail2ban.actions, jail: sshd, message: Ban 10.0.0.7 }

"""#),
        ("glog", #"""
# Google glog and Kubernetes klog: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg.
name: glog
title: Go glog / Kubernetes klog (I1127 14:00:00.123456 1234 file.go:42] msg)
regex: '^(?<level>[IWEF])(?<ts>\d{4} \d\d:\d\d:\d\d\.\d{6})\s+(?<tid>\d+) (?<file>[^:\]\s]+):(?<line>\d+)\] (?<message>.*)$'
timestamp_format: '%m%d %H:%M:%S.%f'
level_map: { I: info, W: warn, E: error, F: fatal }
fields: { tid: int, line: int }
samples:
  - line: 'I1127 14:00:00.123456    1234 controller.go:42] Starting controller'
    expect: { ts: '2026-11-27T14:00:00.123456Z', level: info, tid: '1234', file: controller.go, line: '42', message: Starting controller }
  - line: 'E1126 09:15:01.000001 7 reflector.go:138] Failed to watch *v1.Pod: unknown'
    expect: { level: error }

"""#),
        ("gunicorn", #"""
# gunicorn's error log: [time zone] [pid] [LEVEL] message.
name: gunicorn
title: gunicorn server log
regex: '^\[(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})\] \[(?<pid>\d+)\] \[(?<level>[A-Z]+)\] (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S %z'
fields: { pid: int }
samples:
  - line: '[2026-11-27 14:00:00 +0000] [4242] [INFO] Starting gunicorn 21.2.0'
    expect: { ts: '2026-11-27T14:00:00.000Z', level: info, pid: '4242' }
  - line: '[2026-11-27 15:00:05 +0100] [4250] [CRITICAL] WORKER TIMEOUT (pid:4251)'
    expect: { ts: '2026-11-27T14:00:05.000Z', level: critical }

"""#),
        ("haproxy", #"""
# HAProxy's HTTP log (option httplog) after its syslog header, and its TCP log.
name: haproxy
title: HAProxy HTTP and TCP logs
patterns:
  - '^(?:(?<syslog_time>[A-Z][a-z]{2}\s+\d{1,2} \d\d:\d\d:\d\d) (?<host>\S+) )?haproxy\[(?<pid>\d+)\]: (?<client>[\d.:a-f]+):(?<client_port>\d+) \[(?<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (?<frontend>\S+) (?<backend>[^/\s]+)/(?<server>\S+) (?<timers>[\d/+-]+) (?<status>\d{3}) (?<bytes>\d+) \S+ \S+ (?<termination>\S{4}) \S+ \S+ (?:\{(?<request_headers>[^}]*)\} )?(?:\{(?<response_headers>[^}]*)\} )?"(?<request>[^"]*)"$'
  - '^(?:(?<syslog_time>[A-Z][a-z]{2}\s+\d{1,2} \d\d:\d\d:\d\d) (?<host>\S+) )?haproxy\[(?<pid>\d+)\]: (?<client>[\d.:a-f]+):(?<client_port>\d+) \[(?<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (?<frontend>\S+) (?<backend>[^/\s]+)/(?<server>\S+) (?<timers>[\d/+-]+) (?<bytes>\d+) (?<termination>\S\S) (?<message>.*)$'
timestamp_format: '%d/%b/%Y:%H:%M:%S.%f'
fields: { pid: int, client_port: int, status: int, bytes: int }
samples:
  - line: 'Nov 27 14:00:00 lb-1 haproxy[1234]: 10.0.0.7:51234 [27/Nov/2026:14:00:00.123] www~ app/web-2 0/0/1/12/13 200 512 - - ---- 3/3/0/0/0 0/0 "GET /api/items HTTP/1.1"'
    expect: { ts: '2026-11-27T14:00:00.123Z', status: '200', backend: app, server: web-2, request: 'GET /api/items HTTP/1.1' }
  - line: 'haproxy[1234]: 10.0.0.7:51300 [27/Nov/2026:14:00:01.000] db-in db/pg-1 1/0/5012 2048 -- 1/1/1/1/0 0/0'
    expect: { backend: db, server: pg-1, bytes: '2048' }

"""#),
        ("hclog", #"""
# HashiCorp tools (Consul, Nomad, Vault, Terraform, Packer) through hclog: time [LEVEL]  name: message.
name: hclog
title: HashiCorp hclog (Consul, Nomad, Vault …)
regex: '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:?\d\d)) \[(?<level>TRACE|DEBUG|INFO|WARN|ERROR)\]\s+(?:(?<name>[\w.-]+): )?(?<message>.*)$'
samples:
  - line: '2026-11-27T14:00:00.123Z [INFO]  agent: Synced node info'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, name: agent, message: Synced node info }
  - line: '2026-11-27T14:00:01.000+0000 [ERROR] nomad.client: failed to register node: error="rpc error"'
    expect: { level: error, name: nomad.client }

"""#),
        ("hdfs", #"""
# Hadoop HDFS DataNode/NameNode logs: yyMMdd HHmmss, the thread id, the level, the class.
name: hdfs
title: Hadoop HDFS (yyMMdd HHmmss pid LEVEL class)
regex: '^(?<ts>\d{6} \d{6}) (?<pid>\d+) (?<level>[A-Z]+) (?<logger>[^\s:]+): (?<message>.*)$'
timestamp_format: '%y%m%d %H%M%S'
fields: { pid: int }
samples:
  - line: '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating'
    expect: { ts: '2008-11-09T20:36:15.000Z', level: info, pid: '148', logger: dfs.DataNode$PacketResponder }
  - line: '081109 204106 329 WARN dfs.DataNode$DataXceiver: 10.251.71.16:50010:Got exception while serving blk_-7166 to /10.251.71.16:'
    expect: { level: warn, pid: '329' }

"""#),
        ("hpc", #"""
# HPC cluster event logs (LANL): id, node, component, state, epoch seconds, flag, message.
name: hpc
title: HPC cluster event logs (LANL)
regex: '^(?<id>\d+) (?<node>\S+) (?<component>\S+) (?<state>\S+) (?<ts>\d{10}) (?<flag>\d+) (?<message>.*)$'
timestamp_format: '%s'
fields: { id: int, flag: int }
samples:
  - line: '460 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component "alt0" is in the unavailable state (HWID=1785)'
    expect: { ts: '2004-02-26T14:12:22.000Z', node: node-246, component: unix.hw, state: state_change.unavailable }

"""#),
        ("iis", #"""
# Microsoft IIS's W3C extended log in its default field order (header lines, #Fields and the
# like, are kept as records of their own).
name: iis
title: Microsoft IIS W3C extended log (default fields)
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<server_ip>\S+) (?<method>[A-Z]+) (?<path>\S+) (?<query>\S+) (?<port>\d+) (?<user>\S+) (?<client_ip>\S+) (?<user_agent>\S+) (?<referer>\S+) (?<status>\d{3}) (?<substatus>\d+) (?<win32_status>\d+) (?<time_taken_ms>\d+)$'
  - '^#(?<directive>Software|Version|Date|Fields): (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S'
fields: { port: int, status: int, substatus: int, win32_status: int, time_taken_ms: int }
samples:
  - line: '2026-11-27 14:00:00 10.0.0.2 GET /default.htm - 80 - 10.0.0.7 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15'
    expect: { ts: '2026-11-27T14:00:00.000Z', method: GET, path: /default.htm, status: '200', time_taken_ms: '15', client_ip: 10.0.0.7 }
  - line: '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'
    expect: { directive: Fields }

"""#),
        ("jenkins", #"""
# Jenkins controller log (java.util.logging through Jenkins' formatter): time [id=thread] LEVEL class#method: message.
name: jenkins
title: Jenkins controller log
regex: '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d{4}) \[id=(?<thread_id>\d+)\]\t(?<level>SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST)\t(?<logger>[^\s:]+): (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S.%f%z'
fields: { thread_id: int }
samples:
  - line: "2026-11-27 14:00:00.123+0000 [id=42]\tINFO\thudson.lifecycle.Lifecycle#onReady: Jenkins is fully up and running"
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, thread_id: '42', logger: 'hudson.lifecycle.Lifecycle#onReady' }
  - line: "2026-11-27 14:00:05.000+0000 [id=77]\tSEVERE\thudson.model.Executor#finish1: Executor threw an exception"
    expect: { level: error }

"""#),
        ("kafka", #"""
# Apache Kafka's server.log (and other log4j "[date] LEVEL message (logger)" layouts).
name: kafka
title: Apache Kafka server log ([yyyy-MM-dd HH:mm:ss,SSS] LEVEL message (logger))
regex: '^\[(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] (?<level>[A-Z]+) (?<message>.*?)(?: \((?<logger>[\w.$]+)\))?$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'
samples:
  - line: '[2026-11-27 14:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, logger: kafka.server.KafkaServer, message: '[KafkaServer id=1] started' }
  - line: '[2026-11-27 14:00:02,000] WARN [ReplicaFetcher replicaId=1, leaderId=2, fetcherId=0] Connection to node 2 could not be established. (org.apache.kafka.clients.NetworkClient)'
    expect: { level: warn, logger: org.apache.kafka.clients.NetworkClient }

"""#),
        ("laravel", #"""
# Laravel / Monolog's line formatter: [time] channel.LEVEL: message context extra.
name: laravel
title: PHP Laravel / Monolog
regex: '^\[(?<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d)?)\] (?<channel>[\w-]+)\.(?<level>DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|EMERGENCY): (?<message>.*)$'
timestamp_format: ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%d %H:%M:%S.%f']
level_map: { ALERT: critical, EMERGENCY: fatal }
samples:
  - line: '[2026-11-27 14:00:00] production.ERROR: SQLSTATE[HY000] [2002] Connection refused {"exception":"[object] (PDOException(code: 2002))"}'
    expect: { ts: '2026-11-27T14:00:00.000Z', level: error, channel: production }
  - line: '[2026-11-27T14:00:00.123456+00:00] app.INFO: user logged in [] []'
    expect: { level: info, channel: app }

"""#),
        ("level-prefix", #"""
# Lines that start with their level and carry no time: uvicorn (`INFO:     …`), ASP.NET Core's
# console (`info: Category[0]`, `fail:`, `crit:`), Python's logging.basicConfig default
# (`WARNING:root:message`), logrus on a terminal (`WARN[0000] …`), java.util.logging's second
# line (`SEVERE: …`). Their time is the arrival time.
name: level-prefix
title: Lines that start with their level (uvicorn, ASP.NET console, Python basicConfig, logrus TTY)
regex: '^(?<level>TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL|PANIC|SEVERE|FINE|FINER|FINEST|CONFIG|trce|dbug|info|warn|fail|crit)(?:\[(?<elapsed>\d+)\]|:(?<logger>[A-Za-z_][\w.]*):|:)\s*(?<message>.*)$'
level_map: { fail: error, crit: critical, trce: trace, dbug: debug, SEVERE: error }
fields: { elapsed: int }
samples:
  - line: 'INFO:     10.0.0.7:51234 - "GET /health HTTP/1.1" 200 OK'
    expect: { level: info, message: '10.0.0.7:51234 - "GET /health HTTP/1.1" 200 OK' }
  - line: 'fail: Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware[1]'
    expect: { level: error }
  - line: 'WARNING:root:disk almost full'
    expect: { level: warn, logger: root, message: disk almost full }
  - line: 'WARN[0000] The group''s number increased tremendously!  number=122'
    expect: { level: warn, elapsed: '0' }
  - line: 'SEVERE: Servlet.service() for servlet [dispatcher] threw exception'
    expect: { level: error }

"""#),
        ("linux-audit", #"""
# Linux audit (auditd, /var/log/audit/audit.log): type=… msg=audit(epoch.ms:serial): fields.
name: linux-audit
title: Linux audit log (auditd)
regex: '^(?:node=(?<node>\S+) )?type=(?<type>\S+) msg=audit\((?<ts>\d+\.\d+):(?<serial>\d+)\):\s*(?<message>.*)$'
timestamp_format: '%s.%f'
fields: { serial: int }
samples:
  - line: 'type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 a0=7fffd19c5592 a1=0 ppid=2686 pid=3538 auid=500 uid=500 comm="cat" exe="/bin/cat"'
    expect: { ts: '2013-03-28T14:36:03.243Z', type: SYSCALL, serial: '24287' }
  - line: 'node=web-1 type=USER_LOGIN msg=audit(1795780800.001:9): pid=1 uid=0 res=success'
    expect: { node: web-1, type: USER_LOGIN }

"""#),
        ("logcat", #"""
# Android logcat: threadtime (the default), time, and brief formats.
name: logcat
title: Android logcat (threadtime, time, brief, year, epoch)
patterns:
  - '^(?<ts>\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\s+(?<pid>\d+)\s+(?<tid>\d+) (?<level>[VDIWEFA]) (?<tag>[^:]*?)\s*: (?<message>.*)$'
  - '^(?<ts>\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (?<level>[VDIWEFA])/(?<tag>[^(]*?)\(\s*(?<pid>\d+)\): (?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\s+(?<pid>\d+)\s+(?<tid>\d+) (?<level>[VDIWEFA]) (?<tag>[^:]*?)\s*: (?<message>.*)$'
  - '^(?<ts>\d{9,10}\.\d{3})\s+(?<pid>\d+)\s+(?<tid>\d+) (?<level>[VDIWEFA]) (?<tag>[^:]*?)\s*: (?<message>.*)$'
  - '^(?<level>[VDIWEFA])/(?<tag>[^(]*?)\(\s*(?<pid>\d+)\): (?<message>.*)$'
timestamp_format: ['%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S.%f', '%s.%f']
level_map: { V: trace, D: debug, I: info, W: warn, E: error, F: fatal, A: fatal }
fields: { pid: int, tid: int }
samples:
  - line: '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992}}'
    expect: { ts: '2026-03-17T16:13:38.811Z', level: debug, pid: '1702', tid: '2395', tag: WindowManager }
  - line: '03-17 16:13:38.839  1702  2395 E ActivityManager: ANR in com.example.app'
    expect: { level: error, tag: ActivityManager, message: ANR in com.example.app }
  - line: '03-17 16:13:38.811 W/InputDispatcher( 1702): channel is unrecoverably broken'
    expect: { level: warn, tag: InputDispatcher, pid: '1702' }
  - line: 'I/ActivityManager(  585): Start proc com.android.settings for activity'
    expect: { level: info, tag: ActivityManager, pid: '585' }

"""#),
        ("macos-unified", #"""
# macOS unified logging as `log show` prints it: the default style (timestamp with zone, thread,
# type, activity, pid, TTL, process: message) and `--style compact`. macOS's older ASL text file
# /var/log/system.log is BSD syslog (syslog3164).
name: macos-unified
title: macOS unified log (log show, default and compact styles)
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4})\s+(?<thread>0x[0-9a-f]+)\s+(?<level>Default|Info|Debug|Error|Fault|Activity|Notice)\s+(?<activity>0x[0-9a-f]+)\s+(?<pid>\d+)\s+(?<ttl>\d+)\s+(?<process>[^:]+?): (?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?<level>Df|In|Db|Er|E|Fa|A) (?<process>[^\[\s]+)\[(?<pid>\d+):(?<thread>[0-9a-f]+)\] (?<message>.*)$'
level_map: { Default: notice, Fault: critical, Activity: info, Df: notice, In: info, Db: debug, Er: error, E: error, Fa: critical, A: info }
fields: { pid: int, ttl: int }
samples:
  - line: '2026-11-27 14:00:00.123456-0800 0x1a2b3    Error       0x0                  123    0    kernel: (AppleACPIPlatform) ACPI: sleep states S3 S4 S5'
    expect: { ts: '2026-11-27T22:00:00.123456Z', level: error, pid: '123', process: kernel, message: '(AppleACPIPlatform) ACPI: sleep states S3 S4 S5' }
  - line: '2026-11-27 14:00:01.500000+0100 0x4c1      Default     0x2f3a               88     14   WindowServer: display sleep'
    expect: { ts: '2026-11-27T13:00:01.500Z', level: notice, process: WindowServer }
  - line: '2026-11-27 14:00:02.250 Df mDNSResponder[412:1c2d] [R1234] getaddrinfo start'
    expect: { ts: '2026-11-27T14:00:02.250Z', level: notice, process: mDNSResponder, pid: '412', thread: 1c2d }

"""#),
        ("mongodb-legacy", #"""
# MongoDB before 4.4 (text): time severity component [context] message. (4.4+ writes JSON.)
name: mongodb-legacy
title: MongoDB text log (before 4.4)
regex: '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}) (?<level>[FEWID]\d?) (?<component>[A-Z_-]+)\s+\[(?<context>[^\]]+)\] (?<message>.*)$'
timestamp_format: '%Y-%m-%dT%H:%M:%S.%f%z'
level_map: { F: fatal, E: error, W: warn, I: info, D: debug, D1: debug, D2: debug, D3: debug, D4: debug, D5: debug }
samples:
  - line: '2026-11-27T14:00:00.123+0000 I NETWORK  [listener] connection accepted from 10.0.0.7:51234 #42 (3 connections now open)'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, component: NETWORK, context: listener }
  - line: '2026-11-27T15:00:01.000+0100 W STORAGE  [initandlisten] Detected unclean shutdown'
    expect: { ts: '2026-11-27T14:00:01.000Z', level: warn }

"""#),
        ("mysql-error", #"""
# MySQL 8 / MariaDB error log: time, thread, [Level] [code] [subsystem] message; MySQL 5.5's
# yymmdd HH:MM:SS [Level] message.
name: mysql-error
title: MySQL / MariaDB error log
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:\d\d)) (?<thread>\d+) \[(?<level>System|Note|Warning|Error|ERROR)\] (?:\[(?<code>MY-\d+)\] )?(?:\[(?<subsystem>\w+)\] )?(?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d\s+\d{1,2}:\d\d:\d\d) (?<thread>\d+) \[(?<level>Note|Warning|ERROR|Error)\] (?<message>.*)$'
  - '^(?<ts>\d{6}\s+\d{1,2}:\d\d:\d\d) \[(?<level>Note|Warning|ERROR|Error)\] (?<message>.*)$'
level_map: { System: notice, Note: info }
fields: { thread: int }
samples:
  - line: '2026-11-27T14:00:00.123456Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.35) starting as process 1'
    expect: { ts: '2026-11-27T14:00:00.123456Z', level: notice, code: MY-010116, subsystem: Server }
  - line: '2026-11-27 14:00:01 140245 [Warning] Aborted connection 140245 to db: ''shop'' user: ''app'''
    expect: { level: warn, thread: '140245' }

"""#),
        ("mysql-slow", #"""
# MySQL's slow query log: a record per query, from its "# Time:" line (the lines after it — user,
# Query_time, the statement — are its message).
name: mysql-slow
title: MySQL slow query log
regex: '^# Time: (?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z?)$'
record_start: '^# Time: '
samples:
  - line: '# Time: 2026-11-27T14:00:00.123456Z'
    expect: { ts: '2026-11-27T14:00:00.123456Z' }

"""#),
        ("nagios", #"""
# Nagios / Icinga 1 log: [epoch] EVENT: fields separated by semicolons.
name: nagios
title: 'Nagios / Icinga log ([epoch] EVENT: …)'
regex: '^\[(?<ts>\d{10})\] (?<event>[A-Z][A-Z ]+?): (?<message>.*)$'
timestamp_format: '%s'
samples:
  - line: '[1795780800] SERVICE ALERT: web-1;HTTP;CRITICAL;HARD;3;connect to address 10.0.0.1 and port 80: Connection refused'
    expect: { ts: '2026-11-27T12:00:00.000Z', event: SERVICE ALERT }

"""#),
        ("nginx-error", #"""
# nginx's error log: yyyy/MM/dd HH:mm:ss [level] pid#tid: *connection message.
name: nginx-error
title: nginx error log
regex: '^(?<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?<level>[a-z]+)\] (?<pid>\d+)#(?<tid>\d+): (?:\*(?<connection>\d+) )?(?<message>.*)$'
timestamp_format: '%Y/%m/%d %H:%M:%S'
level_map: { emerg: fatal, alert: critical, crit: critical }
fields: { pid: int, tid: int, connection: int }
samples:
  - line: '2026/11/27 14:00:00 [error] 1234#1234: *5 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 10.0.0.1, server: localhost, request: "GET /favicon.ico HTTP/1.1"'
    expect: { ts: '2026-11-27T14:00:00.000Z', level: error, pid: '1234', connection: '5' }
  - line: '2026/11/27 14:00:01 [notice] 1#1: signal process started'
    expect: { level: notice, connection: 'null' }

"""#),
        ("openstack", #"""
# OpenStack services (nova, neutron, cinder, keystone …): oslo.log's default line, optionally
# after the log file's name (as in aggregated logs).
name: openstack
title: OpenStack services (oslo.log)
regex: '^(?:(?<logfile>\S+\.log\S*) )?(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?<pid>\d+) (?<level>[A-Z]+) (?<logger>\S+) (?:\[(?<context>[^\]]*)\] )?(?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S.%f'
fields: { pid: int }
samples:
  - line: 'nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829'
    expect: { ts: '2017-05-16T00:00:00.008Z', level: info, pid: '25746', logger: nova.osapi_compute.wsgi.server, logfile: nova-api.log.1.2017-05-16_13:53:08 }
  - line: '2017-05-16 00:00:04.500 2931 WARNING nova.compute.manager [req-3ea4052c-895d-4b64-9e2d-04d64c4d94ab - - - - -] While synchronizing instance power states, found 1 instances in the database'
    expect: { level: warn, pid: '2931', logger: nova.compute.manager }

"""#),
        ("pacman", #"""
# Arch Linux's pacman log: [time] [source] message.
name: pacman
title: Arch Linux pacman log
regex: '^\[(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4})\] \[(?<component>[A-Z-]+)\] (?<message>.*)$'
timestamp_format: '%Y-%m-%dT%H:%M:%S%z'
samples:
  - line: '[2026-11-27T14:00:00+0000] [ALPM] upgraded linux (6.1.1-1 -> 6.2.1-1)'
    expect: { ts: '2026-11-27T14:00:00.000Z', component: ALPM, message: upgraded linux (6.1.1-1 -> 6.2.1-1) }

"""#),
        ("php-fpm", #"""
# PHP-FPM's error log: [dd-Mon-yyyy HH:mm:ss] LEVEL: message.
name: php-fpm
title: PHP-FPM / PHP error log
regex: '^\[(?<ts>\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?: [A-Za-z/_]+)?)\] (?:(?<level>NOTICE|WARNING|ERROR|ALERT|DEBUG|PHP [A-Za-z ]+?):\s+)?(?<message>.*)$'
timestamp_format: ['%d-%b-%Y %H:%M:%S', '%d-%b-%Y %H:%M:%S %Z']
level_map: { PHP Warning: warn, PHP Notice: notice, PHP Fatal error: fatal, PHP Parse error: fatal, PHP Deprecated: info, ALERT: critical }
samples:
  - line: '[27-Nov-2026 14:00:00] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it'
    expect: { ts: '2026-11-27T14:00:00.000Z', level: warn }
  - line: '[27-Nov-2026 14:00:01 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function foo() in /var/www/index.php:3'
    expect: { level: fatal }

"""#),
        ("php", #"""
# PHP's error log (error_log, php-fpm's catch_workers_output): [dd-Mon-yyyy HH:MM:SS zone]
# PHP Level:  message. The zone is PHP's date.timezone, written after the time. An uncaught
# exception's 'Stack trace:' and '#0 …' lines join its record.
name: php
title: PHP error log
regex: '^\[(?<ts>\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d)(?: (?<tz>[A-Za-z][\w+-]*(?:/[\w+-]+)*))?\] (?:PHP )?(?<level>Fatal error|Parse error|Recoverable fatal error|Catchable fatal error|Warning|Notice|Deprecated|Strict Standards|Stack trace|Error|Exception):\s+(?<message>.*)$'
timestamp_format: '%d-%b-%Y %H:%M:%S'
record_start: '^\[\d\d-[A-Z][a-z]{2}-\d{4} '
level_map: { Fatal error: fatal, Parse error: error, Recoverable fatal error: error, Catchable fatal error: error, Deprecated: notice, Strict Standards: notice, Stack trace: error, Exception: error }
samples:
  - line: '[27-Nov-2026 14:00:09 Europe/Berlin] PHP Warning:  Undefined variable $x in /var/www/a.php on line 5'
    expect: { ts: '2026-11-27T13:00:09.000Z', level: warn, tz: Europe/Berlin, message: 'Undefined variable $x in /var/www/a.php on line 5' }
  - line: '[27-Nov-2026 14:00:10 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function foo() in /var/www/b.php:3'
    expect: { ts: '2026-11-27T14:00:10.000Z', level: fatal }
  - line: '[27-Nov-2026 14:00:11] PHP Notice:  Undefined index: id in /var/www/c.php on line 9'
    expect: { ts: '2026-11-27T14:00:11.000Z', level: notice }

"""#),
        ("pipe-separated", #"""
# Pipe-separated application logs (HealthApp and many mobile back ends):
# yyyyMMdd-HH:mm:ss:SSS|component|pid|message.
name: pipe-separated
title: Pipe-separated app logs (yyyyMMdd-HH:mm:ss:SSS|component|pid|message)
regex: '^(?<ts>\d{8}-\d\d:\d\d:\d\d:\d{1,3})\|(?<component>[^|]*)\|(?<pid>\d+)\|(?<message>.*)$'
timestamp_format: '%Y%m%d-%H:%M:%S:%f'
fields: { pid: int }
samples:
  - line: '20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579'
    expect: { ts: '2017-12-23T22:15:29.606Z', component: Step_LSC, pid: '30002312', message: onStandStepChanged 3579 }

"""#),
        ("postgresql", #"""
# PostgreSQL's server log with the common log_line_prefix values ('%m [%p] ', '%t [%p]: ',
# '%m [%p] %q%u@%d '), RDS's '%t:%r:%u@%d:[%p]:', and csvlog lines.
name: postgresql
title: PostgreSQL server log
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]{2,5}) \[(?<pid>\d+)\]:? (?:(?<user>[^@\s]+)@(?<database>\S+) )?(?<level>DEBUG\d?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):\s+(?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]{2,5}):(?<client>[^:(]*)(?:\((?<client_port>\d+)\))?:(?:(?<user>[^@:]*)@(?<database>[^:]*))?:\[(?<pid>\d+)\]:(?<level>DEBUG\d?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):\s+(?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [A-Z]{2,5}),"?(?<user>[^",]*)"?,"?(?<database>[^",]*)"?,(?<pid>\d+),"?(?<client>[^",]*)"?,(?<session_id>[^,]*),(?<line_num>\d+),"?(?<command>[^",]*)"?,[^,]*,[^,]*,[^,]*,(?<level>DEBUG\d?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC),(?<sqlstate>[0-9A-Z]{5}),(?<message>.*)$'
timestamp_format: ['%Y-%m-%d %H:%M:%S.%f %Z', '%Y-%m-%d %H:%M:%S %Z']
level_map: { LOG: info, DETAIL: info, HINT: info, STATEMENT: info, CONTEXT: info, QUERY: info, LOCATION: info, PANIC: fatal, DEBUG1: debug, DEBUG2: debug, DEBUG3: debug, DEBUG4: debug, DEBUG5: debug }
fields: { pid: int, client_port: int, line_num: int }
samples:
  - line: '2026-11-27 14:00:00.123 UTC [4242] LOG:  database system is ready to accept connections'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, pid: '4242', message: database system is ready to accept connections }
  - line: '2026-11-27 14:00:01.500 UTC [4250] app@shop ERROR:  relation "orders2" does not exist at character 15'
    expect: { level: error, user: app, database: shop }

"""#),
        ("proxifier", #"""
# Proxifier's connection log: [MM.dd HH:mm:ss] program - target message.
name: proxifier
title: Proxifier connection log
regex: '^\[(?<ts>\d\d\.\d\d \d\d:\d\d:\d\d)\] (?<program>.+?) - (?<message>.*)$'
timestamp_format: '%m.%d %H:%M:%S'
samples:
  - line: '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS'
    expect: { ts: '2026-10-30T16:49:06.000Z', program: chrome.exe }

"""#),
        ("python-logging", #"""
# Python's logging: the default basicConfig layout (LEVEL:logger:message) and the common
# "%(asctime)s - %(name)s - %(levelname)s - %(message)s" and "%(asctime)s %(levelname)s %(name)s: …".
name: python-logging
title: Python logging (defaults and common layouts)
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (?<logger>\S+) - (?<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) - (?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?<logger>[^\s:]+): (?<message>.*)$'
  - '^(?<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?<logger>[^:\s]+):(?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'
samples:
  - line: '2026-11-27 14:00:00,123 - app.db - WARNING - slow query took 812 ms'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: warn, logger: app.db, message: slow query took 812 ms }
  - line: '2026-11-27 14:00:00,124 ERROR urllib3.connectionpool: Retrying after connection broken'
    expect: { level: error, logger: urllib3.connectionpool }
  - line: 'WARNING:root:disk almost full'
    expect: { level: warn, logger: root, message: disk almost full }

"""#),
        ("rabbitmq", #"""
# RabbitMQ 3.9+ log: time [level] <pid> message; before 3.9, =LEVEL REPORT==== time === headers.
name: rabbitmq
title: RabbitMQ server log
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)?) \[(?<level>[a-z]+)\] <(?<erlang_pid>[\d.]+)> (?<message>.*)$'
  - '^=(?<level>[A-Z]+) REPORT==== (?<ts>\d{1,2}-[A-Z][a-z]{2}-\d{4}::\d\d:\d\d:\d\d(?:\.\d+)?) ===$'
timestamp_format: ['%Y-%m-%d %H:%M:%S.%f%z', '%Y-%m-%d %H:%M:%S.%f', '%d-%b-%Y::%H:%M:%S', '%d-%b-%Y::%H:%M:%S.%f']
samples:
  - line: '2026-11-27 14:00:00.123456+00:00 [info] <0.230.0> Server startup complete; 4 plugins started.'
    expect: { ts: '2026-11-27T14:00:00.123456Z', level: info, erlang_pid: 0.230.0 }
  - line: '2026-11-27 14:00:03.000001+00:00 [warning] <0.701.0> closing AMQP connection'
    expect: { level: warn }

"""#),
        ("redis", #"""
# Redis server log: pid:role dd Mon yyyy HH:mm:ss.SSS level-char message (Redis 3+), and
# Redis 2's [pid] dd Mon HH:mm:ss.SSS level-char message.
name: redis
title: Redis server log
patterns:
  - '^(?<pid>\d+):(?<role>[XCSM]) (?<ts>\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3}) (?<level>[.\-*#]) (?<message>.*)$'
  - '^\[(?<pid>\d+)\] (?<ts>\d{1,2} [A-Z][a-z]{2} \d\d:\d\d:\d\d\.\d{3}) (?<level>[.\-*#]) (?<message>.*)$'
timestamp_format: ['%d %b %Y %H:%M:%S.%f', '%d %b %H:%M:%S.%f']
level_map: { '.': debug, '-': info, '*': notice, '#': warn }
fields: { pid: int }
samples:
  - line: '1:M 27 Nov 2026 14:00:00.123 * Ready to accept connections tcp'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: notice, pid: '1', role: M }
  - line: '1:M 27 Nov 2026 14:00:05.001 # WARNING Memory overcommit must be enabled!'
    expect: { level: warn }

"""#),
        ("ruby-logger", #"""
# Ruby's Logger default format (Rails, Sidekiq, Puma …): L, [time #pid]  LEVEL -- progname: message.
name: ruby-logger
title: 'Ruby Logger / Rails (L, [time #pid] LEVEL -- : message)'
regex: '^[DIWEFA], \[(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\s+#(?<pid>\d+)\]\s+(?<level>DEBUG|INFO|WARN|ERROR|FATAL|ANY) -- (?<progname>[^:]*): (?<message>.*)$'
timestamp_format: '%Y-%m-%dT%H:%M:%S.%f'
level_map: { ANY: info }
fields: { pid: int }
samples:
  - line: 'I, [2026-11-27T14:00:00.123456 #4242]  INFO -- : Started GET "/" for 10.0.0.7 at 2026-11-27 14:00:00 +0000'
    expect: { ts: '2026-11-27T14:00:00.123456Z', level: info, pid: '4242', message: 'Started GET "/" for 10.0.0.7 at 2026-11-27 14:00:00 +0000' }
  - line: 'E, [2026-11-27T14:00:01.000001 #4242] ERROR -- sidekiq: job failed'
    expect: { level: error, progname: sidekiq }

"""#),
        ("rust-env-logger", #"""
# Rust's env_logger ([time LEVEL target] message) and tracing-subscriber's default format
# (time  LEVEL target: message).
name: rust-env-logger
title: Rust env_logger and tracing
patterns:
  - '^\[(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (?<level>TRACE|DEBUG|INFO|WARN|ERROR)\s+(?<target>[\w:]+)\] (?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z)\s+(?<level>TRACE|DEBUG|INFO|WARN|ERROR) (?<target>[\w:]+): (?<message>.*)$'
samples:
  - line: '[2026-11-27T14:00:00Z INFO  my_app::server] listening on 0.0.0.0:8080'
    expect: { ts: '2026-11-27T14:00:00.000Z', level: info, target: 'my_app::server' }
  - line: '2026-11-27T14:00:00.123456Z  WARN hyper::proto::h1::io: read error'
    expect: { level: warn, target: 'hyper::proto::h1::io' }

"""#),
        ("s3-access", #"""
# Amazon S3 server access logs (the first eighteen fields named).
name: s3-access
title: Amazon S3 server access log
regex: '^(?<bucket_owner>\S+) (?<bucket>\S+) \[(?<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] (?<remote_ip>\S+) (?<requester>\S+) (?<request_id>\S+) (?<operation>\S+) (?<key>\S+) "(?<request_uri>[^"]*)" (?<status>\d{3}|-) (?<error_code>\S+) (?<bytes_sent>\d+|-) (?<object_size>\d+|-) (?<total_time_ms>\d+|-) (?<turn_around_time_ms>\d+|-) "(?<referer>[^"]*)" "(?<user_agent>[^"]*)" (?<version_id>\S+)(?<rest>.*)$'
timestamp_format: '%d/%b/%Y:%H:%M:%S %z'
fields: { status: int, total_time_ms: int }
samples:
  - line: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [27/Nov/2026:14:00:00 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -'
    expect: { ts: '2026-11-27T14:00:00.000Z', bucket: awsexamplebucket1, operation: REST.GET.VERSIONING, status: '200', total_time_ms: '7' }

"""#),
        ("serilog", #"""
# .NET Serilog's console/file default: [HH:mm:ss LVL] or "yyyy-MM-dd HH:mm:ss.fff zzz [LVL]".
name: serilog
title: .NET Serilog / NLog default layouts
patterns:
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [+-]\d\d:\d\d) \[(?<level>VRB|DBG|INF|WRN|ERR|FTL)\] (?<message>.*)$'
  - '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\|(?<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\|(?<logger>[^|]+)\|(?<message>.*)$'
timestamp_format: ['%Y-%m-%d %H:%M:%S.%f %z', '%Y-%m-%d %H:%M:%S.%f']
level_map: { VRB: trace, DBG: debug, INF: info, WRN: warn, ERR: error, FTL: fatal }
samples:
  - line: '2026-11-27 14:00:00.123 +00:00 [INF] Application started. Press Ctrl+C to shut down.'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info }
  - line: '2026-11-27 14:00:00.500|ERROR|Shop.Orders|Order 42 failed'
    expect: { level: error, logger: Shop.Orders }

"""#),
        ("spark", #"""
# Apache Spark, Hadoop YARN/MapReduce and other log4j layouts with "yy/MM/dd HH:mm:ss".
name: spark
title: Apache Spark / Hadoop (log4j, yy/MM/dd HH:mm:ss LEVEL logger)
regex: '^(?<ts>\d\d/\d\d/\d\d \d\d:\d\d:\d\d) (?<level>[A-Z]+) (?<logger>[^\s:]+): (?<message>.*)$'
timestamp_format: '%y/%m/%d %H:%M:%S'
samples:
  - line: '17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]'
    expect: { ts: '2017-06-09T20:10:40.000Z', level: info, logger: executor.CoarseGrainedExecutorBackend, message: 'Registered signal handlers for [TERM, HUP, INT]' }
  - line: '17/06/09 20:11:11 WARN storage.BlockManager: Block rdd_42_20 already exists on this machine; not re-adding it'
    expect: { level: warn, logger: storage.BlockManager }

"""#),
        ("spdlog", #"""
# spdlog's default pattern: [yyyy-MM-dd HH:mm:ss.SSS] [logger] [level] message.
name: spdlog
title: C++ spdlog default pattern
regex: '^\[(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] (?:\[(?<logger>[^\]]+)\] )?\[(?<level>trace|debug|info|warning|error|critical)\] (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S.%f'
samples:
  - line: '[2026-11-27 14:00:00.123] [console] [info] engine started'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, logger: console }
  - line: '[2026-11-27 14:00:00.124] [error] cannot open config.toml'
    expect: { level: error, logger: 'null' }

"""#),
        ("squid", #"""
# Squid's native access.log: epoch.ms elapsed client code/status bytes method URL user hierarchy/peer type.
name: squid
title: Squid access log (native)
regex: '^(?<ts>\d{9,10}\.\d{3})\s+(?<elapsed_ms>\d+) (?<client>\S+) (?<result>[A-Z_]+)/(?<status>\d{3}) (?<bytes>\d+) (?<method>\S+) (?<url>\S+) (?<user>\S+) (?<hierarchy>[A-Z_]+)/(?<peer>\S+) (?<content_type>\S+)$'
timestamp_format: '%s.%f'
fields: { elapsed_ms: int, status: int, bytes: int }
samples:
  - line: '1795780800.123    245 10.0.0.7 TCP_MISS/200 4512 GET http://example.com/index.html - HIER_DIRECT/93.184.216.34 text/html'
    expect: { ts: '2026-11-27T12:00:00.123Z', elapsed_ms: '245', status: '200', result: TCP_MISS, method: GET }

"""#),
        ("strace", #"""
# strace -ttt / -tt / -f output: [pid] time syscall(args) = result (-ttt's epoch time is the
# record's; -tt's time of day, without a date, is kept as the field `time`).
name: strace
title: strace -tt / -ttt (with or without -f)
patterns:
  - '^(?:\[pid\s+(?<pid>\d+)\] |(?<pid2>\d+)\s+)?(?<ts>\d{10}\.\d{6}) (?<message>(?<syscall>\w+)\(.*)$'
  - '^(?:\[pid\s+(?<pid>\d+)\] |(?<pid2>\d+)\s+)?(?<time>\d\d:\d\d:\d\d\.\d{6}) (?<message>(?<syscall>\w+)\(.*)$'
timestamp_format: '%s.%f'
fields: { pid: int, pid2: int, time: string }
samples:
  - line: '14:00:00.123456 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3'
    expect: { syscall: openat }
  - line: '[pid  4242] 14:00:00.200000 read(3, "", 4096) = 0'
    expect: { pid: '4242', syscall: read }
  - line: '1795780800.123456 close(3) = 0'
    expect: { ts: '2026-11-27T12:00:00.123456Z', syscall: close }

"""#),
        ("supervisord", #"""
# supervisord's own log: time LEVEL message.
name: supervisord
title: supervisord log
regex: '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?<level>CRIT|ERRO|WARN|INFO|DEBG|TRAC|BLAT) (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'
level_map: { CRIT: critical, ERRO: error, WARN: warn, INFO: info, DEBG: debug, TRAC: trace, BLAT: trace }
samples:
  - line: "2026-11-27 14:00:00,123 INFO spawned: 'app' with pid 42"
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, message: "spawned: 'app' with pid 42" }
  - line: "2026-11-27 14:00:03,000 CRIT uncaptured python exception"
    expect: { level: critical }

"""#),
        ("thunderbird", #"""
# Thunderbird / Liberty / Spirit supercomputer logs: alert flag, epoch seconds, date, node, then
# a syslog line.
name: thunderbird
title: Thunderbird / Spirit / Liberty supercomputer logs
regex: '^(?<alert>\S+) (?<ts>\d{10}) (?<date>\d{4}\.\d\d\.\d\d) (?<node>\S+) (?<syslog_time>[A-Z][a-z]{2}\s+\d{1,2} \d\d:\d\d:\d\d) (?<host>\S+) (?<program>[^:\[\s]+)(?:\[(?<pid>\d+)\])?: (?<message>.*)$'
timestamp_format: '%s'
fields: { pid: int, date: string }
samples:
  - line: '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root'
    expect: { ts: '2005-11-09T20:01:01.000Z', node: dn228, host: dn228/dn228, program: crond(pam_unix), pid: '2915' }

"""#),
        ("tomcat", #"""
# Apache Tomcat's catalina.out / catalina.log (OneLineFormatter): dd-Mon-yyyy HH:mm:ss.SSS LEVEL [thread] class message.
name: tomcat
title: Apache Tomcat (catalina.out)
regex: '^(?<ts>\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3}) (?<level>SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST) \[(?<thread>[^\]]+)\] (?<logger>\S+) (?<message>.*)$'
timestamp_format: '%d-%b-%Y %H:%M:%S.%f'
samples:
  - line: '27-Nov-2026 14:00:00.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [1234] milliseconds'
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, thread: main, logger: org.apache.catalina.startup.Catalina.start }
  - line: '27-Nov-2026 14:00:05.000 SEVERE [http-nio-8080-exec-3] org.apache.catalina.core.StandardWrapperValve.invoke Servlet.service() threw exception'
    expect: { level: error }

"""#),
        ("uwsgi", #"""
# uWSGI's request log: [pid: …|app: …|req: …] client () {vars} [time] METHOD URI => generated … in N msecs (proto status) …
name: uwsgi
title: uWSGI request log
regex: '^\[pid: (?<pid>\d+)\|app: (?<app>-?\d+)\|req: (?<req>[\d/-]+)\] (?<client>\S+) \((?<user>[^)]*)\) \{[^}]*\} \[(?<ts>[A-Z][a-z]{2} [A-Z][a-z]{2}\s+\d{1,2} \d\d:\d\d:\d\d \d{4})\] (?<method>[A-Z]+) (?<path>\S+) => generated (?<bytes>\d+) bytes in (?<msecs>\d+) msecs \((?<protocol>[^ ]+) (?<status>\d{3})\)(?<message>.*)$'
timestamp_format: '%a %b %d %H:%M:%S %Y'
fields: { pid: int, bytes: int, msecs: int, status: int }
samples:
  - line: '[pid: 4242|app: 0|req: 1/1] 10.0.0.7 () {34 vars in 512 bytes} [Fri Nov 27 14:00:00 2026] GET /api/items => generated 512 bytes in 13 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches on core 0)'
    expect: { ts: '2026-11-27T14:00:00.000Z', status: '200', msecs: '13', method: GET, path: /api/items }

"""#),
        ("vpc-flow", #"""
# Amazon VPC flow logs (version 2, the default fields); the record's time is the window's start.
name: vpc-flow
title: Amazon VPC flow logs (version 2)
regex: '^(?<version>2) (?<account_id>\d+|-) (?<interface_id>\S+) (?<srcaddr>\S+) (?<dstaddr>\S+) (?<srcport>\d+|-) (?<dstport>\d+|-) (?<protocol>\d+|-) (?<packets>\d+|-) (?<bytes>\d+|-) (?<ts>\d{10}) (?<end>\d{10}) (?<action>ACCEPT|REJECT|-) (?<log_status>OK|NODATA|SKIPDATA)$'
timestamp_format: '%s'
fields: { version: int, account_id: string, srcport: int, dstport: int, protocol: int, packets: int, bytes: int, end: int }
samples:
  - line: '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1795780800 1795780860 ACCEPT OK'
    expect: { ts: '2026-11-27T12:00:00.000Z', srcaddr: 172.31.16.139, dstport: '22', action: ACCEPT, bytes: '4249' }

"""#),
        ("windows-cbs", #"""
# Windows Component-Based Servicing logs (CBS.log) and others of the same layout.
name: windows-cbs
title: Windows CBS / servicing logs (yyyy-MM-dd HH:mm:ss, Level Component)
regex: '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d), (?<level>Info|Warning|Error|Critical|Verbose|Debug)\s+(?<component>\S+)\s+(?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S'
level_map: { Verbose: debug }
samples:
  - line: '2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\Windows\winsxs\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.23505_none_681aa442f6fed7f0\cbscore.dll'
    expect: { ts: '2016-09-28T04:30:30.000Z', level: info, component: CBS }
  - line: '2016-09-28 04:30:31, Error                 CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize (wcp.dll version 0.0.0.6) called (stack @0x7fed806eb5d @0x7fefa1c8728)'
    expect: { level: error, component: CSI }

"""#),
        ("xorg", #"""
# Xorg's server log: [uptime] (marker) message, the marker telling the level.
name: xorg
title: Xorg server log
regex: '^\[\s*(?<uptime>\d+\.\d+)\] (?:\((?<level>II|WW|EE|NI|\+\+|--|\*\*|==|\?\?)\) )?(?<message>.*)$'
level_map: { II: info, WW: warn, EE: error, NI: notice, '++': info, '--': info, '**': info, '==': info, '??': notice }
fields: { uptime: double }
samples:
  - line: '[    12.345] (II) LoadModule: "glx"'
    expect: { level: info, uptime: '12.345', message: 'LoadModule: "glx"' }
  - line: '[    13.001] (EE) Failed to load module "nvidia" (module does not exist, 0)'
    expect: { level: error }

"""#),
        ("zap-console", #"""
# Uber zap's console encoder (development config): time, LEVEL, caller, message, JSON fields.
name: zap-console
title: Go zap console output
regex: '^(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))\t(?<level>DEBUG|INFO|WARN|ERROR|DPANIC|PANIC|FATAL)\t(?:(?<caller>[\w./-]+:\d+)\t)?(?<message>[^\t]*)(?:\t(?<context>\{.*\}))?$'
timestamp_format: ['%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%dT%H:%M:%S%z']
level_map: { DPANIC: critical, PANIC: fatal }
samples:
  - line: "2026-11-27T14:00:00.123Z\tINFO\tserver/main.go:42\tlistening\t{\"addr\": \":8080\"}"
    expect: { ts: '2026-11-27T14:00:00.123Z', level: info, caller: 'server/main.go:42', message: listening }
  - line: "2026-11-27T14:00:01.000+0000\tERROR\tdb/pool.go:88\tconnection lost"
    expect: { level: error }

"""#),
        ("zookeeper", #"""
# Apache ZooKeeper's log4j layout: "%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m".
name: zookeeper
title: Apache ZooKeeper (yyyy-MM-dd HH:mm:ss,SSS - LEVEL [thread] - message)
regex: '^(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (?<level>[A-Z]+)\s+\[(?<thread>.*?)\] - (?<message>.*)$'
timestamp_format: '%Y-%m-%d %H:%M:%S,%f'
samples:
  - line: '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200'
    expect: { ts: '2015-07-29T17:41:44.747Z', level: info, thread: 'QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774', message: 'Notification time out: 3200' }
  - line: '2015-07-29 19:04:12,394 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving thread'
    expect: { level: warn }

"""#),
    ]
}
