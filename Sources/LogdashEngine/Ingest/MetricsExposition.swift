import Foundation
import Prometheus
import Synchronization

/// `GET /metrics` on the HTTP listener: what `internal_metrics` counts, as Prometheus counters
/// and gauges (totals since start where `internal_metrics` has a row per interval), with each
/// sink's lag and each alarm's state and last value.
///
/// | metric | labels | `internal_metrics` |
/// |---|---|---|
/// | `logdash_lines_total`, `logdash_bytes_total`, `logdash_parse_failures_total`, `logdash_truncated_total`, `logdash_drops_total`, `logdash_refused_total` | `source` | the sum of the column of that name over the source's rows |
/// | `logdash_lag_bytes`, `logdash_connections` | `source` | the newest row's |
/// | `logdash_buffer_bytes`, `logdash_buffer_capacity_bytes` | | `buffer_bytes`, `buffer_capacity` |
/// | `logdash_memory_spilled_records_total`, `…_dropped_records_total`, `logdash_memory_records_budget_bytes` | | the `memory` rows' `spilled`, `dropped` |
/// | `logdash_transform_records_in_total`, `…_records_out_total`, `…_failed_total` | `step` | the step's rows |
/// | `logdash_transform_masked_total` | `step`, `kind` | `masked_kinds` |
/// | `logdash_sink_records_in_total`, `…_records_out_total`, `…_failed_total` | `sink` | the sink's rows |
/// | `logdash_sink_waiting_records`, `logdash_sink_lag_seconds`, `logdash_sink_behind` | `sink` | `waiting`, `lag_ms`, `behind` |
/// | `logdash_alarm_state` (1 for the state it is in, ERROR when it cannot run, else 0) | `alarm`, `state` | `alarm_history` |
/// | `logdash_alarm_value` (NaN before a first data point) | `alarm` | |
public final class MetricsExposition: Sendable {
    private let registry = PrometheusCollectorRegistry()
    /// Scrapes one at a time (each sets every value, then writes them all).
    private let scraping = Mutex(())
    private let alarms = Mutex<[AlarmReplay.Status]>([])
    private let sinks = Mutex<[@Sendable () -> [(String, SinkStatus)]]>([])

    public init() {}

    /// Where every alarm stands now (the command running the alarms tells it after each step).
    public func setAlarms(_ statuses: [AlarmReplay.Status]) {
        alarms.withLock { $0 = statuses }
    }

    /// The sinks whose status is read at each scrape.
    public func addSinks(_ statuses: @escaping @Sendable () -> [(String, SinkStatus)]) {
        sinks.withLock { $0.append(statuses) }
    }

    /// The exposition, in Prometheus' text format (version 0.0.4).
    func text(metrics: IngestMetrics, bufferBytes: Int, bufferCapacity: Int, memory: RecordMemoryLimit? = nil) -> [UInt8] {
        let sinkStatuses = sinks.withLock { $0 }.flatMap { $0() }
        let alarmStatuses = alarms.withLock { $0 }
        return scraping.withLock { _ in
            for (source, c) in metrics.snapshot() {
                let l = [("source", source)]
                set("lines_total", l, c.lines, "Records stored")
                set("bytes_total", l, c.bytes, "Bytes accepted into the delivery buffer")
                set("parse_failures_total", l, c.parseFailures, "Records no format fitted (the errors table)")
                set("truncated_total", l, c.truncated, "Records cut at the maximum record size")
                set("drops_total", l, c.drops, "Messages dropped: UDP datagrams (the buffer full, or the kernel's receive buffer), counted messages a closed connection cut short")
                set("refused_total", l, c.refused, "Connections and requests refused")
                gauge("lag_bytes", l, Double(c.lagBytes), "Bytes of followed files not read yet")
                gauge("connections", l, Double(c.connections), "Open connections")
            }
            gauge("buffer_bytes", [], Double(bufferBytes), "Bytes waiting in the delivery buffer or being parsed")
            gauge("buffer_capacity_bytes", [], Double(bufferCapacity), "The delivery buffer's capacity (--buffer-max)")
            if let memory {
                gauge("memory_records_budget_bytes", [], Double(memory.bytes), "What records in memory may take (half of --max-memory)")
                set("memory_spilled_records_total", [], memory.spilledRows, "Records written to spill files past the memory budget")
                set("memory_dropped_records_total", [], memory.droppedRows, "Records dropped past the memory budget (--no-spill, or a spill that failed)")
            }
            // (Summed over `internal_metrics`' rows: a reload of the steps does not take them back.)
            for (step, c) in metrics.stepTotals() {
                let l = [("step", step)]
                set("transform_records_in_total", l, c.recordsIn, "Records a transform step was given")
                set("transform_records_out_total", l, c.recordsOut, "Records a transform step passed on")
                set("transform_failed_total", l, c.failed, "Records a transform step failed")
                for (kind, n) in c.masked {
                    set("transform_masked_total", l + [("kind", kind)], n, "Values a mask step replaced, by kind")
                }
            }
            for (url, st) in sinkStatuses {
                let l = [("sink", url)]
                set("sink_records_in_total", l, st.kept, "Records kept in a sink's spool")
                set("sink_records_out_total", l, st.delivered, "Records a sink delivered")
                set("sink_failed_total", l, st.failures, "A sink's failed delivery attempts")
                gauge("sink_waiting_records", l, Double(st.waitingRecords), "Records waiting for delivery")
                gauge("sink_lag_seconds", l, Double(st.lagMs) / 1000, "How long the oldest waiting record has waited")
                gauge("sink_behind", l, st.behind ? 1 : 0, "1 when a sink's lag is past its max_lag")
            }
            for a in alarmStatuses {
                // An alarm that cannot run (an unknown column …) is in ERROR, as the panel shows it.
                for state in AlarmState.allCases.map(\.rawValue) + ["ERROR"] {
                    let now = a.problem != nil ? "ERROR" : a.state.rawValue
                    gauge("alarm_state", [("alarm", a.name), ("state", state)], now == state ? 1 : 0,
                          "1 for the state an alarm is in (OK, ALARM, INSUFFICIENT_DATA, or ERROR when it cannot run), else 0")
                }
                gauge("alarm_value", [("alarm", a.name)], a.value ?? .nan, "An alarm's latest data point")
            }
            var out: [UInt8] = []
            registry.emit(into: &out)
            return out
        }
    }

    private func set(_ name: String, _ labels: [(String, String)], _ value: Int, _ help: String) {
        let counter = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "logdash", metricName: String(name.dropLast(6)), unitName: "total", helpText: help),
                                           labels: labels)
        counter.reset()
        counter.increment(by: Int64(max(0, value)))
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "logdash", metricName: name, unitName: "", helpText: help), labels: labels).set(value)
    }
}
