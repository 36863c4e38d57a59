public import Protocol

/// Where the certifier keeps runtimes' freshness anchors (docs/freshness.md): `AnchorStore` in the state
/// folder, `PostgresAnchorStore` in the database that replicas share.
public protocol FederationAnchors: Sendable {
    /// The anchor of `federation`, or nil if it has none yet.
    func read(federation: String) throws(CertifierError) -> AnchorState?

    /// Advances `federation` from `from` (nil: create) to `to` as one compare-and-swap; returns whether it
    /// created the anchor; throws `.conflict` with what the store holds, or `.failed`.
    func advance(federation: String, from: AnchorState?, to: AnchorState) throws(AnchorStore.AdvanceError) -> Bool
}

extension AnchorStore: FederationAnchors {}
