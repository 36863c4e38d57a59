internal import COpenSSL

/// The version of the OpenSSL library this process runs with.
public enum OpenSSLVersion {
    public static var text: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
}
