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
            guard checked.admit(entry.key) else {
                throw CBORError(
                    .duplicateMapKey, offset: nil,
                    message: "duplicate map key \(entry.key.shortDescription) (entry \(position))")
            }
            checked.append(entry.key, entry.value)
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

/// Entries under construction, refusing a key equal to one already present: a scan
/// while the map is small, a set once it is large (so a hostile map stays linear).
struct MapEntries {
    private static let scanLimit = 16
    private(set) var entries: [CBORMap.Entry] = []
    private var keySet: Set<CBORValue>?

    /// Records `key` as the next key; false if an equal key is already present.
    mutating func admit(_ key: CBORValue) -> Bool {
        if keySet == nil {
            if entries.count < Self.scanLimit {
                return !entries.contains { $0.key == key }
            }
            keySet = Set(entries.lazy.map(\.key))
        }
        return keySet?.insert(key).inserted ?? false
    }

    /// Appends an entry whose key `admit` accepted.
    mutating func append(_ key: CBORValue, _ value: CBORValue) {
        entries.append((key, value))
    }

    /// Room for `count` entries, for lengths already checked against the input.
    mutating func reserve(_ count: Int) {
        entries.reserveCapacity(count)
    }
}
