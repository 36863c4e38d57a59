internal import CLibPQ
public import Foundation

/// The rows a statement returned (none for a command), owning libpq's PGresult and freeing it in deinit.
///
/// Values are read in binary form and turned into `PostgresValue`s by column type.
public final class PostgresResult {
    private let handle: OpaquePointer

    /// Takes ownership of `handle`, a result libpq gave us.
    init(takingOwnership handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    /// How many rows came back.
    public var rowCount: Int { Int(PQntuples(handle)) }
    /// How many columns each row has.
    public var columnCount: Int { Int(PQnfields(handle)) }
    /// How many rows the command touched (INSERT, UPDATE, DELETE), 0 for others.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// The column names, in order.
    public var columns: [String] {
        (0..<PQnfields(handle)).map { String(cString: PQfname(handle, $0)) }
    }

    /// The value at `row` and `column`; `.null` for SQL NULL; throws if either is out of range.
    public func value(row: Int, column: Int) throws(PostgresError) -> PostgresValue {
        guard (0..<rowCount).contains(row), (0..<columnCount).contains(column) else {
            throw PostgresError(.unexpectedResult, "the result has \(rowCount) rows of \(columnCount) columns; there is no row \(row), column \(column)")
        }
        let (r, c) = (Int32(row), Int32(column))
        if PQgetisnull(handle, r, c) == 1 { return .null }
        let length = Int(PQgetlength(handle, r, c))
        let oid = UInt32(PQftype(handle, c))
        let decoded = PQgetvalue(handle, r, c).withMemoryRebound(to: UInt8.self, capacity: length) { pointer in
            PostgresValue.decode(UnsafeBufferPointer(start: pointer, count: length), oid: oid)
        }
        guard let decoded else {
            throw PostgresError(.unexpectedResult, "column \(columns[column]) (type \(oid)) holds \(length) bytes, not a value of its type")
        }
        return decoded
    }

    /// Every row, as values in column order.
    public var rows: [PostgresRow] {
        get throws(PostgresError) {
            let names = columns
            var rows: [PostgresRow] = []
            for row in 0..<rowCount {
                var values: [PostgresValue] = []
                for column in 0..<columnCount { values.append(try value(row: row, column: column)) }
                rows.append(PostgresRow(columns: names, values: values))
            }
            return rows
        }
    }
}

/// One row of a result, as Swift values.
public struct PostgresRow: Sendable, Equatable {
    /// The column names, in order.
    public let columns: [String]
    /// The values, in column order.
    public let values: [PostgresValue]

    /// The value of `column` (a name); throws if there is no such column.
    public subscript(_ column: String) -> PostgresValue {
        get throws(PostgresError) {
            guard let index = columns.firstIndex(of: column) else {
                throw PostgresError(.unexpectedResult, "the row has no column \(column) (it has \(columns.joined(separator: ", ")))")
            }
            return values[index]
        }
    }

    /// `column` as text, or nil for NULL; throws if it is another type.
    public func text(_ column: String) throws(PostgresError) -> String? {
        switch try self[column] {
        case .null: return nil
        case .text(let text): return text
        case let other: throw Self.mismatch(column, "text", other)
        }
    }

    /// `column` as bytes, or nil for NULL; throws if it is another type.
    public func bytes(_ column: String) throws(PostgresError) -> [UInt8]? {
        switch try self[column] {
        case .null: return nil
        case .bytes(let bytes): return bytes
        case let other: throw Self.mismatch(column, "bytea", other)
        }
    }

    /// `column` as an integer, or nil for NULL; throws if it is another type.
    public func int(_ column: String) throws(PostgresError) -> Int64? {
        switch try self[column] {
        case .null: return nil
        case .int(let value): return value
        case let other: throw Self.mismatch(column, "an integer", other)
        }
    }

    /// `column` as a date, or nil for NULL; throws if it is another type.
    public func date(_ column: String) throws(PostgresError) -> Date? {
        switch try self[column] {
        case .null: return nil
        case .date(let date): return date
        case let other: throw Self.mismatch(column, "timestamptz", other)
        }
    }

    /// `column` as a boolean, or nil for NULL; throws if it is another type.
    public func bool(_ column: String) throws(PostgresError) -> Bool? {
        switch try self[column] {
        case .null: return nil
        case .bool(let value): return value
        case let other: throw Self.mismatch(column, "boolean", other)
        }
    }

    private static func mismatch(_ column: String, _ expected: String, _ value: PostgresValue) -> PostgresError {
        PostgresError(.unexpectedResult, "column \(column) is \(value), not \(expected)")
    }
}
