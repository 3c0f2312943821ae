import Testing
@testable import LogdashEngine

@Suite struct GroupIndexTests {
    /// The window groups' index finds every key it was given, and no other, as a Dictionary
    /// does — through growth, keys of one to four ids, and starts a window apart.
    @Test func theIndexFindsWhatADictionaryFinds() {
        var index = GroupIndex(), reference: [GroupKey: Int32] = [:]
        var rng = SplitMix64(seed: 3)
        for n in 0..<20_000 {
            let ids = (0..<(1 + n % 4)).map { _ in Int32(rng.int(0, 40)) }
            let key = GroupKey(ids, start: Int64(rng.int(0, 500)) * 60_000_000_000, end: n % 3 == 0 ? Int64(rng.int(0, 5)) : 0)
            if index[key] == nil { index[key] = Int32(n); reference[key] = Int32(n) }
            #expect(index[key] == reference[key])
        }
        #expect(index.count == reference.count)
        for (key, value) in reference { #expect(index[key] == value) }
        #expect(index[GroupKey([1, 2, 3, 4, 5], start: -1, end: 0)] == nil)
    }
}
