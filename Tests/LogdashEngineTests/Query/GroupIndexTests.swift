import Testing
@testable import LogdashEngine

@Suite struct GroupIndexTests {
    /// The window groups' index finds every (start, ids) it was given, and no other, as a
    /// Dictionary does — through growth, keys of one to four ids, and starts a window apart.
    @Test func theIndexFindsWhatADictionaryFinds() {
        struct Key: Hashable { let start: Int64; let ids: [Int32] }
        var index = GroupIndex(), reference: [Key: Int32] = [:]
        var keys: [Key] = []  // the owner's columns: group g's start and ids
        func find(_ key: Key) -> Int32? {
            index.find(GroupIndex.hash(start: key.start, ids: key.ids)) { keys[Int($0)] == key }
        }
        var rng = SplitMix64(seed: 3)
        for n in 0..<20_000 {
            let key = Key(start: Int64(rng.int(0, 500)) * 60_000_000_000, ids: (0..<(1 + n % 4)).map { _ in Int32(rng.int(0, 40)) })
            if find(key) == nil {
                let g = Int32(keys.count)
                keys.append(key)
                index.insert(g, hash: GroupIndex.hash(start: key.start, ids: key.ids))
                reference[key] = g
            }
            #expect(find(key) == reference[key])
        }
        #expect(index.count == reference.count)
        for (key, value) in reference { #expect(find(key) == value) }
        #expect(find(Key(start: -1, ids: [1, 2, 3, 4, 5])) == nil)
    }
}
