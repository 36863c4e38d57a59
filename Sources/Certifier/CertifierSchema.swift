public import PQKit

/// The certifier's tables in a shared PostgreSQL database, by version (docs/scale.md). A new version is a
/// new entry at the end: never edit one that was released, a database may hold it.
public enum CertifierSchema {
    /// The schema, migrated by `cml-certifier migrate --store URL`.
    public static let schema = PostgresSchema(component: "certifier", migrations: migrations, migrateCommand: "cml-certifier migrate --store URL")

    private static let migrations: [[String]] = [
        // Version 1.
        [
            // One row per nonce issued by any replica; redeemed is set once, by the first redemption.
            """
            CREATE TABLE certifier_nonces (
                nonce bytea PRIMARY KEY, expires timestamptz NOT NULL, redeemed timestamptz)
            """,
            "CREATE INDEX certifier_nonces_expires ON certifier_nonces (expires)",
            // Every admission certificate, by serial: two admissions can never share one.
            """
            CREATE TABLE certifier_admissions (
                serial text PRIMARY KEY, role text NOT NULL, measurement text, expires timestamptz, issued timestamptz NOT NULL)
            """,
            // Which secret ids were released with which admission; never the secrets.
            """
            CREATE TABLE certifier_released_secrets (
                serial text NOT NULL REFERENCES certifier_admissions (serial), secret text NOT NULL, released timestamptz NOT NULL,
                PRIMARY KEY (serial, secret))
            """,
            // The audit log: each entry's JSON as the file's line holds it, in order of commit.
            """
            CREATE TABLE certifier_audit (
                id bigserial PRIMARY KEY, time timestamptz NOT NULL, decision text, entry text NOT NULL)
            """,
            "CREATE INDEX certifier_audit_time ON certifier_audit (time)",
            // The revocation list: one row, its JSON, replaced under a row lock.
            "CREATE TABLE certifier_revocations (id int PRIMARY KEY CHECK (id = 1), list bytea NOT NULL)",
        ],
        // Version 2: runtimes' freshness anchors, one row per federation (the version's bits as int8).
        [
            "CREATE TABLE certifier_anchors (federation text PRIMARY KEY, version int8 NOT NULL, digest bytea NOT NULL)"
        ],
    ]
}
