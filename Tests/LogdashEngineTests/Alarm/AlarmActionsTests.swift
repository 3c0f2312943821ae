import Foundation
import Testing
@testable import LogdashEngine

@Suite struct AlarmActionsTests {
    /// A transition's JSON line is what Foundation writes for the same object (sorted keys,
    /// slashes unescaped): quotes, backslashes, newlines and non-ASCII text escaped alike.
    @Test func aTransitionsJSONIsFoundationsForTheSameObject() throws {
        let transitions = [
            AlarmTracker.Transition(alarm: "5xx/api", at: 1_795_788_060_000_000_000, from: .insufficientData, to: .alarm,
                                    reason: "Threshold \"Crossed\": 2 of [57.037, 66] \\ tab\there\nnext — ünïcode", value: 57.03703703703704),
            AlarmTracker.Transition(alarm: "errors[db]", at: 0, from: .ok, to: .alarm, reason: "", value: 66),
            AlarmTracker.Transition(alarm: "incident", at: -1, from: .alarm, to: .ok, reason: "Composite rule no longer holds", value: nil),
            AlarmTracker.Transition(alarm: "tiny", at: 5, from: .ok, to: .alarm, reason: "x", value: 1.5e-7),
        ]
        for t in transitions {
            var object: [String: Any] = ["time": Timestamp.iso8601(t.at), "alarm": t.alarm, "old_state": t.from.rawValue,
                                         "new_state": t.to.rawValue, "reason": t.reason]
            if let v = t.value { object["value"] = v }
            let foundation = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            let ours = AlarmActionRunner.json(t)
            #expect(String(decoding: ours, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
        }
    }
}
