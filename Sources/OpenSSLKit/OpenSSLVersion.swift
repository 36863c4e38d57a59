internal import COpenSSL

/// The version of the OpenSSL library this process runs with.
public enum OpenSSLVersion {
    /// OpenSSL's own version line, e.g. "OpenSSL 3.0.11 19 Sep 2023".
    public static var text: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
}
