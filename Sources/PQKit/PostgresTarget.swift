internal import CLibPQ
import Foundation

/// Where a libpq connection string points (host, port, database, user), for messages: never the password.
///
/// Accepts both forms libpq does: `postgresql://user:password@host:port/database?option=value` and
/// `host=... dbname=... user=... password=...`.
public struct PostgresTarget: Sendable, Equatable, CustomStringConvertible {
    /// The host or unix socket folder ("" when libpq's default).
    public let host: String
    /// The port ("" when the default, 5432).
    public let port: String
    /// The database ("" when the default: the user's name).
    public let database: String
    /// The user ("" when the default: the operating system user's name).
    public let user: String
    /// The password, kept only to strip it from messages that might echo it.
    private let secrets: [String]

    /// Parses `connectionString` with libpq; throws `.invalidConnectionString` with libpq's reason (the
    /// password, if any, cut from it).
    public init(_ connectionString: String) throws(PostgresError) {
        let secrets = Self.passwordCandidates(in: connectionString)
        var failure: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &failure) else {
            let reason = failure.map { String(cString: $0) } ?? "out of memory"
            if let failure { PQfreemem(failure) }
            throw PostgresError(
                .invalidConnectionString,
                "the PostgreSQL connection string is not valid: \(Self.redact(reason.trimmingTrailingNewlines, secrets)) "
                    + "(give postgresql://USER:PASSWORD@HOST:PORT/DATABASE or host=... dbname=... user=...)")
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        host = values["host"] ?? values["hostaddr"] ?? ""
        port = values["port"] ?? ""
        database = values["dbname"] ?? ""
        user = values["user"] ?? ""
        self.secrets = secrets + [values["password"]].compactMap { $0 }.filter { !$0.isEmpty }
    }

    /// "database D as user U on HOST:PORT", with what the string gave.
    public var description: String {
        let place = host.isEmpty ? "the default host" : host.hasPrefix("/") ? "socket folder \(host)" : host
        let at = port.isEmpty ? place : "\(place) port \(port)"
        let who = user.isEmpty ? "" : " as user \(user)"
        return "database \(database.isEmpty ? "(default)" : database)\(who) on \(at)"
    }

    /// `message` with the password replaced by `***` wherever it appears.
    public func redacting(_ message: String) -> String { Self.redact(message, secrets) }

    private static func redact(_ message: String, _ secrets: [String]) -> String {
        secrets.filter { $0.count >= 1 }.reduce(message) { $0.replacingAll($1, with: "***") }
    }

    /// What might be the password in a string libpq could not parse: the URL's user info after the
    /// colon, and any `password=` value.
    private static func passwordCandidates(in text: String) -> [String] {
        var found: [String] = []
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            if let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                found.append(String(rest[rest.index(after: colon)..<at]))
            }
        }
        var remainder = Substring(text)
        while let range = remainder.range(of: "password=") {
            let value = remainder[range.upperBound...].prefix { $0 != " " && $0 != "&" }
            if !value.isEmpty { found.append(String(value)) }
            remainder = remainder[range.upperBound...]
        }
        return found
    }
}

extension String {
    /// The string without the newlines libpq ends its messages with.
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }

    /// The string with every occurrence of `target` replaced by `replacement`.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}
