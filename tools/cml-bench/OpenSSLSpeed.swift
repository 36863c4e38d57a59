import CommandSupport
import Foundation

/// ECDSA verifications per second as `openssl speed` measures them: the bound any verifier built on
/// OpenSSL can reach.
enum OpenSSLSpeed {
    /// Runs `openssl speed -seconds SECONDS ecdsap256 ecdsap384` and returns verify/s by curve ("nistp256", "nistp384").
    static func ecdsaVerifications(seconds: Int) throws -> [String: Double] {
        let (status, output) = try ProgramRun.run(
            "/usr/bin/env", ["openssl", "speed", "-seconds", String(seconds), "ecdsap256", "ecdsap384"], includeErrors: false)
        guard status == 0 else {
            throw CommandFailure("openssl speed exited with status \(status)")
        }
        let rates = parse(output)
        guard rates["nistp256"] != nil, rates["nistp384"] != nil else {
            throw CommandFailure("openssl speed printed no ECDSA verify/s for P-256 and P-384")
        }
        return rates
    }

    /// Reads the summary lines, e.g. ` 384 bits ecdsa (nistp384)   0.0005s   0.0004s   1940.4   2269.2`
    /// (sign time, verify time, sign/s, verify/s).
    static func parse(_ text: String) -> [String: Double] {
        var rates: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.contains(" bits ecdsa (") {
            guard let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")"), open < close else { continue }
            let curve = String(line[line.index(after: open)..<close])
            let fields = line[line.index(after: close)...].split(separator: " ")
            if fields.count == 4, let verifications = Double(fields[3]) { rates[curve] = verifications }
        }
        return rates
    }
}
