/// CloudWatch alarm semantics: states, M out of N data points, and the treatment of missing
/// data (`../shared/reference/aws-semantics.md` §3, its golden table in the tests).
public enum AlarmState: String, Sendable, CaseIterable {
    case ok = "OK"
    case alarm = "ALARM"
    case insufficientData = "INSUFFICIENT_DATA"
}

public enum AlarmComparison: String, Sendable, CaseIterable {
    case greaterThanOrEqualToThreshold = "GreaterThanOrEqualToThreshold"
    case greaterThanThreshold = "GreaterThanThreshold"
    case lessThanThreshold = "LessThanThreshold"
    case lessThanOrEqualToThreshold = "LessThanOrEqualToThreshold"
    /// Anomaly bands: the point is compared with a band's lower and upper edges.
    case lessThanLowerOrGreaterThanUpperThreshold = "LessThanLowerOrGreaterThanUpperThreshold"
    case lessThanLowerThreshold = "LessThanLowerThreshold"
    case greaterThanUpperThreshold = "GreaterThanUpperThreshold"

    public var isBand: Bool {
        switch self {
        case .lessThanLowerOrGreaterThanUpperThreshold, .lessThanLowerThreshold, .greaterThanUpperThreshold: true
        default: false
        }
    }

    /// Whether `value` breaches: against `threshold`, or for a band against its edges.
    public func breaches(_ value: Double, threshold: Double, band: ClosedRange<Double>? = nil) -> Bool {
        switch self {
        case .greaterThanOrEqualToThreshold: value >= threshold
        case .greaterThanThreshold: value > threshold
        case .lessThanThreshold: value < threshold
        case .lessThanOrEqualToThreshold: value <= threshold
        case .lessThanLowerOrGreaterThanUpperThreshold: band.map { value < $0.lowerBound || value > $0.upperBound } ?? false
        case .lessThanLowerThreshold: band.map { value < $0.lowerBound } ?? false
        case .greaterThanUpperThreshold: band.map { value > $0.upperBound } ?? false
        }
    }

    /// "greater than the threshold (90)", as CloudWatch's reasons say it.
    var phrase: String {
        switch self {
        case .greaterThanOrEqualToThreshold: "greater than or equal to the threshold"
        case .greaterThanThreshold: "greater than the threshold"
        case .lessThanThreshold: "less than the threshold"
        case .lessThanOrEqualToThreshold: "less than or equal to the threshold"
        case .lessThanLowerOrGreaterThanUpperThreshold: "outside the band"
        case .lessThanLowerThreshold: "less than the band's lower edge"
        case .greaterThanUpperThreshold: "greater than the band's upper edge"
        }
    }
}

public enum TreatMissingData: String, Sendable, CaseIterable {
    case missing, notBreaching, breaching, ignore
}

/// What an alarm compares, and how many data points decide.
public struct AlarmRule: Sendable, Equatable {
    public var evaluationPeriods: Int
    public var datapointsToAlarm: Int
    public var comparison: AlarmComparison
    public var threshold: Double
    public var treatMissingData: TreatMissingData
    /// For the anomaly-band comparisons: the band's half-width in standard deviations (k of
    /// CloudWatch's `ANOMALY_DETECTION_BAND(m, k)`).
    public var bandWidth: Double?

    public init(evaluationPeriods: Int, datapointsToAlarm: Int? = nil, comparison: AlarmComparison, threshold: Double,
                treatMissingData: TreatMissingData = .missing, bandWidth: Double? = nil) {
        self.evaluationPeriods = max(1, evaluationPeriods)
        self.datapointsToAlarm = min(self.evaluationPeriods, max(1, datapointsToAlarm ?? evaluationPeriods))
        self.comparison = comparison
        self.threshold = threshold
        self.treatMissingData = treatMissingData
        self.bandWidth = bandWidth
    }
}

/// The expected range of a metric's point, an approximation of CloudWatch's anomaly detection
/// (whose model is not public): the mean ± k standard deviations of the same period's points
/// on earlier days (the same time of day, up to 14 days back, at least 3 of them) — seasonal
/// by hour of day — or, without that much history, of the 60 periods before it (at least 5).
/// The band is at least 2 % of the mean (or 0.5) wide on each side, so that a flat series
/// does not alarm on the least change. nil: not enough history — the point does not breach.
public enum AnomalyBand {
    public static let day: Int64 = 86_400_000_000_000

    public static func band(values: [Int64: Double], at t: Int64, period p: Int64, k: Double) -> ClosedRange<Double>? {
        var sample = (1...14).compactMap { values[t - Int64($0) * day] }
        if sample.count < 3 {
            sample = (1...60).compactMap { values[t - Int64($0) * p] }
            guard sample.count >= 5 else { return nil }
        }
        let mean = sample.reduce(0, +) / Double(sample.count)
        let variance = sample.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(sample.count)
        let half = max(k * variance.squareRoot(), max(0.02 * abs(mean), 0.5))
        return (mean - half)...(mean + half)
    }
}

/// One evaluation: the state the points call for (nil: keep the current one, as `ignore`
/// does when they cannot decide) and why, in CloudWatch's words.
public struct AlarmVerdict: Sendable, Equatable {
    public var state: AlarmState?
    /// Why, in words made when asked for (most evaluations change nothing, and say nothing).
    public var reason: String { why() }
    private let why: @Sendable () -> String

    init(state: AlarmState?, reason why: @escaping @Sendable () -> String) {
        self.state = state
        self.why = why
    }

    public static func == (a: AlarmVerdict, b: AlarmVerdict) -> Bool { a.state == b.state && a.reason == b.reason }
}

public enum AlarmEvaluator {
    /// Evaluates the data points of the evaluation range, oldest first (nil: a period with no
    /// data point), as CloudWatch does:
    ///
    /// - with at least N real points in the range, the N most recent decide, and missing data
    ///   plays no part: ALARM when at least M of them breach, else OK;
    /// - otherwise `treatMissingData` says: `missing` — only the most recent N periods count,
    ///   INSUFFICIENT_DATA when none of them has a point, else ALARM when the points there all
    ///   breach or reach M; `breaching` / `notBreaching` — as few missing periods as needed
    ///   (the most recent first) are filled as breaching / not breaching to make N points;
    ///   `ignore` — the state is kept unless the real points settle it (M breach: ALARM; too
    ///   few could breach even if every missing one did: OK).
    public static func evaluate(_ rule: AlarmRule, points: [Double?], bands: [ClosedRange<Double>?]? = nil) -> AlarmVerdict {
        let n = rule.evaluationPeriods, m = rule.datapointsToAlarm
        func breaching(_ i: Int) -> Bool {
            guard let v = points[i] else { return false }
            return rule.comparison.breaches(v, threshold: rule.threshold, band: bands?[i] ?? nil)
        }
        let real = points.indices.filter { points[$0] != nil }
        if real.count >= n {
            let used = Array(real.suffix(n))
            let count = used.filter(breaching).count
            return verdict(count >= m ? .alarm : .ok, used: used, breaching: count, rule, points)
        }
        switch rule.treatMissingData {
        case .missing:
            let window = points.indices.suffix(n).filter { points[$0] != nil }
            guard !window.isEmpty else {
                return AlarmVerdict(state: .insufficientData) { "Insufficient Data: no datapoints were received for \(n) period\(n == 1 ? "" : "s")" }
            }
            let count = window.filter(breaching).count
            return verdict(count >= min(m, window.count) ? .alarm : .ok, used: window, breaching: count, rule, points)
        case .breaching, .notBreaching:
            // The real points, and the most recent missing periods filled, up to N.
            let missing = points.indices.filter { points[$0] == nil }.suffix(n - real.count)
            let count = real.filter(breaching).count + (rule.treatMissingData == .breaching ? missing.count : 0)
            return verdict(count >= m ? .alarm : .ok, used: real, breaching: count, rule, points,
                           filled: (missing.count, rule.treatMissingData == .breaching))
        case .ignore:
            let count = real.filter(breaching).count
            if count >= m { return verdict(.alarm, used: real, breaching: count, rule, points) }
            if count + (n - real.count) < m { return verdict(.ok, used: real, breaching: count, rule, points) }
            let present = real.count
            return AlarmVerdict(state: nil) { "Missing data ignored: \(present) of \(n) datapoints present, the state is kept" }
        }
    }

    static func verdict(_ state: AlarmState, used: [Int], breaching: Int, _ rule: AlarmRule, _ points: [Double?],
                        filled: (count: Int, breaching: Bool)? = nil) -> AlarmVerdict {
        AlarmVerdict(state: state) { reason(used: used, breaching: breaching, rule, points, filled: filled) }
    }

    private static func reason(used: [Int], breaching: Int, _ rule: AlarmRule, _ points: [Double?], filled: (count: Int, breaching: Bool)?) -> String {
        let values = used.map { points[$0].map { Value.format(($0 * 1000).rounded() / 1000) } ?? "-" }.joined(separator: ", ")
        var reason = "Threshold Crossed: \(breaching) out of the last \(rule.evaluationPeriods) datapoints [\(values)]"
        if let filled, filled.count > 0 { reason += " (\(filled.count) missing treated as \(filled.breaching ? "breaching" : "not breaching"))" }
        if rule.comparison.isBand {
            reason += " \(breaching == 1 ? "was" : "were") \(rule.comparison.phrase) (mean ± \(Value.format(rule.bandWidth ?? 2))σ)"
        } else {
            reason += " \(breaching == 1 ? "was" : "were") \(rule.comparison.phrase) (\(Value.format(rule.threshold)))"
        }
        reason += " (minimum \(rule.datapointsToAlarm) datapoint\(rule.datapointsToAlarm == 1 ? "" : "s") for ALARM)"
        return reason
    }
}

/// An alarm's state over time: a new one starts in INSUFFICIENT_DATA; an evaluation that
/// calls for another state is a transition (what actions fire on), one that agrees is not.
public struct AlarmTracker: Sendable {
    public let name: String
    public let rule: AlarmRule
    public private(set) var state: AlarmState = .insufficientData

    public struct Transition: Sendable, Equatable {
        public var alarm: String
        public var at: Int64
        public var from: AlarmState
        public var to: AlarmState
        public var reason: String
        /// The most recent data point of the evaluation (nil: none, or a composite).
        public var value: Double?
    }

    public init(name: String, rule: AlarmRule) {
        self.name = name
        self.rule = rule
    }

    /// Evaluates at event time `at`; the transition, when the state changes.
    public mutating func evaluate(points: [Double?], at: Int64, bands: [ClosedRange<Double>?]? = nil) -> Transition? {
        let v = AlarmEvaluator.evaluate(rule, points: points, bands: bands)
        guard let next = v.state, next != state else { return nil }
        defer { state = next }
        return Transition(alarm: name, at: at, from: state, to: next, reason: v.reason, value: points.last { $0 != nil } ?? nil)
    }
}
