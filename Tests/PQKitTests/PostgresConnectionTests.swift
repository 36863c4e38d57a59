import Foundation
import PQKit
import TestSupport
import Testing

/// PQKit against a real PostgreSQL (the tests' own throwaway cluster).
@Suite(.enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct PostgresConnectionTests {
    @Test func parametersRoundTripAsTheirTypes() throws {
        let connection = try PostgresConnection(try TestPostgres.freshDatabase())
        let date = Date(timeIntervalSince1970: 1_764_000_000.25)
        let bytes: [UInt8] = [0, 1, 2, 0xFF, 0x5C, 0x78, 0]
        let result = try connection.execute(
            "SELECT $1::text AS t, $2::bytea AS b, $3::int8 AS i, $4::timestamptz AS d, $5::text AS n, $6::boolean AS f, $7::int8 AS neg",
            [.text("naïve 'quoted' \\ text"), .bytes(bytes), .int(Int64.max), .date(date), .null, .bool(true), .int(-42)])
        let rows = try result.rows
        try #require(rows.count == 1)
        let row = rows[0]
        #expect(try row.text("t") == "naïve 'quoted' \\ text")
        #expect(try row.bytes("b") == bytes)
        #expect(try row.int("i") == Int64.max)
        #expect(try row.int("neg") == -42)
        #expect(try row.bool("f") == true)
        #expect(try row.text("n") == nil)
        let read = try #require(try row.date("d"))
        #expect(abs(read.timeIntervalSince(date)) < 0.000_001)
        #expect(throws: PostgresError.self) { try row.int("t") }
    }

    @Test func aSyntaxErrorNamesItsSQLState() throws {
        let connection = try PostgresConnection(try TestPostgres.freshDatabase())
        let error = try #require(throws: PostgresError.self) { try connection.execute("SELEC 1") }
        #expect(error.code == .statementFailed)
        #expect(error.sqlState == "42601")
        #expect(error.description.contains("SQLSTATE 42601"))
        // The connection is still usable after a failed statement.
        #expect(try connection.execute("SELECT 1::int8 AS one").rows.first?.int("one") == 1)
    }

    @Test func aTransactionThatThrowsIsRolledBack() throws {
        let connection = try PostgresConnection(try TestPostgres.freshDatabase())
        try connection.execute("CREATE TABLE items (name text PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try connection.transaction { connection throws(PostgresError) in
                try connection.execute("INSERT INTO items VALUES ($1)", ["kept?"])
                try connection.execute("INSERT INTO items VALUES ($1)", ["kept?"])  // a unique violation
            }
        }
        #expect(try connection.execute("SELECT count(*) AS n FROM items").rows.first?.int("n") == 0)
        try connection.transaction { connection throws(PostgresError) in
            try connection.execute("INSERT INTO items VALUES ($1)", ["committed"])
        }
        #expect(try connection.execute("SELECT count(*) AS n FROM items").rows.first?.int("n") == 1)
    }

    @Test func aSerializationFailureRunsTheTransactionAgain() throws {
        let database = try TestPostgres.freshDatabase()
        let connection = try PostgresConnection(database)
        let other = try PostgresConnection(database)
        try connection.execute("CREATE TABLE counter (id int8 PRIMARY KEY, value int8 NOT NULL)")
        try connection.execute("INSERT INTO counter VALUES (1, 0)")
        var attempts = 0
        let value = try connection.transaction(.serializable) { connection throws(PostgresError) -> Int64 in
            attempts += 1
            let before = try connection.execute("SELECT value FROM counter WHERE id = 1").rows.first?.int("value") ?? -1
            if attempts == 1 {
                // Another transaction changes the row after this one's snapshot: the update below must fail with 40001.
                try other.execute("UPDATE counter SET value = value + 10 WHERE id = 1")
            }
            try connection.execute("UPDATE counter SET value = $1 WHERE id = 1", [.int(before + 1)])
            return before + 1
        }
        #expect(attempts == 2)
        #expect(value == 11)
        #expect(try connection.execute("SELECT value FROM counter WHERE id = 1").rows.first?.int("value") == 11)
    }

    @Test func aKilledConnectionIsNoticedAndReplacedOnNextUse() throws {
        let database = try TestPostgres.freshDatabase()
        let connection = try PostgresConnection(database)
        let admin = try PostgresConnection(database)
        let before = connection.backendProcessID
        try admin.execute("SELECT pg_terminate_backend($1::int4)", [.int(Int64(before))])
        let error = try #require(throws: PostgresError.self) { try connection.execute("SELECT 1") }
        #expect(error.code == .connectionLost)
        #expect(!connection.isConnected)
        #expect(try connection.execute("SELECT 2::int8 AS two").rows.first?.int("two") == 2)
        #expect(connection.backendProcessID != before)
    }

    @Test func aStoppedServerFailsEachStatementUntilItIsBackThenTheConnectionResumes() throws {
        let cluster = try TestPostgres.dedicated()
        defer { cluster.remove() }
        let connection = try PostgresConnection(try cluster.freshDatabase())
        #expect(try connection.execute("SELECT 1::int8 AS one").rows.first?.int("one") == 1)
        try cluster.stopServer()
        let lost = try #require(throws: PostgresError.self) { try connection.execute("SELECT 1") }
        #expect(lost.code == .connectionLost)
        #expect(lost.isUnavailable)
        // While it is down, each use tries to connect again and says the server is unreachable.
        let down = try #require(throws: PostgresError.self) { try connection.execute("SELECT 1") }
        #expect(down.code == .connectFailed)
        #expect(down.isUnavailable)
        try cluster.startServer()
        #expect(try connection.execute("SELECT 3::int8 AS three").rows.first?.int("three") == 3)
    }

    @Test func aTransactionOnAConnectionTheServerClosedWhileIdleConnectsAgainAtBegin() throws {
        let cluster = try TestPostgres.dedicated()
        defer { cluster.remove() }
        let connection = try PostgresConnection(try cluster.freshDatabase())
        let before = connection.backendProcessID
        // Restarted while the connection sat idle: its socket is dead, and nothing of a transaction has run yet.
        try cluster.stopServer()
        try cluster.startServer()
        let value = try connection.transaction { connection throws(PostgresError) in
            try connection.execute("SELECT 5::int8 AS five").rows.first?.int("five")
        }
        #expect(value == 5)
        #expect(connection.backendProcessID != before)
    }

    @Test func timeoutsTheConnectionStringLeavesUnsetGetDefaultsAndItsOwnWin() throws {
        let database = try TestPostgres.freshDatabase()
        let plain = try PostgresConnection(database)
        #expect(plain.option("connect_timeout") == "10")
        #expect(plain.option("tcp_user_timeout") == "20000")
        #expect(plain.option("keepalives_idle") == "10")
        let own = try PostgresConnection(database + "&connect_timeout=3&keepalives_idle=30")
        #expect(own.option("connect_timeout") == "3")
        #expect(own.option("keepalives_idle") == "30")
        #expect(own.option("tcp_user_timeout") == "20000")
        // The key=value form as well.
        let cluster = try TestPostgres.shared()
        let name = try #require(database.split(separator: "/").last?.split(separator: "?").first)
        let keyValue = try PostgresConnection("host=\(cluster.folder) dbname=\(name) user=\(TestPostgres.user) password=\(cluster.password) connect_timeout=4")
        #expect(keyValue.option("connect_timeout") == "4")
        #expect(try keyValue.execute("SELECT 1::int8 AS one").rows.first?.int("one") == 1)
    }

    @Test func aPoolGivesEachThreadItsOwnConnection() throws {
        let pool = try PostgresPool(try TestPostgres.freshDatabase(), maximumIdle: 2)
        try pool.withConnection { connection throws(PostgresError) in
            try connection.execute("CREATE TABLE hits (n int8)")
        }
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            try? pool.transaction { connection throws(PostgresError) in
                try connection.execute("INSERT INTO hits VALUES ($1)", [.int(Int64(index))])
            }
        }
        let count = try pool.withConnection { connection throws(PostgresError) in
            try connection.execute("SELECT count(*) AS n FROM hits").rows.first?.int("n")
        }
        #expect(count == 8)
    }

    @Test func aBadConnectionStringIsRefusedWithoutItsPassword() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection("postgresql://cml:hunter2secret@/db?host=/tmp&no_such_option=1")
        }
        #expect(error.code == .invalidConnectionString)
        #expect(!error.message.contains("hunter2secret"))
        #expect(error.message.contains("no_such_option"))
    }

    @Test func aRefusedLoginNamesTheServerButNotThePassword() throws {
        let cluster = try TestPostgres.shared()
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(cluster.connectionString(database: "postgres", password: "wrong-password-7"))
        }
        #expect(error.code == .connectFailed)
        #expect(error.message.contains("password authentication failed"))
        #expect(error.message.contains(cluster.folder))
        #expect(!error.message.contains("wrong-password-7"))
    }

    @Test func anUnreachableServerIsNamed() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection("host=/nonexistent-cml-socket-folder dbname=x user=y password=z")
        }
        #expect(error.code == .connectFailed)
        #expect(error.message.contains("/nonexistent-cml-socket-folder"))
    }
}

/// Versioned schemas: migrations applied once, in order; other versions refused naming both.
@Suite(.enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct PostgresSchemaTests {
    private static let first = ["CREATE TABLE things (name text PRIMARY KEY)"]
    private static let second = ["ALTER TABLE things ADD COLUMN size int8"]

    @Test func migrationsRunOnceInOrder() throws {
        let connection = try PostgresConnection(try TestPostgres.freshDatabase())
        let one = PostgresSchema(component: "things", migrations: [Self.first], migrateCommand: "things migrate")
        let two = PostgresSchema(component: "things", migrations: [Self.first, Self.second], migrateCommand: "things migrate")
        #expect(try one.migrate(connection) == (0, 1))
        #expect(try one.migrate(connection) == (1, 1))
        let older = try #require(throws: PostgresError.self) { try two.check(connection) }
        #expect(older.code == .schemaMismatch)
        #expect(older.message.contains("holds things schema version 1, older than version 2, which this program uses: run `things migrate` first"))
        #expect(try two.migrate(connection) == (1, 2))
        #expect(try two.migrate(connection) == (2, 2))
        try two.check(connection)
        try connection.execute("INSERT INTO things (name, size) VALUES ($1, $2)", ["a", 1])
        let newer = try #require(throws: PostgresError.self) { try one.check(connection) }
        #expect(newer.message.contains("holds things schema version 2, newer than version 1, which this program knows"))
    }
}
