public import Channel
internal import ByteKit

// `anchor-read` and `anchor-advance`: the runtime reads and advances the freshness anchor of its sealed
// state at the certifier (docs/freshness.md). Only a peer admitted as `runtime` is served.

/// The anchored version of a federation's sealed state and the digest of the state at that version.
public struct AnchorState: Sendable, Equatable, CustomStringConvertible {
    /// The monotonic counter: the version of the latest anchored state.
    public let version: UInt64
    /// SHA-256 of that state (docs/freshness.md, "Digest").
    public let digest: [UInt8]

    /// The anchor at `version` with `digest`.
    public init(version: UInt64, digest: [UInt8]) {
        self.version = version
        self.digest = digest
    }

    /// "version 12 (digest 1a2b3c4d...)".
    public var description: String { "version \(version) (digest \(Hex.short(digest)))" }

    /// What an anchor holding `stored` (nil: none yet) does with a request to advance `from` (nil: create)
    /// `to`: the one compare-and-swap rule, for the certifier and for in-memory anchors alike.
    public static func decide(stored: AnchorState?, from: AnchorState?, to: AnchorState) -> AdvanceDecision {
        // A repeated advance whose answer was lost finds its own result there: it succeeded.
        if stored == to { return .alreadyThere }
        guard stored == from else {
            let held = stored.map { "holds \($0)" } ?? "holds no anchor"
            let expected = from.map { "\($0)" } ?? "no anchor"
            return .conflict("the certifier \(held), not \(expected) as the runtime expected")
        }
        if let from, to.version <= from.version {
            return .conflict("version \(to.version) does not follow version \(from.version): the counter only goes up")
        }
        return .apply
    }

    /// The anchor in `message`'s fields `versionField` and `digestField`; throws `bad-request` unless the
    /// digest is a SHA-256 and the version below the counter's maximum: a longer digest would make an
    /// anchor file the certifier can no longer read, and a version at the maximum one that can never advance.
    static func decode(_ message: Message, version versionField: String, digest digestField: String) throws(ChannelError) -> AnchorState {
        let version = try message.unsigned(versionField)
        let digest = try message.bytes(digestField)
        guard digest.count == digestSize else {
            throw ChannelError(.badRequest, "\"\(digestField)\" has \(digest.count) bytes, not the \(digestSize) of a SHA-256")
        }
        guard version < UInt64.max else { throw ChannelError(.badRequest, "\"\(versionField)\" is \(version), the counter's maximum") }
        return AnchorState(version: version, digest: digest)
    }

    /// The size of a digest: SHA-256.
    static let digestSize = 32

    /// What `decide` says.
    public enum AdvanceDecision: Sendable, Equatable {
        /// Store the new anchor.
        case apply
        /// The anchor is already at the target: nothing to store, answer as if stored.
        case alreadyThere
        /// Refuse; the text says what the anchor holds.
        case conflict(String)
    }
}

/// `{"type": "anchor-read", "federation": text}`, from the runtime to the certifier.
public struct AnchorReadRequest: TypedMessage, Equatable {
    public static let type = "anchor-read"
    /// The federation id (the policy's `federation`).
    public let federation: String

    /// A request for the anchor of `federation`.
    public init(federation: String) {
        self.federation = federation
    }

    public init(fields message: Message) throws(ChannelError) {
        federation = try message.text("federation")
    }

    public var frame: Message { Message(type: Self.type, fields: ["federation": .text(federation)]) }
}

/// `{"type": "anchor-advance", "federation", "from-version", "from-digest", "version", "digest"}`: a
/// compare-and-swap. An empty `from-digest` with `from-version` 0 creates the federation's anchor.
public struct AnchorAdvanceRequest: TypedMessage, Equatable {
    public static let type = "anchor-advance"
    /// The federation id.
    public let federation: String
    /// The anchor the runtime holds now; nil to create the anchor.
    public let from: AnchorState?
    /// The anchor it asks for.
    public let to: AnchorState

    /// An advance of `federation` from `from` (nil: create) to `to`.
    public init(federation: String, from: AnchorState?, to: AnchorState) {
        self.federation = federation
        self.from = from
        self.to = to
    }

    public init(fields message: Message) throws(ChannelError) {
        federation = try message.text("federation")
        let fromVersion = try message.unsigned("from-version")
        let fromDigest = try message.bytes("from-digest")
        from = fromVersion == 0 && fromDigest.isEmpty ? nil : try AnchorState.decode(message, version: "from-version", digest: "from-digest")
        to = try AnchorState.decode(message, version: "version", digest: "digest")
    }

    public var frame: Message {
        Message(
            type: Self.type,
            fields: [
                "federation": .text(federation), "from-version": .unsigned(from?.version ?? 0), "from-digest": .bytes(from?.digest ?? []),
                "version": .unsigned(to.version), "digest": .bytes(to.digest),
            ])
    }
}

/// `{"type": "anchor", "version": uint, "digest": bstr}`: the anchor the certifier holds.
public struct AnchorMessage: TypedMessage, Equatable {
    public static let type = "anchor"
    /// The anchor.
    public let anchor: AnchorState

    /// A message stating `anchor`.
    public init(anchor: AnchorState) {
        self.anchor = anchor
    }

    public init(fields message: Message) throws(ChannelError) {
        anchor = try AnchorState.decode(message, version: "version", digest: "digest")
    }

    public var frame: Message {
        Message(type: Self.type, fields: ["version": .unsigned(anchor.version), "digest": .bytes(anchor.digest)])
    }
}
