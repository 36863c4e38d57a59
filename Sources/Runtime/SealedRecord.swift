import CBORKit
import WordModel

/// The contents of a sealed file that holds more than a model blob: a CBOR map with text keys, whose
/// `type` names the kind of record (`fl-global`, `fl-update`), plus its fields.
///
/// It is the runtime's own format, not a wire message: reading a field that is missing or mistyped
/// throws a `RuntimeError` that names the file (`sealed/update-3-7.sealed: "serial" is missing`).
struct SealedRecord {
    /// The kind of record, e.g. "fl-update".
    let kind: String
    /// Every field except `type`.
    private(set) var fields: CBORMap
    /// The file it was read from, for errors; empty for a record being written.
    let path: String

    /// A record of `kind` with `fields`, to be written.
    init(kind: String, fields: CBORMap) {
        self.kind = kind
        self.fields = fields
        path = ""
    }

    /// The record of `kind` in `bytes`, read from the file at `path`; throws naming the file unless it is
    /// one CBOR map whose `type` is `kind`.
    init(bytes: [UInt8], kind: String, path: String) throws(RuntimeError) {
        let value: CBORValue
        do {
            value = try CBORDecoder().decode(bytes)
        } catch {
            throw RuntimeError(.sealedFileCorrupt, "\(path): the sealed record is not CBOR: \(error.message)", cause: error)
        }
        guard var map = value.map else {
            throw RuntimeError(.sealedFileCorrupt, "\(path): the sealed record is a CBOR \(value.typeName), not a map")
        }
        guard map[text: "type"]?.text == kind else {
            throw RuntimeError(.sealedFileCorrupt, "\(path): the sealed record is not of type \"\(kind)\"")
        }
        map[text: "type"] = nil
        self.kind = kind
        fields = map
        self.path = path
    }

    /// The `type` of the record in `bytes`, nil if they are not a CBOR map with a text `type`; for files
    /// that may hold one of several kinds (the full check is the init's).
    static func type(of bytes: [UInt8]) -> String? {
        (try? CBORDecoder().decode(bytes))?.map?[text: "type"]?.text
    }

    /// The bytes to seal: the fields with `type` added.
    var bytes: [UInt8] {
        var map = fields
        map[text: "type"] = .text(kind)
        return CBOREncoder.encode(.map(map))
    }

    /// An unsigned integer field.
    func unsigned(_ key: String) throws(RuntimeError) -> UInt64 {
        try field(key, "an unsigned integer") { $0.uint64 }
    }

    /// An unsigned integer field that may be absent: nil when it is.
    func optionalUnsigned(_ key: String) throws(RuntimeError) -> UInt64? {
        fields[text: key] == nil ? nil : try unsigned(key)
    }

    /// A text field.
    func text(_ key: String) throws(RuntimeError) -> String {
        try field(key, "a text string") { $0.text }
    }

    /// A text field that may be absent: nil when it is.
    func optionalText(_ key: String) throws(RuntimeError) -> String? {
        fields[text: key] == nil ? nil : try text(key)
    }

    /// A byte string field that may be absent: nil when it is.
    func optionalBytes(_ key: String) throws(RuntimeError) -> [UInt8]? {
        fields[text: key] == nil ? nil : try field(key, "a byte string") { $0.bytes }
    }

    /// An array field that may be absent: nil when it is.
    func optionalArray(_ key: String) throws(RuntimeError) -> [CBORValue]? {
        fields[text: key] == nil ? nil : try field(key, "an array") { $0.array }
    }

    /// A number field that may be absent: nil when it is.
    func optionalDouble(_ key: String) throws(RuntimeError) -> Double? {
        fields[text: key] == nil ? nil : try field(key, "a number") { $0.double }
    }

    /// The validation list in field `key`, nil when it is absent; throws naming the file if it is not a
    /// list of validation words.
    func optionalValidation(_ key: String) throws(RuntimeError) -> ValidationSet? {
        guard fields[text: key] != nil else { return nil }
        let items = try field(key, "an array of text strings") { $0.array }
        var words: [String] = []
        for item in items {
            guard let word = item.text else { throw corrupt("\"\(key)\" must hold text strings only, not a \(item.typeName)") }
            words.append(word)
        }
        do {
            return try ValidationSet(words: words)
        } catch {
            // Not the reason: it would name a word, and validation words are never logged.
            throw corrupt("\"\(key)\" is not a list of 1 to \(ValidationSet.maximumWords) words of five alphabet symbols")
        }
    }

    /// Sets the field `key` of a record being written to the words of `validation`.
    mutating func set(_ key: String, validation: ValidationSet) {
        fields[text: key] = .array(validation.words.map { .text($0) })
    }

    /// Sets the field `key` of a record being written.
    mutating func set(_ key: String, _ value: CBORValue) {
        fields[text: key] = value
    }

    /// A model blob field, decoded.
    func model(_ key: String) throws(RuntimeError) -> ModelBlob {
        let bytes = try field(key, "a byte string") { $0.bytes }
        do {
            return try ModelBlob(bytes: bytes)
        } catch {
            throw corrupt("its model does not decode: \(error)", cause: error)
        }
    }

    /// The error for a record whose contents are wrong: the file, then `reason`.
    func corrupt(_ reason: String, cause: (any Error)? = nil) -> RuntimeError {
        RuntimeError(.sealedFileCorrupt, "\(path): \(reason)", cause: cause)
    }

    private func field<Value>(_ key: String, _ expected: String, _ extract: (CBORValue) -> Value?) throws(RuntimeError) -> Value {
        guard let value = fields[text: key] else { throw corrupt("\"\(key)\" is missing from the \"\(kind)\" record") }
        guard let typed = extract(value) else { throw corrupt("\"\(key)\" must be \(expected), not a \(value.typeName)") }
        return typed
    }
}
