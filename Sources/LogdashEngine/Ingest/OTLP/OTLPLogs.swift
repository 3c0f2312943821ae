import Foundation
import SwiftProtobuf

/// OTLP/HTTP logs (`POST /v1/logs`): the body of an OpenTelemetry exporter's request, in
/// protobuf or OTLP's JSON, turned into one JSON line per log record for the JSON format.
///
/// A record's line holds `ts` (its time, else its observed time), `level` (from the severity
/// number, else the severity text), `message` (the body; a structured body as its JSON),
/// `host` (the resource's `host.name`), `trace_id` and `span_id` (hex), `scope` and
/// `event_name` when set, then the resource's attributes and the record's own (the record's win
/// over the resource's of the same key). An attribute whose name the JSON format would read as a
/// core column (`time`, `msg`, `severity` …) is kept under `attributes.NAME` (a resource's under
/// `resource.NAME`), so that no attribute overrides the record's time, level or message.
public enum OTLPLogs {
    typealias Request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest
    typealias AnyValue = Opentelemetry_Proto_Collector_Logs_V1_AnyValue
    typealias KeyValue = Opentelemetry_Proto_Collector_Logs_V1_KeyValue

    public enum Encoding: Sendable {
        case protobuf, json

        /// The encoding a `Content-Type` names (parameters such as `charset` aside).
        init?(contentType: String?) {
            let type = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            switch type {
            case "application/x-protobuf", "application/protobuf": self = .protobuf
            case "application/json": self = .json
            default: return nil
            }
        }

        var contentType: String { self == .protobuf ? "application/x-protobuf" : "application/json" }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        /// The records come to more lines than may be taken at once (answered 413).
        public var tooLarge = false
    }

    /// How deep values may nest in a JSON body (a protobuf one stops at SwiftProtobuf's limit).
    static let maxDepth = 64

    /// The records of a request body, a JSON line each; throws `Failure` for a body that is not
    /// a request (nothing of it is taken then).
    /// `maxBytes`: the most the lines may come to (a small body can hold many records that
    /// share a large resource's attributes): past it, `Failure` with `tooLarge`.
    /// `valueBytes`: a longer text value (a body, an attribute) is cut to this many bytes, and
    /// the record's `values_cut` counts those cut — the record stays whole, under the record size.
    public static func lines(_ body: [UInt8], as encoding: Encoding, maxBytes: Int = .max, valueBytes: Int = .max) throws -> (lines: [UInt8], count: Int) {
        let request: Request
        switch encoding {
        case .protobuf:
            var options = BinaryDecodingOptions()
            // (As deep as OTLP's JSON may nest values: each level of a map is three messages.)
            options.messageDepthLimit = 3 * maxDepth + 10
            do {
                request = try Request(serializedBytes: body, options: options)
            } catch let e as BinaryDecodingError {
                let why: String
                switch e {
                case .truncated: why = "it ends in the middle of a field"
                case .invalidUTF8: why = "a string in it is not UTF-8"
                case .messageDepthLimit: why = "its values nest deeper than \(maxDepth) levels"
                default: why = "it is not protobuf of that message (\(e))"
                }
                throw Failure(description: "the body is not an OTLP logs request in protobuf: \(why)")
            } catch {
                throw Failure(description: "the body is not an OTLP logs request in protobuf: \(error)")
            }
        case .json:
            request = try JSONRequest.decode(body)
        }
        var out: [UInt8] = []
        var count = 0
        var names = Names()
        for (i, resourceLogs) in request.resourceLogs.enumerated() {
            let resource = Resource(resourceLogs.resource.attributes, valueBytes: valueBytes, names: &names)
            for (j, scopeLogs) in resourceLogs.scopeLogs.enumerated() {
                for (k, record) in scopeLogs.logRecords.enumerated() {
                    // (Ids of another size are no ids: refused as OTLP's JSON form refuses them.)
                    for (name, id, size) in [("traceId", record.traceID, 16), ("spanId", record.spanID, 8)] where !id.isEmpty && id.count != size {
                        throw Failure(description: "resourceLogs[\(i)].scopeLogs[\(j)].logRecords[\(k)].\(name) is not \(size) bytes")
                    }
                    line(record, resource: resource, scope: scopeLogs.scope.name, valueBytes: valueBytes, names: &names, into: &out)
                    count += 1
                    if out.count > maxBytes {
                        throw Failure(description: "the body's records come to more than \(maxBytes) bytes as lines (the resource's attributes are written into each record); send smaller batches",
                                      tooLarge: true)
                    }
                }
            }
        }
        return (out, count)
    }

    /// The answer to a request taken whole: an `ExportLogsServiceResponse` with no partial success.
    static func success(_ encoding: Encoding) -> [UInt8] {
        encoding == .protobuf ? [] : Array("{}".utf8)
    }

    /// The body of an error answer: a `google.rpc.Status` in the request's encoding, its code
    /// the gRPC code of the HTTP status (OTLP/HTTP's rule).
    static func error(_ message: String, status: Int, _ encoding: Encoding) -> [UInt8] {
        var s = Opentelemetry_Proto_Collector_Logs_V1_Status()
        s.code = grpcCode(status)
        s.message = message
        if encoding == .protobuf, let bytes: [UInt8] = try? s.serializedBytes() { return bytes }
        return JSONObjectWriter.object { o in
            o.raw("code", Array(String(s.code).utf8))
            o.string("message", message)
        }
    }

    /// gRPC's code for an HTTP status (google.rpc.Code).
    static func grpcCode(_ status: Int) -> Int32 {
        switch status {
        case 400, 415: 3  // INVALID_ARGUMENT
        case 401: 16  // UNAUTHENTICATED
        case 403: 7  // PERMISSION_DENIED
        case 404: 5  // NOT_FOUND
        case 405: 12  // UNIMPLEMENTED
        case 413, 429: 8  // RESOURCE_EXHAUSTED
        case 503: 14  // UNAVAILABLE
        default: 2  // UNKNOWN
        }
    }

    // MARK: a record's line

    /// Field names by attribute key, worked out once per body (a body's records repeat their keys).
    struct Names {
        private var attributes: [String: String] = [:], resource: [String: String] = [:]

        mutating func attribute(_ key: String) -> String {
            if let n = attributes[key] { return n }
            let n = fieldName(key, prefix: "attributes.")
            attributes[key] = n
            return n
        }

        mutating func resource(_ key: String) -> String {
            if let n = resource[key] { return n }
            let n = fieldName(key, prefix: "resource.")
            resource[key] = n
            return n
        }
    }

    /// A resource's part of its records' lines, written once: its host, and each attribute's
    /// field name with its `,"name":value` bytes.
    struct Resource {
        var host: String?
        /// (`cut`: its value was cut.)
        var fields: [(name: String, bytes: [UInt8], cut: Bool)] = []

        init(_ attributes: [KeyValue], valueBytes: Int, names: inout Names) {
            host = attributes.first { $0.key == "host.name" }.flatMap { $0.value.value.flatMap(text) }
            for a in attributes where a.key != "host.name" {
                let name = names.resource(a.key)
                var bytes: [UInt8] = [UInt8(ascii: ",")]
                Archive.appendJSONString(name, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                var cut = 0
                append(a.value, valueBytes: valueBytes, cut: &cut, to: &bytes)
                fields.append((name, bytes, cut > 0))
            }
        }
    }

    static func line(_ r: Opentelemetry_Proto_Collector_Logs_V1_LogRecord, resource: Resource, scope: String, valueBytes: Int = .max,
                     names: inout Names, into out: inout [UInt8]) {
        var cut = 0
        let own = r.attributes.map { names.attribute($0.key) }
        JSONObjectWriter.write(into: &out, line: true) { o in
            let nanos = r.timeUnixNano != 0 ? r.timeUnixNano : r.observedTimeUnixNano
            if nanos != 0 && nanos <= UInt64(Int64.max) {
                o.key("ts")
                o.write { out in
                    out.append(UInt8(ascii: "\""))
                    Timestamp.appendISO8601(Int64(nanos), to: &out)
                    out.append(UInt8(ascii: "\""))
                }
            }
            // The severity text as it is spelt (the JSON format keeps it in `level_raw`, or an
            // unknown one as `_level`) unless the number says another level.
            let byNumber = level(number: r.severityNumber, text: "")
            if !r.severityText.isEmpty && (byNumber == nil || Level(r.severityText) == byNumber) {
                o.string("level", r.severityText)
            } else if let byNumber {
                o.string("level", byNumber.name)
                if !r.severityText.isEmpty { o.string("otel_severity_text", r.severityText) }
            }
            o.key("message")
            switch r.body.value {
            case nil: o.write { Archive.appendJSONString("", to: &$0) }
            case .stringValue(let s)?: o.write { appendCut(s, valueBytes, &cut, to: &$0) }
            case _?:
                // A structured body: its JSON, as text.
                var json: [UInt8] = []
                append(r.body, valueBytes: valueBytes, cut: &cut, to: &json)
                o.write { appendCut(String(decoding: json, as: UTF8.self), valueBytes, &cut, to: &$0) }
            }
            if let host = resource.host { o.string("host", host) }
            if r.traceID.contains(where: { $0 != 0 }) { o.key("trace_id"); o.write { appendHex(r.traceID, to: &$0) } }
            if r.spanID.contains(where: { $0 != 0 }) { o.key("span_id"); o.write { appendHex(r.spanID, to: &$0) } }
            if !scope.isEmpty { o.string("scope", scope) }
            if !r.eventName.isEmpty { o.string("event_name", r.eventName) }
            // The record's attributes win over the resource's that would take the same name.
            for field in resource.fields where !own.contains(field.name) {
                o.write { $0.append(contentsOf: field.bytes) }
                if field.cut { cut += 1 }
            }
            for (a, name) in zip(r.attributes, own) {
                o.key(name)
                o.write { append(a.value, valueBytes: valueBytes, cut: &cut, to: &$0) }
            }
            if cut > 0 { o.raw("values_cut", Array(String(cut).utf8)) }
        }
    }

    /// The names a record's line gives itself, which no attribute may take.
    static let ownNames: Set<String> = ["ts", "level", "message", "host", "trace_id", "span_id", "scope", "event_name", "values_cut",
                                        "otel_severity_text"]

    /// An attribute's field name: its key, or under `prefix` when the JSON format would read the
    /// key as a core column (`time`, `msg`, `raw` …) or the line already has a field of that name.
    static func fieldName(_ key: String, prefix: String) -> String {
        FieldRole.of(key).role != .none || ownNames.contains(key) || CoreColumn.names.contains(key.lowercased()) ? prefix + key : key
    }

    /// `s` as a JSON string, cut to `limit` bytes (at a character's end) when longer.
    static func appendCut(_ s: String, _ limit: Int, _ cut: inout Int, to out: inout [UInt8]) {
        guard s.utf8.count > limit else { return Archive.appendJSONString(s, to: &out) }
        cut += 1
        var end = s.utf8.index(s.utf8.startIndex, offsetBy: limit)
        while end > s.utf8.startIndex && !s.unicodeScalars.indices.contains(end) { end = s.utf8.index(before: end) }
        Archive.appendJSONString(String(s[..<end]), to: &out)
    }

    /// OpenTelemetry's severity numbers (1–4 TRACE … 21–24 FATAL), else the severity text as a
    /// level name.
    static func level(number: Int32, text: String) -> Level? {
        switch number {
        case 1...4: .trace
        case 5...8: .debug
        case 9...12: .info
        case 13...16: .warn
        case 17...20: .error
        case 21...24: .fatal
        default: text.isEmpty ? nil : Level(text)
        }
    }

    /// An attribute's value as JSON: maps as objects (the JSON format names their keys
    /// `attr.key`), arrays as arrays, bytes as base64 text.
    static func append(_ v: AnyValue, valueBytes: Int = .max, cut: inout Int, to out: inout [UInt8]) {
        switch v.value {
        case nil: out.append(contentsOf: Array("null".utf8))
        case .stringValue(let s)?: appendCut(s, valueBytes, &cut, to: &out)
        case .boolValue(let b)?: out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .intValue(let i)?: out.append(contentsOf: Array(String(i).utf8))
        case .doubleValue(let d)?:
            // (NaN and the infinities are not JSON numbers: kept as text.)
            if d.isFinite { out.append(contentsOf: Array("\(d)".utf8)) } else { Archive.appendJSONString("\(d)", to: &out) }
        case .bytesValue(let b)?: appendCut(b.base64EncodedString(), valueBytes, &cut, to: &out)
        case .arrayValue(let a)?:
            out.append(UInt8(ascii: "["))
            for (k, e) in a.values.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                append(e, valueBytes: valueBytes, cut: &cut, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .kvlistValue(let m)?:
            out.append(UInt8(ascii: "{"))
            for (k, e) in m.values.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                Archive.appendJSONString(e.key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(e.value, valueBytes: valueBytes, cut: &cut, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func text(_ v: AnyValue.OneOf_Value) -> String? {
        if case .stringValue(let s) = v { return s }
        return nil
    }

    /// `d` as a JSON string of lower-case hex.
    static func appendHex(_ d: Data, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        out.append(UInt8(ascii: "\""))
        for b in d { out.append(digits.utf8Start[Int(b >> 4)]); out.append(digits.utf8Start[Int(b & 15)]) }
        out.append(UInt8(ascii: "\""))
    }
}

/// OTLP's JSON encoding of a logs request, read into the protobuf message. It is proto3's JSON
/// mapping with OTLP's differences: trace and span ids are hex, not base64; enums are numbers;
/// 64-bit integers may be numbers or strings; keys are lowerCamelCase (snake_case is accepted
/// too); unknown keys are ignored.
enum JSONRequest {
    typealias Failure = OTLPLogs.Failure

    /// A JSON value as decoded, a number kept as its integer when it is one.
    enum JSON: Decodable {
        case null, bool(Bool), int(Int64), unsigned(UInt64), double(Double), string(String), array([JSON]), object([String: JSON])

        init(from decoder: any Swift.Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int64.self) { self = .int(i) }
            else if let u = try? c.decode(UInt64.self) { self = .unsigned(u) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([JSON].self) { self = .array(a) }
            else { self = .object(try c.decode([String: JSON].self)) }
        }
    }

    static func decode(_ body: [UInt8]) throws -> OTLPLogs.Request {
        let root: JSON
        do { root = try JSONDecoder().decode(JSON.self, from: Data(body)) } catch DecodingError.dataCorrupted(let context) {
            // (Foundation's reason, such as "Too many nested arrays or dictionaries around line 1, column 513".)
            let why = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
            throw Failure(description: "the body is not JSON: \(why)")
        } catch {
            throw Failure(description: "the body is not JSON")
        }
        guard case .object(let object) = root else { throw Failure(description: "the body is not a JSON object (an OTLP logs request)") }
        var request = OTLPLogs.Request()
        for rl in try list(object, "resourceLogs", "resource_logs", at: "") {
            let at = "resourceLogs[\(request.resourceLogs.count)]"
            var resourceLogs = Opentelemetry_Proto_Collector_Logs_V1_ResourceLogs()
            let rlObject = try self.object(rl, at: at)
            if let resource = field(rlObject, "resource") {
                resourceLogs.resource.attributes = try attributes(try self.object(resource, at: at + ".resource"), at: at + ".resource")
            }
            for sl in try list(rlObject, "scopeLogs", "scope_logs", at: at) {
                let at = at + ".scopeLogs[\(resourceLogs.scopeLogs.count)]"
                let slObject = try self.object(sl, at: at)
                var scopeLogs = Opentelemetry_Proto_Collector_Logs_V1_ScopeLogs()
                if let scope = field(slObject, "scope") {
                    let s = try self.object(scope, at: at + ".scope")
                    scopeLogs.scope.name = try string(s, "name", at: at + ".scope") ?? ""
                    scopeLogs.scope.version = try string(s, "version", at: at + ".scope") ?? ""
                }
                for lr in try list(slObject, "logRecords", "log_records", at: at) {
                    let at = at + ".logRecords[\(scopeLogs.logRecords.count)]"
                    scopeLogs.logRecords.append(try record(try self.object(lr, at: at), at: at))
                }
                resourceLogs.scopeLogs.append(scopeLogs)
            }
            request.resourceLogs.append(resourceLogs)
        }
        return request
    }

    static func record(_ o: [String: JSON], at: String) throws -> Opentelemetry_Proto_Collector_Logs_V1_LogRecord {
        var r = Opentelemetry_Proto_Collector_Logs_V1_LogRecord()
        r.timeUnixNano = try unsigned(o, "timeUnixNano", "time_unix_nano", at: at) ?? 0
        r.observedTimeUnixNano = try unsigned(o, "observedTimeUnixNano", "observed_time_unix_nano", at: at) ?? 0
        if let n = field(o, "severityNumber", "severity_number") {
            if case .string(let s) = n {
                // (An enum's name is accepted, as proto3's JSON mapping allows.)
                guard let v = severityNames[s] else { throw Failure(description: "\(at).severityNumber: '\(s)' is not a severity number") }
                r.severityNumber = v
            } else {
                guard let v = integer(n), let v32 = Int32(exactly: v) else { throw Failure(description: "\(at).severityNumber is not a number") }
                r.severityNumber = v32
            }
        }
        r.severityText = try string(o, "severityText", "severity_text", at: at) ?? ""
        if let body = field(o, "body") { r.body = try value(body, at: at + ".body", depth: 1) }
        r.attributes = try attributes(o, at: at)
        r.traceID = try id(o, "traceId", "trace_id", bytes: 16, at: at)
        r.spanID = try id(o, "spanId", "span_id", bytes: 8, at: at)
        r.eventName = try string(o, "eventName", "event_name", at: at) ?? ""
        if let f = field(o, "flags") {
            guard let v = integer(f), let v32 = UInt32(exactly: v) else { throw Failure(description: "\(at).flags is not a number") }
            r.flags = v32
        }
        return r
    }

    static let severityNames: [String: Int32] = {
        var names = ["SEVERITY_NUMBER_UNSPECIFIED": Int32(0)]
        for (k, name) in ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].enumerated() {
            for n in 1...4 { names["SEVERITY_NUMBER_" + name + (n == 1 ? "" : String(n))] = Int32(k * 4 + n) }
        }
        return names
    }()

    static func attributes(_ o: [String: JSON], at: String) throws -> [OTLPLogs.KeyValue] {
        try list(o, "attributes", at: at).enumerated().map { k, a in
            try keyValue(a, at: "\(at).attributes[\(k)]", depth: 1)
        }
    }

    static func keyValue(_ a: JSON, at: String, depth: Int) throws -> OTLPLogs.KeyValue {
        let o = try object(a, at: at)
        var kv = OTLPLogs.KeyValue()
        guard let key = try string(o, "key", at: at) else { throw Failure(description: "\(at) has no key") }
        kv.key = key
        if let v = field(o, "value") { kv.value = try value(v, at: at + ".value", depth: depth + 1) }
        return kv
    }

    static func value(_ v: JSON, at: String, depth: Int) throws -> OTLPLogs.AnyValue {
        guard depth <= OTLPLogs.maxDepth else { throw Failure(description: "\(at): values nest deeper than \(OTLPLogs.maxDepth) levels") }
        let o = try object(v, at: at)
        var out = OTLPLogs.AnyValue()
        if let s = try string(o, "stringValue", "string_value", at: at) {
            out.stringValue = s
        } else if let b = field(o, "boolValue", "bool_value") {
            guard case .bool(let b) = b else { throw Failure(description: "\(at).boolValue is not true or false") }
            out.boolValue = b
        } else if let i = field(o, "intValue", "int_value") {
            guard let n = integer(i) else { throw Failure(description: "\(at).intValue is not an integer") }
            out.intValue = n
        } else if let d = field(o, "doubleValue", "double_value") {
            switch d {
            case .int(let i): out.doubleValue = Double(i)
            case .unsigned(let u): out.doubleValue = Double(u)
            case .double(let x): out.doubleValue = x
            case .string(let s):
                guard let x = ["NaN": Double.nan, "Infinity": .infinity, "-Infinity": -.infinity][s] ?? Double(s) else {
                    throw Failure(description: "\(at).doubleValue is not a number")
                }
                out.doubleValue = x
            default: throw Failure(description: "\(at).doubleValue is not a number")
            }
        } else if let a = field(o, "arrayValue", "array_value") {
            var array = Opentelemetry_Proto_Collector_Logs_V1_ArrayValue()
            array.values = try list(try object(a, at: at + ".arrayValue"), "values", at: at + ".arrayValue").enumerated().map { k, e in
                try value(e, at: "\(at).arrayValue.values[\(k)]", depth: depth + 1)
            }
            out.arrayValue = array
        } else if let m = field(o, "kvlistValue", "kvlist_value") {
            var map = Opentelemetry_Proto_Collector_Logs_V1_KeyValueList()
            map.values = try list(try object(m, at: at + ".kvlistValue"), "values", at: at + ".kvlistValue").enumerated().map { k, e in
                try keyValue(e, at: "\(at).kvlistValue.values[\(k)]", depth: depth + 1)
            }
            out.kvlistValue = map
        } else if let b = try string(o, "bytesValue", "bytes_value", at: at) {
            guard let data = Data(base64Encoded: b) else { throw Failure(description: "\(at).bytesValue is not base64") }
            out.bytesValue = data
        }
        return out
    }

    // MARK: reading JSON values

    /// The first of `names` present and not null.
    static func field(_ o: [String: JSON], _ names: String...) -> JSON? {
        for n in names {
            if let v = o[n] { if case .null = v { continue }; return v }
        }
        return nil
    }

    static func object(_ v: JSON, at: String) throws -> [String: JSON] {
        guard case .object(let o) = v else { throw Failure(description: "\(at.isEmpty ? "the body" : at) is not a JSON object") }
        return o
    }

    static func list(_ o: [String: JSON], _ a: String, _ b: String? = nil, at: String) throws -> [JSON] {
        guard let found = field(o, a, b ?? a) else { return [] }
        guard case .array(let items) = found else { throw Failure(description: "\(at.isEmpty ? "" : at + ".")\(a) is not a list") }
        return items
    }

    static func string(_ o: [String: JSON], _ a: String, _ b: String? = nil, at: String) throws -> String? {
        guard let found = field(o, a, b ?? a) else { return nil }
        guard case .string(let s) = found else { throw Failure(description: "\(at.isEmpty ? "" : at + ".")\(a) is not a string") }
        return s
    }

    /// A JSON integer, or a string of one (proto3's JSON form of 64-bit integers).
    static func integer(_ v: JSON) -> Int64? {
        switch v {
        case .int(let i): i
        case .string(let s): Int64(s)
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: Int64(d)
        default: nil
        }
    }

    static func unsigned(_ o: [String: JSON], _ a: String, _ b: String, at: String) throws -> UInt64? {
        guard let found = field(o, a, b) else { return nil }
        switch found {
        case .int(let i) where i >= 0: return UInt64(i)
        case .unsigned(let u): return u
        case .string(let s): if let v = UInt64(s) { return v }
        default: break
        }
        throw Failure(description: "\(at).\(a) is not a number of nanoseconds")
    }

    /// A trace or span id: hex of `bytes` bytes (an empty string is no id).
    static func id(_ o: [String: JSON], _ a: String, _ b: String, bytes: Int, at: String) throws -> Data {
        guard let found = field(o, a, b) else { return Data() }
        guard case .string(let s) = found else { throw Failure(description: "\(at).\(a) is not a hex string") }
        if s.isEmpty { return Data() }
        let digits = Array(s.utf8)
        guard digits.count == bytes * 2 else { throw Failure(description: "\(at).\(a) is not \(bytes) bytes of hex") }
        var out = Data(capacity: bytes)
        for k in stride(from: 0, to: digits.count, by: 2) {
            guard let hi = hexValue(digits[k]), let lo = hexValue(digits[k + 1]) else {
                throw Failure(description: "\(at).\(a) is not \(bytes) bytes of hex")
            }
            out.append(hi << 4 | lo)
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
