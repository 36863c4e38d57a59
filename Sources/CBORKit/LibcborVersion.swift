internal import CCBOR

/// The libcbor this module was built against.
public enum CBORKitVersion {
    /// libcbor's version, e.g. "0.8.0".
    public static var libcbor: String { "\(CBOR_MAJOR_VERSION).\(CBOR_MINOR_VERSION).\(CBOR_PATCH_VERSION)" }
}
