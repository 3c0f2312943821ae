import Testing
@testable import LogdashEngine

/// CloudWatch's alarm evaluation (`../shared/reference/aws-semantics.md` §3).
@Suite struct AlarmEvaluatorTests {
    /// Points as the reference writes them: the most recent first; `X` breaches (100 against a
    /// threshold of 90), `0` does not (10), `-` is missing. Returned oldest first.
    static func points(_ text: String) -> [Double?] {
        text.split(separator: " ").reversed().map { $0 == "X" ? 100 : $0 == "0" ? 10 : nil }
    }

    static func rule(_ missing: TreatMissingData, n: Int = 3, m: Int? = nil) -> AlarmRule {
        AlarmRule(evaluationPeriods: n, datapointsToAlarm: m, comparison: .greaterThanThreshold, threshold: 90, treatMissingData: missing)
    }

    /// The reference's golden rows (M = N = 3, five points fetched); nil: the state is kept.
    @Test(arguments: [
        ("- - - - -", [AlarmState.insufficientData, .alarm, .ok, nil]),
        ("0 - - - -", [.ok, .ok, .ok, .ok]),
        ("X - - - -", [.alarm, .alarm, .ok, nil]),
        ("- - - - X", [.insufficientData, .alarm, .ok, nil]),
    ] as [(String, [AlarmState?])])
    func theGoldenTable(_ row: String, _ want: [AlarmState?]) {
        for (treatment, expected) in zip([TreatMissingData.missing, .breaching, .notBreaching, .ignore], want) {
            let v = AlarmEvaluator.evaluate(Self.rule(treatment), points: Self.points(row))
            #expect(v.state == expected, "\(row) with \(treatment.rawValue): \(v.reason)")
        }
    }

    /// More rows by the reference's rules: with N real points in the range, the N most recent
    /// decide whatever the treatment; with fewer, the treatment fills in.
    @Test(arguments: [
        ("X - X - 0", [AlarmState.ok, .ok, .ok, .ok]),
        ("0 - - - -", [.ok, .ok, .ok, .ok]),
        ("X - X X 0", [.alarm, .alarm, .alarm, .alarm]),
        ("- - X - -", [.alarm, nil, .alarm, .ok]),
    ] as [(String, [AlarmState?])])
    func moreRowsByTheSameRules(_ row: String, _ want: [AlarmState?]) {
        for (treatment, expected) in zip([TreatMissingData.missing, .ignore, .breaching, .notBreaching], want) {
            #expect(AlarmEvaluator.evaluate(Self.rule(treatment), points: Self.points(row)).state == expected, "\(row) \(treatment.rawValue)")
        }
    }

    @Test func mOfNNeedNotBeConsecutive() {
        let r = Self.rule(.missing, n: 5, m: 3)
        #expect(AlarmEvaluator.evaluate(r, points: Self.points("X 0 X 0 X")).state == .alarm)
        #expect(AlarmEvaluator.evaluate(r, points: Self.points("X 0 0 0 X")).state == .ok)
        // Only the N most recent real points count when there are enough.
        #expect(AlarmEvaluator.evaluate(Self.rule(.missing, n: 2, m: 2), points: Self.points("0 X X X X")).state == .ok)
    }

    @Test func comparisonsAndBands() {
        #expect(AlarmComparison.greaterThanOrEqualToThreshold.breaches(90, threshold: 90))
        #expect(!AlarmComparison.greaterThanThreshold.breaches(90, threshold: 90))
        #expect(AlarmComparison.lessThanThreshold.breaches(1, threshold: 2))
        #expect(AlarmComparison.lessThanOrEqualToThreshold.breaches(2, threshold: 2))
        #expect(AlarmComparison.lessThanLowerOrGreaterThanUpperThreshold.breaches(11, threshold: 0, band: 0...10))
        #expect(!AlarmComparison.lessThanLowerOrGreaterThanUpperThreshold.breaches(5, threshold: 0, band: 0...10))
        #expect(AlarmComparison.lessThanLowerThreshold.breaches(-1, threshold: 0, band: 0...10))
        #expect(!AlarmComparison.greaterThanUpperThreshold.breaches(-1, threshold: 0, band: 0...10))
        let band = AlarmRule(evaluationPeriods: 2, comparison: .greaterThanUpperThreshold, threshold: 0)
        #expect(AlarmEvaluator.evaluate(band, points: [20, 30], bands: [0...25, 0...25]).state == .ok)
        #expect(AlarmEvaluator.evaluate(band, points: [26, 30], bands: [0...25, 0...25]).state == .alarm)
    }

    @Test func aNewAlarmStartsInsufficientAndOnlyChangesAreTransitions() {
        var t = AlarmTracker(name: "5xx", rule: Self.rule(.missing))
        #expect(t.state == .insufficientData)
        let first = t.evaluate(points: Self.points("X X X"), at: 1)
        #expect(first?.from == .insufficientData && first?.to == .alarm)
        #expect(first?.reason == "Threshold Crossed: 3 out of the last 3 datapoints [100, 100, 100] were greater than the threshold (90) (minimum 3 datapoints for ALARM)")
        #expect(t.evaluate(points: Self.points("X X X"), at: 2) == nil)  // no change, no action
        #expect(t.evaluate(points: Self.points("0 X X"), at: 3)?.to == .ok)
        var kept = AlarmTracker(name: "k", rule: Self.rule(.ignore))
        _ = kept.evaluate(points: Self.points("X X X"), at: 1)
        #expect(kept.evaluate(points: Self.points("- - - - -"), at: 2) == nil && kept.state == .alarm)
    }
}

@Suite struct CompositeRuleTests {
    @Test func rulesParseWithCloudWatchsPrecedenceAndHoldByState() throws {
        let r = try CompositeRule.parse("ALARM(cpu) AND NOT OK(disk) OR INSUFFICIENT_DATA(\"web 5xx\")")
        #expect(r == .or(.and(.state(.alarm, "cpu"), .not(.state(.ok, "disk"))), .state(.insufficientData, "web 5xx")))
        #expect(r.references == ["cpu", "disk", "web 5xx"])
        #expect(r.holds(["cpu": .alarm, "disk": .alarm, "web 5xx": .ok]))
        #expect(!r.holds(["cpu": .alarm, "disk": .ok, "web 5xx": .ok]))
        #expect(r.holds(["cpu": .ok, "disk": .ok]))  // web 5xx unknown yet: INSUFFICIENT_DATA
        let nested = try CompositeRule.parse("alarm(a) and (ok(b) or not (alarm(c) or FALSE)) or TRUE")
        #expect(nested.holds([:]))
    }

    @Test(arguments: [
        ("ALARM(a) AND", "expected ALARM(name)"), ("ALARM a", "expected '(' and an alarm name"), ("ALARM()", "an alarm name goes"),
        ("(ALARM(a)", "expected ')'"), ("ALARM(a) ALARM(b)", "expected AND, OR or the end"), ("MAYBE(a)", "expected ALARM(name)"),
    ])
    func badRulesSayWhatWasExpectedAndWhere(_ text: String, _ message: String) {
        do {
            _ = try CompositeRule.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func cyclesAndUnknownNamesAreRejected() throws {
        let ok: [String: CompositeRule] = ["both": try .parse("ALARM(cpu) AND ALARM(mem)"), "any": try .parse("ALARM(both) OR ALARM(disk)")]
        try CompositeRule.check(ok, known: ["cpu", "mem", "disk"])
        let cycle: [String: CompositeRule] = ["a": try .parse("ALARM(b)"), "b": try .parse("OK(c) OR ALARM(cpu)"), "c": try .parse("NOT ALARM(a)")]
        #expect(throws: CompositeRule.ParseError(message: "composite alarms form a cycle: a → b → c → a", position: 0)) {
            try CompositeRule.check(cycle, known: ["cpu"])
        }
        #expect(throws: CompositeRule.ParseError(message: "composite alarm 'x' names 'nope', which is no alarm", position: 0)) {
            try CompositeRule.check(["x": try .parse("ALARM(nope)")], known: ["cpu"])
        }
        #expect(throws: CompositeRule.ParseError.self) { try CompositeRule.check(["self": try .parse("ALARM(self)")], known: []) }
    }
}
