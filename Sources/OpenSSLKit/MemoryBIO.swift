internal import COpenSSL

/// Owns one memory `BIO`, the in-memory file that OpenSSL's PEM functions read from and write to.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty BIO to write into.
    init(_ operation: @autoclosure () -> String) throws(OpenSSLError) {
        guard let pointer = BIO_new(BIO_s_mem()) else { throw OpenSSLError.draining(operation()) }
        self.pointer = pointer
    }

    /// A BIO holding a copy of `text` to read from.
    convenience init(text: String, _ operation: @autoclosure () -> String) throws(OpenSSLError) {
        try self.init(operation())
        let bytes = Array(text.utf8)
        guard bytes.count < Int32.max else { throw OpenSSLError(operation(), reason: "the text is too large") }
        if bytes.isEmpty { return }
        try OpenSSLError.check(BIO_write(pointer, bytes, Int32(bytes.count)), operation())
    }

    /// Everything written so far, as text.
    var text: String {
        var data: UnsafeMutablePointer<CChar>?
        let length = COpenSSL_BIO_get_mem_data(pointer, &data)
        guard length > 0, let data else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    deinit {
        BIO_free(pointer)
    }
}
