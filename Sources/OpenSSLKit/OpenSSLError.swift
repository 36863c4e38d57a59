internal import COpenSSL

/// A failed OpenSSL operation: what we were doing, and why it failed.
public struct OpenSSLError: Error, Sendable, CustomStringConvertible {
    /// What we were doing, e.g. "reading PEM private key".
    public let operation: String
    /// OpenSSL's error strings, oldest first, or our own reasons when we rejected the input ourselves.
    public let reasons: [String]
    /// OpenSSL's packed error codes (`ERR_get_error`), one per reason it queued, oldest first; empty when
    /// we rejected the input ourselves.
    public let codes: [UInt]
    /// The error that made this operation fail, when it was not OpenSSL's (a file read, a JSON parse).
    public let cause: (any Error)?

    /// An error for input that we rejected before OpenSSL saw it, because of `cause` if given.
    public init(operation: String, reasons: [String], cause: (any Error)? = nil) {
        self.init(operation: operation, reasons: reasons, codes: [], cause: cause)
    }

    /// An error for input that we rejected for one reason, because of `cause` if given.
    init(_ operation: String, reason: String, cause: (any Error)? = nil) {
        self.init(operation: operation, reasons: [reason], cause: cause)
    }

    private init(operation: String, reasons: [String], codes: [UInt], cause: (any Error)?) {
        self.operation = operation
        self.reasons = reasons
        self.codes = codes
        self.cause = cause
    }

    /// The same error with `operation` as what we were doing (e.g. with the file named).
    func doing(_ operation: String) -> OpenSSLError {
        OpenSSLError(operation: operation, reasons: reasons, codes: codes, cause: cause)
    }

    /// "operation: reason; reason".
    public var description: String {
        reasons.isEmpty ? "\(operation) failed" : "\(operation): \(reasons.joined(separator: "; "))"
    }

    /// Takes every error that OpenSSL queued on this thread, so none of them is blamed on a later operation.
    static func draining(_ operation: String) -> OpenSSLError {
        var reasons: [String] = []
        var codes: [UInt] = []
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var reason = reasonText(code)
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
                reason += " (\(String(cString: data)))"
            }
            if reasons.last != reason {
                reasons.append(reason)
                codes.append(code)
            }
        }
        return OpenSSLError(operation: operation, reasons: reasons, codes: codes, cause: nil)
    }

    /// Forgets what OpenSSL queued on this thread: after a `false` verdict, and before an operation whose
    /// failure we report, so that stale errors never show up in an unrelated error.
    static func clearQueue() {
        ERR_clear_error()
    }

    /// Throws the drained queue unless `result` is OpenSSL's success (a positive return value).
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(OpenSSLError) {
        if result <= 0 { throw draining(operation()) }
    }

    private static func reasonText(_ code: UInt) -> String {
        if let reason = ERR_reason_error_string(code) {
            let text = String(cString: reason)
            if let library = ERR_lib_error_string(code) { return "\(text) [\(String(cString: library))]" }
            return text
        }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(nulTerminated: buffer)
    }
}
