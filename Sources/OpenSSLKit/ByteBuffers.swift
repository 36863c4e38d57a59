extension Array where Element == UInt8 {
    /// Calls `body` with a pointer that is never nil, even for an empty array.
    ///
    /// OpenSSL treats a NULL buffer as "parameter missing" in places where an empty one is legal
    /// (an HKDF salt, a GCM AAD), and an empty Swift array may hand out a nil base address.
    func withNonNullBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawPointer, Int) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // A one-byte array lends a real address for a zero-length buffer.
        let bytes = isEmpty ? [0] : self
        return try bytes.withUnsafeBufferPointer { (buffer) throws(Failure) -> Result in
            // OpenSSL only reads these buffers; its parameter structs simply lack a const.
            try body(UnsafeMutableRawPointer(mutating: buffer.baseAddress!), count)
        }
    }
}
