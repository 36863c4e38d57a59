/// A CBOR map: entries in the order received or built, with no two keys equal.
///
/// Lookups scan the entries: the maps met here (claims, headers, messages) have a
/// few dozen keys at most, where a scan beats hashing every key.
public struct CBORMap: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One key and its value.
    public typealias Entry = (key: CBORValue, value: CBORValue)

    /// The entries, in order; keys are unique.
    public private(set) var entries: [Entry]

    /// An empty map.
    public init() {
        entries = []
    }

    /// A map of these entries in this order; throws `.duplicateMapKey` if two keys are equal.
    public init(_ entries: [Entry]) throws(CBORError) {
        var checked = MapEntries()
        checked.reserve(entries.count)
        for (position, entry) in entries.enumerated() {
            guard checked.add(entry.key) else {
                throw CBORError(
                    .duplicateMapKey, offset: nil,
                    message: "duplicate map key \(entry.key.shortDescription) (entry \(position))")
            }
            _ = checked.add(entry.value)
        }
        self.entries = checked.entries
    }

    /// Adopts entries whose keys the caller has already checked for uniqueness.
    init(checkedEntries entries: [Entry]) {
        self.entries = entries
    }

    /// A map literal; like `Dictionary`, a literal with a repeated key is a programming error.
    public init(dictionaryLiteral elements: (CBORValue, CBORValue)...) {
        do {
            try self.init(elements.map { (key: $0.0, value: $0.1) })
        } catch {
            preconditionFailure("CBORMap literal: \(error.message)")
        }
    }

    /// The number of entries.
    public var count: Int { entries.count }

    /// True if the map has no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The keys, in order.
    public var keys: [CBORValue] { entries.map(\.key) }

    /// The value for a key; setting nil removes the entry, setting a new key appends it.
    public subscript(key: CBORValue) -> CBORValue? {
        get {
            entries.first { $0.key == key }?.value
        }
        set {
            let position = entries.firstIndex { $0.key == key }
            switch (position, newValue) {
            case (let position?, let value?): entries[position].value = value
            case (let position?, nil): entries.remove(at: position)
            case (nil, let value?): entries.append((key, value))
            case (nil, nil): break
            }
        }
    }

    /// The value for a text key, compared by UTF-8 bytes; settable like `subscript(key:)`.
    public subscript(text key: String) -> CBORValue? {
        get {
            for entry in entries {
                if case .text(let candidate) = entry.key, candidate.utf8.elementsEqual(key.utf8) { return entry.value }
            }
            return nil
        }
        set {
            self[.text(key)] = newValue
        }
    }

    /// The value for an integer key (positive or negative); settable like `subscript(key:)`.
    public subscript(int key: Int) -> CBORValue? {
        get { self[CBORValue(key)] }
        set { self[CBORValue(key)] = newValue }
    }

    /// Iterates over the entries in order.
    public func makeIterator() -> IndexingIterator<[Entry]> {
        entries.makeIterator()
    }
}

/// Two maps are equal when they hold the same entries, in any order: CBOR maps are unordered.
extension CBORMap: Hashable {
    /// Order-insensitive equality of entries.
    public static func == (lhs: CBORMap, rhs: CBORMap) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count <= 32 {
            return lhs.entries.allSatisfy { rhs[$0.key] == $0.value }
        }
        var right = [CBORValue: CBORValue](minimumCapacity: rhs.count)
        for entry in rhs.entries { right[entry.key] = entry.value }
        return lhs.entries.allSatisfy { right[$0.key] == $0.value }
    }

    /// Hashes the entries independently of their order.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for entry in entries {
            var entryHasher = Hasher()
            entryHasher.combine(entry.key)
            entryHasher.combine(entry.value)
            sum &+= entryHasher.finalize()
        }
        hasher.combine(count)
        hasher.combine(sum)
    }
}

/// Entries under construction, refusing a key equal to one already present.
///
/// While the map is small, a new key is compared with the earlier keys' fingerprints (plain
/// integers, so the scan copies no values) and only fully on a fingerprint match; a large
/// map switches to a set, so that a hostile map stays linear.
struct MapEntries {
    private static let scanLimit = 16
    private(set) var entries: [CBORMap.Entry] = []
    /// A key whose value has not arrived yet.
    private(set) var pendingKey: CBORValue?
    private var fingerprints: [UInt64] = []
    private var keySet: Set<CBORValue>?

    /// Takes keys and values in turn; false (and nothing recorded) for a key equal to an earlier one.
    mutating func add(_ item: consuming CBORValue) -> Bool {
        if let key = pendingKey.take() {
            entries.append((key, item))
            return true
        }
        guard admit(item) else { return false }
        pendingKey = consume item
        return true
    }

    /// Room for `count` entries, for lengths already checked against the input.
    mutating func reserve(_ count: Int) {
        entries.reserveCapacity(count)
        fingerprints.reserveCapacity(min(count, Self.scanLimit))
    }

    private mutating func admit(_ key: CBORValue) -> Bool {
        if keySet == nil {
            if entries.count < Self.scanLimit {
                let fingerprint = Self.fingerprint(key)
                for index in fingerprints.indices where fingerprints[index] == fingerprint {
                    if entries[index].key == key { return false }
                }
                fingerprints.append(fingerprint)
                return true
            }
            keySet = Set(entries.lazy.map(\.key))
        }
        return keySet?.insert(key).inserted ?? false
    }

    /// Equal keys have equal fingerprints; unequal keys usually differ.
    private static func fingerprint(_ key: CBORValue) -> UInt64 {
        switch key {
        case .unsigned(let value): value
        case .negative(let value): ~value
        case .text(let text): 0x7e << 56 ^ UInt64(text.utf8.count) << 8 ^ UInt64(text.utf8.first ?? 0)
        case .bytes(let bytes): 0x5e << 56 ^ UInt64(bytes.count) << 8 ^ UInt64(bytes.first ?? 0)
        case .tagged(let tag, _): 0xde << 56 ^ tag
        case .float(let value): value.isNaN ? Double.nan.bitPattern : value.bitPattern
        default: 0xff << 56
        }
    }
}
