import ByteKit
import Foundation
import Glibc
import PQKit
import TestSupport
import Testing

/// Several hosts for real (issue 15 item 5): PostgreSQL, two certifier replicas, the runtime and the
/// devices each in a network namespace of their own (`ClusterHosts`), every process started in its
/// host and talking over the hosts' addresses only; the stock FL template's federation runs across
/// them, and a runtime is killed with SIGKILL in the middle of a round. Without the privileges for
/// namespaces, the same runs on loopback addresses (and says so).
@Suite(.serialized, .enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct ClusterProcessTests {
    static let certifierPort = 8123
    static let runtimePort = 8124

    /// The hosts, the database in `db` and the domain; `stop()` ends every process, then removes it all.
    final class Cluster {
        let hosts: ClusterHosts
        let database: TestPostgres
        let store: String
        let domain: Domain
        private var processes: [RunningProcess] = []

        init() throws {
            hosts = try ClusterHosts(["db", "cert1", "cert2", "rt1", "rt2", "devices"])
            if !hosts.isolated {
                FileHandle.standardError.write(Data("ClusterProcessTests: network namespaces cannot be made here: \(hosts.network)\n".utf8))
            }
            do {
                database = try TestPostgres.dedicated(listen: hosts.address("db"), commandPrefix: hosts.commandPrefix("db"))
            } catch {
                hosts.remove()
                throw error
            }
            do {
                // Made over the cluster's socket folder; every process of the cluster uses TCP to db's address.
                try PostgresConnection(database.connectionString(database: "postgres")).execute("CREATE DATABASE cml")
                store = database.connectionString(database: "cml", host: hosts.address("db"))
                domain = try Domain(name: "fl", platforms: 2)
            } catch {
                database.remove()
                hosts.remove()
                throw error
            }
        }

        /// Ends every process started (SIGTERM, SIGKILL if it lingers), stops the database, removes the
        /// namespaces and the folders.
        func stop() {
            for process in processes.reversed() { process.stop() }
            processes = []
            database.remove()
            hosts.remove()
            try? FileManager.default.removeItem(atPath: domain.folder)
        }

        /// `HOST:PORT` of `host`.
        func endpoint(_ host: String, _ port: Int) -> String {
            "\(hosts.address(host)):\(port)"
        }

        /// Both certifier replicas' addresses, for `--certifier`.
        var certifiers: String { "\(endpoint("cert1", certifierPort)),\(endpoint("cert2", certifierPort))" }

        /// Starts `name ARGUMENTS` in `host`, kept until `stop()`.
        func start(_ host: String, _ name: String, _ arguments: [String]) throws -> RunningProcess {
            let process = try hosts.start(host, name, arguments)
            processes.append(process)
            return process
        }

        /// A certifier replica in `host` on `state` (a copy of the domain's state folder for the second).
        func startCertifier(_ host: String, state: String) throws -> RunningProcess {
            let certifier = try start(
                host, "cml-certifier",
                ["serve", "--state", state, "--policy", domain.signedPolicy, "--listen", endpoint(host, certifierPort), "--store", store])
            _ = try certifier.waitForLine { $0 == "listening on \(endpoint(host, certifierPort))" }
            return certifier
        }

        /// An FL runtime in `host`, on the runtime's state folder, attesting to both certifier replicas.
        func startRuntime(_ host: String) throws -> RunningProcess {
            let runtime = try start(
                host, "cml-runtime",
                [
                    "serve", "--state", "\(domain.folder)/runtime", "--listen", endpoint(host, runtimePort), "--mode", "fl",
                    "--certifier", certifiers, "--policy-cert", domain.policyCertificate, "--attester", "sim", "--platform", domain.platform,
                ])
            _ = try runtime.waitForLine { $0.hasSuffix("serving FL mode on \(endpoint(host, runtimePort))") }
            return runtime
        }

        /// Attests `role` from the devices host into `state` through `certifiers` on simulated platform `platform`.
        func attest(_ role: String, state: String, certifiers: String, platform: Int = 1) throws {
            try AdmittedDomain.check(
                try hosts.run(
                    "devices", "cml-\(role)",
                    [
                        "attest", "--certifier", certifiers, "--policy-cert", domain.policyCertificate, "--state", state,
                        "--attester", "sim", "--platform", domain.platform(platform),
                    ]))
        }

        /// The established connections of `process`'s host whose local end is `endpoint`.
        func connections(of process: RunningProcess, at endpoint: String) -> [(local: String, remote: String)] {
            ClusterHosts.establishedConnections(of: process.pid).filter { $0.local == endpoint }
        }
    }

    @Test func theStockFederationRunsAcrossHostsAndARoundSurvivesARuntimeKilledInTheMiddle() throws {
        let cluster = try Cluster()
        defer { cluster.stop() }
        let domain = cluster.domain
        let hosts = cluster.hosts

        // The database's schema once, from the first certifier's host; two replicas on copies of one state folder.
        let migrated = try hosts.run("cert1", "cml-certifier", ["migrate", "--store", cluster.store])
        try AdmittedDomain.check(migrated)
        let copy = "\(domain.folder)/certifier-2"
        try FileManager.default.copyItem(atPath: domain.state, toPath: copy)
        let cert1 = try cluster.startCertifier("cert1", state: domain.state)
        let cert2 = try cluster.startCertifier("cert2", state: copy)
        var runtime = try cluster.startRuntime("rt1")
        let runtimes = cluster.endpoint("rt1", Self.runtimePort)

        // The provider attests (at either replica) and sends the initial model, as tools/demo fl does.
        let provider = "\(domain.folder)/provider"
        try cluster.attest("provider", state: provider, certifiers: cluster.certifiers)
        let model = "\(domain.folder)/initial.cmlm"
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "5", "--out", model]))
        let sent = try hosts.run("devices", "cml-provider", ["send", "--runtime", runtimes, "--state", provider, model])
        try AdmittedDomain.check(sent)
        #expect(sent.lines.first?.hasSuffix("the runtime acknowledged it") == true, "\(sent.lines)")

        // Device 1 attests through cert1 while cert2 serves too; device 2 through the list once cert1 is killed.
        let device1 = "\(domain.folder)/device1", device2 = "\(domain.folder)/device2"
        try cluster.attest("device", state: device1, certifiers: cluster.endpoint("cert1", Self.certifierPort), platform: 1)
        let devices = hosts.address("devices")
        // On loopback a client's source address is 127.0.0.1, whichever address it connects to.
        let from = "admitted device from \(hosts.isolated ? devices + ":" : "")"
        _ = try cert1.waitForLine { $0.contains(from) }
        #expect(cert1.end(with: SIGKILL) == SIGKILL)
        try cluster.attest("device", state: device2, certifiers: cluster.certifiers, platform: 2)
        _ = try cert2.waitForLine { $0.contains(from) }

        // Device 1 trains "about", uploads, and waits for the round's global model.
        try "about\n".write(toFile: "\(domain.folder)/about.txt", atomically: true, encoding: .utf8)
        try "white\n".write(toFile: "\(domain.folder)/white.txt", atomically: true, encoding: .utf8)
        let first = try cluster.start(
            "devices", "cml-device",
            ["fl", "--runtime", runtimes, "--state", device1, "--words", "\(domain.folder)/about.txt", "--predict", "whi"])
        _ = try first.waitForLine { $0.contains("round 0: sent update ") && $0.hasSuffix("the runtime acknowledged it") }
        _ = try runtime.waitForLine { $0.contains(" for round 0 (2 samples): 1 of 2") }

        // Over the hosts' own addresses: the device's connection reaches the runtime from the devices host,
        // the runtime's and the certifier's from their own addresses (the table is the namespace's own).
        let atRuntime = cluster.connections(of: runtime, at: runtimes)
        #expect(!atRuntime.isEmpty, "no connection to the runtime at \(runtimes)")
        if hosts.isolated {
            #expect(atRuntime.allSatisfy { $0.remote.hasPrefix("\(devices):") }, "\(atRuntime)")
            for process in [runtime, cert2] {
                let all = ClusterHosts.establishedConnections(of: process.pid)
                #expect(!all.isEmpty)
                #expect(all.allSatisfy { $0.local.hasPrefix("\(hosts.subnet).") && $0.remote.hasPrefix("\(hosts.subnet).") }, "\(all)")
            }
            let toDatabase = ClusterHosts.establishedConnections(of: cert2.pid).filter { $0.remote == "\(hosts.address("db")):5432" }
            #expect(!toDatabase.isEmpty, "cert2 holds no connection to the database at \(hosts.address("db")):5432")
        }

        // SIGKILL in the middle of the round: one update acknowledged, the other not sent yet.
        #expect(runtime.end(with: SIGKILL) == SIGKILL)
        runtime = try cluster.startRuntime("rt1")
        let resumed = try runtime.waitForLine { $0.contains("resumed round 0 ") }
        #expect(resumed.hasSuffix(" with 1 stored update"), "\(resumed)")

        // Device 2 trains "white" and uploads: the round closes with both updates.
        let second = try hosts.run(
            "devices", "cml-device",
            ["fl", "--runtime", runtimes, "--state", device2, "--words", "\(domain.folder)/white.txt", "--predict", "abo"])
        try AdmittedDomain.check(second)
        let closed = try runtime.waitForLine { $0.contains("---- round 0 closed: global model ") }
        let global = String(closed.split(separator: "global model ")[1].prefix { $0 != " " })
        #expect(closed.contains(" of round 1 (2 updates, 4 samples, "), "\(closed)")
        #expect(second.lines.first == "round 1: received global model \(global) (4 samples)", "\(second.lines)")
        #expect(second.lines.last == "abo -> about", "\(second.lines)")

        // Device 1 waited through the kill and ends with the same global model.
        #expect(first.waitForExit(timeout: .seconds(60)) == 0, "\(first.transcript)")
        #expect(first.standardOutput == ["round 1: received global model \(global) (4 samples)", "whi -> white"], "\(first.transcript)")
    }
}
