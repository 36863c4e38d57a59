public import PQKit

/// The runtime's tables in a shared PostgreSQL database, by version (docs/scale.md), beside the
/// certifier's. A new version is a new entry at the end: never edit one that was released, a database
/// may hold it.
///
/// Nothing here is in the clear but what replicas must compare in SQL: federation ids, round and training
/// numbers, digests and replica names. Models, updates and the keys they count under are sealed under
/// the sealing secret the certifier releases to every admitted runtime of the federation.
public enum RuntimeSchema {
    /// The schema, migrated by `cml-runtime migrate --store URL`.
    public static let schema = PostgresSchema(component: "runtime", migrations: migrations, migrateCommand: "cml-runtime migrate --store URL")

    private static let migrations: [[String]] = [
        // Version 1.
        [
            // FL mode: one row per federation, its open round and that round's sealed global model. Closing a
            // round replaces the row under its row lock (SELECT ... FOR UPDATE), so a round closes once.
            // `digest` is the SHA-256 of the sealed global, `previous` the one before (what the freshness
            // anchor checks a start against); `replica` wrote it.
            """
            CREATE TABLE runtime_federations (
                federation text PRIMARY KEY, round int8 NOT NULL, opened timestamptz NOT NULL, global bytea NOT NULL,
                digest bytea NOT NULL, previous bytea, replica text NOT NULL)
            """,
            // FL mode: the open round's accepted updates and sampling decisions, one per voice (the key an
            // update counts under: platform or certificate, as a keyed hash, so the database never learns it),
            // so that no voice counts twice, whichever replica it reached.
            """
            CREATE TABLE runtime_updates (
                federation text NOT NULL, round int8 NOT NULL, voice bytea NOT NULL, kind text NOT NULL,
                replica text NOT NULL, sealed bytea NOT NULL, PRIMARY KEY (federation, round, voice))
            """,
            // ML mode: the federation's current model and how many changes made it (its training serial).
            // `digest` is the SHA-256 of `sealed`, `previous` the digest of the row it replaced (what ties a row one
            // serial ahead of the freshness anchor to it); `replica` wrote it. All but `sealed` are bound into the seal.
            """
            CREATE TABLE runtime_models (
                federation text PRIMARY KEY, serial int8 NOT NULL, sealed bytea NOT NULL, digest bytea NOT NULL,
                previous bytea NOT NULL, replica text NOT NULL)
            """,
        ]
    ]
}
