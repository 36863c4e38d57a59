import Glibc

extension FileBytes {
    /// Writes all of `bytes` to `descriptor`: the one loop that retries a write a signal interrupted and
    /// continues after a partial one. Throws the errno of a failed write (0 written counts as EIO).
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws(Errno) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 {
                let error = Errno.current
                if error == .interrupted { continue }
                throw error
            }
            // write(2) returns 0 only for a 0-byte request; a device that takes nothing would loop forever.
            guard count > 0 else { throw Errno(rawValue: EIO) }
            written += count
        }
    }
}
