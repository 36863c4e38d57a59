extension StaticString {
    /// The literal as a C string that lives for the whole process.
    ///
    /// OSSL_PARAM keeps the pointers to its key and string value rather than copying them, so a
    /// temporary C string bridged from a `String` would dangle; a literal's storage never moves.
    var cString: UnsafePointer<CChar> {
        UnsafeRawPointer(utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

extension String {
    /// The text in a C buffer that OpenSSL filled, up to its terminating NUL.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
