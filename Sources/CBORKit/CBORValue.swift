internal import CCBOR

/// Placeholder until the CBOR wrapper lands.
public enum CBORKitVersion {
    public static var libcbor: String { "\(CBOR_MAJOR_VERSION).\(CBOR_MINOR_VERSION).\(CBOR_PATCH_VERSION)" }
}
