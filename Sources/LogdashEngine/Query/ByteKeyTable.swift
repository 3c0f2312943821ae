import CPrefetch

/// Keys made of bytes, each standing for a number, in one open-addressed table: the keys'
/// bytes side by side in one arena, each slot the hash's top half beside its entry, so that a
/// probe that misses reads nothing else. `ByteKeyedGroups` numbers groups with it; a join's
/// index (`JoinIndex`) and an `IN` list of strings look a plain string column's rows up in one
/// without making a `String` per row.
struct ByteKeyTable: Sendable {
    /// A key's bytes in `arena`, and the number it stands for (a group, a row).
    struct Entry: Sendable { var start: UInt32; var count: UInt32; var group: Int32 }

    /// 0: empty; else the hash's top 32 bits, then the entry's index + 1.
    var slots = [UInt64](repeating: 0, count: 1024)
    var entries: [Entry] = []
    var arena: [UInt8] = []

    init() {}

    /// A table sized for `capacity` keys without growing.
    init(capacity: Int) {
        var n = 1024
        while n < capacity * 2 + 2 { n <<= 1 }
        slots = [UInt64](repeating: 0, count: n)
        entries.reserveCapacity(capacity)
    }

    init(slots: [UInt64], entries: [Entry], arena: [UInt8]) {
        self.slots = slots
        self.entries = entries
        self.arena = arena
    }

    /// Eight bytes at a time, each word multiplied in and folded (a splitmix-style mix), the
    /// last few bytes as one word, then a final avalanche so that the top half (the slot's
    /// tag) and the low bits (its place) both depend on every byte.
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(n) &* 0xff51_afd7_ed55_8ccd)
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xbf58_476d_1ce4_e5b9
            h ^= h >> 31
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            for k in i..<n { w |= UInt64(p[k]) << UInt64((k - i) &* 8) }
            h = (h ^ w) &* 0x94d0_49bb_1331_11eb
            h ^= h >> 29
        }
        h = (h ^ (h >> 32)) &* 0xd6e8_feb8_6659_fd93
        return h ^ (h >> 32)
    }

    @inline(__always)
    mutating func group(_ p: UnsafePointer<UInt8>, _ n: Int, make: (ByteLine, Int32) -> Int32) -> Int32 {
        group(p, n, hash: ByteKeyTable.hash(p, n), make: make)
    }

    @inline(__always)
    mutating func group(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, make: (ByteLine, Int32) -> Int32) -> Int32 {
        let tag = h >> 32
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { break }
            if slot >> 32 == tag {
                let e = entries[Int(slot & 0xFFFF_FFFF) - 1]
                if Int(e.count) == n, n == 0 || arena.withUnsafeBufferPointer({ bytesEqual($0.baseAddress! + Int(e.start), p, n) }) {
                    return e.group
                }
            }
            i = (i + 1) & mask
        }
        let g = make(ByteLine(base: p, count: n), Int32(entries.count))
        entries.append(Entry(start: UInt32(arena.count), count: UInt32(n), group: g))
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        slots[i] = tag << 32 | UInt64(entries.count)
        if entries.count * 2 > slots.count {
            slots = [UInt64](repeating: 0, count: slots.count * 2)
            mask = slots.count - 1
            arena.withUnsafeBufferPointer { a in
                let base = a.baseAddress ?? UnsafePointer(bitPattern: 1)!
                for (k, e) in entries.enumerated() {
                    let hk = ByteKeyTable.hash(base + Int(e.start), Int(e.count))
                    var j = Int(truncatingIfNeeded: hk ^ (hk >> 29)) & mask
                    while slots[j] != 0 { j = (j + 1) & mask }
                    slots[j] = (hk >> 32) << 32 | UInt64(k + 1)
                }
            }
        }
        return g
    }

    /// The table's arrays as pointers, for a loop of lookups without reference counting (a
    /// table read by several threads at once would otherwise bounce its arrays' counts
    /// between the cores on every row).
    struct Reader {
        let slots: UnsafeBufferPointer<UInt64>
        let entries: UnsafeBufferPointer<Entry>
        let arena: UnsafePointer<UInt8>

        /// The number of the key with these bytes, or -1 when there is none.
        @inline(__always)
        func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int32 {
            let tag = h >> 32
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while true {
                let slot = slots[i]
                if slot == 0 { return -1 }
                if slot >> 32 == tag {
                    let e = entries[Int(slot & 0xFFFF_FFFF) - 1]
                    if Int(e.count) == n, n == 0 || bytesEqual(arena + Int(e.start), p, n) { return e.group }
                }
                i = (i + 1) & mask
            }
        }
    }

    /// Lookups through a `Reader` (nothing is added: a table built once can be read from
    /// several threads).
    func withReader<R>(_ body: (Reader) throws -> R) rethrows -> R {
        try slots.withUnsafeBufferPointer { s in
            try entries.withUnsafeBufferPointer { e in
                try arena.withUnsafeBufferPointer { a in
                    try body(Reader(slots: s, entries: e, arena: a.baseAddress ?? UnsafePointer(bitPattern: 1)!))
                }
            }
        }
    }

    /// Whether bytes are all ASCII, eight at a time.
    @inline(__always) static func isASCII(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let raw = UnsafeRawPointer(p)
        var high: UInt64 = 0, i = 0
        while i + 8 <= n {
            high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < n { high |= UInt64(p[i]); i += 1 }
        return high & 0x8080_8080_8080_8080 == 0
    }
}

extension ByteKeyTable {
    /// The number each row of a plain string column finds (-1: none, or NULL): ASCII rows by
    /// their bytes in two passes (every row's hash first — independent loads the processor
    /// overlaps — then the lookups), any other row through `other` with its text (which may
    /// equal a key in another normalisation form). `rows`: which rows (nil: all `count`).
    func find(in col: SegmentColumn, count: Int, rows: [Int32]?, other: (String) -> Int32) -> [Int32] {
        let total = rows?.count ?? count
        var out = [Int32](repeating: -1, count: total)
        var hashes = [UInt64](repeating: 0, count: total)
        var unusual: [Int] = []
        let validity = col.validity
        @inline(__always) func row(_ i: Int) -> Int { if let rows { Int(rows[i]) } else { i } }
        withReader { reader in
            col.offsets.withUnsafeBufferPointer { offsets in
                col.bytes.withUnsafeBufferPointer { b in
                    hashes.withUnsafeMutableBufferPointer { hs in
                        out.withUnsafeMutableBufferPointer { o in
                            let base = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                            for i in 0..<total {
                                let r = row(i)
                                let start = Int(offsets[r]), n = Int(offsets[r + 1]) - start
                                if !SegmentColumn.valid(validity, r) {
                                    o[i] = -2
                                } else if ByteKeyTable.isASCII(base + start, n) {
                                    hs[i] = ByteKeyTable.hash(base + start, n)
                                } else {
                                    o[i] = -2
                                    unusual.append(i)
                                }
                            }
                            if reader.slots.count <= 1 << 17 {
                                // A table that stays in the cache (1 MiB of slots): no hints.
                                for i in 0..<total where o[i] != -2 {
                                    let r = row(i), start = Int(offsets[r])
                                    o[i] = reader.find(base + start, Int(offsets[r + 1]) - start, hash: hs[i])
                                }
                            } else {
                                // The lookups, each row's memory asked for ahead of it so that the
                                // cache misses of a larger table overlap: 24 rows ahead its slot,
                                // 16 ahead the entry that slot names (when its tag matches), 8
                                // ahead that entry's bytes.
                                let mask = reader.slots.count - 1
                                let slots = reader.slots.baseAddress!, entries = reader.entries.baseAddress ?? UnsafePointer(bitPattern: 8)!
                                @inline(__always) func slot(_ j: Int) -> UInt64? {
                                    guard j < total, o[j] != -2 else { return nil }
                                    let h = hs[j]
                                    return slots[Int(truncatingIfNeeded: h ^ (h >> 29)) & mask]
                                }
                                for i in 0..<total {
                                    if i + 24 < total, o[i + 24] != -2 {
                                        let h = hs[i + 24]
                                        logdash_prefetch(slots + (Int(truncatingIfNeeded: h ^ (h >> 29)) & mask))
                                    }
                                    if let s = slot(i + 16), s != 0, s >> 32 == hs[i + 16] >> 32 {
                                        logdash_prefetch(entries + Int(s & 0xFFFF_FFFF) - 1)
                                    }
                                    if let s = slot(i + 8), s != 0, s >> 32 == hs[i + 8] >> 32 {
                                        logdash_prefetch(reader.arena + Int(entries[Int(s & 0xFFFF_FFFF) - 1].start))
                                    }
                                    guard o[i] != -2 else { continue }
                                    let r = row(i), start = Int(offsets[r])
                                    o[i] = reader.find(base + start, Int(offsets[r + 1]) - start, hash: hs[i])
                                }
                            }
                            for i in 0..<total where o[i] == -2 { o[i] = -1 }
                            for i in unusual {
                                let r = row(i), start = Int(offsets[r])
                                o[i] = other(String(decoding: UnsafeBufferPointer(start: base + start, count: Int(offsets[r + 1]) - start), as: UTF8.self))
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

