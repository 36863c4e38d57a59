import ByteKit
import Foundation
import Glibc
import PQKit
import TestSupport
import Testing

/// Several hosts for real (issue 15 item 5): PostgreSQL, two certifier replicas, two runtime replicas
/// and the devices each in a network namespace of their own (`ClusterHosts`), every process started in
/// its host and talking over the hosts' addresses only; the stock FL template's federation runs across
/// both runtime replicas, and one is killed with SIGKILL in the middle of a round. Without the
/// privileges for namespaces, the same runs on loopback addresses (and says so).
@Suite(.serialized, .enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct ClusterProcessTests {
    static let certifierPort = 8123
    static let runtimePort = 8124
    static let adminPort = 9124

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

        /// An FL runtime replica in `host` (replica name: the host's), on the database store, attesting to both certifier replicas.
        func startRuntime(_ host: String) throws -> RunningProcess {
            let runtime = try start(
                host, "cml-runtime",
                [
                    "serve", "--store", store, "--replica", host, "--listen", endpoint(host, runtimePort), "--mode", "fl",
                    "--admin-listen", endpoint(host, adminPort),
                    "--certifier", certifiers, "--policy-cert", domain.policyCertificate, "--attester", "sim", "--platform", domain.platform,
                ])
            _ = try runtime.waitForLine { $0.hasSuffix("serving FL mode on \(endpoint(host, runtimePort))") }
            return runtime
        }

        /// The id of the global model that the runtime in `host` serves now, from its `/status` (fetched
        /// from the devices host); nil before it serves one.
        func servedModel(_ host: String) throws -> String? {
            let result = try hosts.run("devices", "cml-runtime", ["status", "--admin", endpoint(host, adminPort), "--json"])
            guard result.status == 0, let status = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
                let model = status["model"] as? [String: Any]
            else { return nil }
            return model["id"] as? String
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

    @Test func theStockFederationRunsAcrossHostsAndARoundSurvivesARuntimeReplicaKilledInTheMiddle() throws {
        let cluster = try Cluster()
        defer { cluster.stop() }
        let domain = cluster.domain
        let hosts = cluster.hosts

        // The database's schemas once, from a host of each server; two certifier replicas on copies of one state folder.
        try AdmittedDomain.check(try hosts.run("cert1", "cml-certifier", ["migrate", "--store", cluster.store]))
        try AdmittedDomain.check(try hosts.run("rt1", "cml-runtime", ["migrate", "--store", cluster.store]))
        let copy = "\(domain.folder)/certifier-2"
        try FileManager.default.copyItem(atPath: domain.state, toPath: copy)
        let cert1 = try cluster.startCertifier("cert1", state: domain.state)
        let cert2 = try cluster.startCertifier("cert2", state: copy)
        let rt1 = try cluster.startRuntime("rt1")
        let rt2 = try cluster.startRuntime("rt2")
        let first = cluster.endpoint("rt1", Self.runtimePort), second = cluster.endpoint("rt2", Self.runtimePort)

        // The provider attests (at either certifier replica) and sends the initial model, as tools/demo fl does.
        let provider = "\(domain.folder)/provider"
        try cluster.attest("provider", state: provider, certifiers: cluster.certifiers)
        let model = "\(domain.folder)/initial.cmlm"
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "5", "--out", model]))
        let sent = try hosts.run("devices", "cml-provider", ["send", "--runtime", "\(first),\(second)", "--state", provider, model])
        try AdmittedDomain.check(sent)
        #expect(sent.lines.first?.hasSuffix("the runtime acknowledged it") == true, "\(sent.lines)")
        // The other replica serves it too, from the database.
        let initial = try #require(sent.lines.first?.split(separator: " ").dropFirst(2).first.map(String.init))
        #expect(try eventually { try cluster.servedModel("rt2") == initial }, "rt2 does not serve model \(initial)")

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

        // Device 1 trains "about" at rt1 (rt2 next), uploads, and waits for the round's global model.
        try "about\n".write(toFile: "\(domain.folder)/about.txt", atomically: true, encoding: .utf8)
        try "white\n".write(toFile: "\(domain.folder)/white.txt", atomically: true, encoding: .utf8)
        let waiting = try cluster.start(
            "devices", "cml-device",
            ["fl", "--runtime", "\(first),\(second)", "--state", device1, "--words", "\(domain.folder)/about.txt", "--predict", "whi"])
        _ = try waiting.waitForLine { $0.contains("round 0: sent update ") && $0.hasSuffix("the runtime acknowledged it") }
        _ = try rt1.waitForLine { $0.contains(" for round 0 (2 samples) committed: about 1 of 2") }

        // Over the hosts' own addresses: the device's connection reaches rt1 from the devices host, and
        // every connection of the runtime's and the certifier's hosts is between hosts' addresses (the
        // table is the namespace's own), the database's among them.
        let atRuntime = cluster.connections(of: rt1, at: first)
        #expect(!atRuntime.isEmpty, "no connection to the runtime at \(first)")
        if hosts.isolated {
            #expect(atRuntime.allSatisfy { $0.remote.hasPrefix("\(devices):") }, "\(atRuntime)")
            for process in [rt1, cert2] {
                let all = ClusterHosts.establishedConnections(of: process.pid)
                #expect(all.allSatisfy { $0.local.hasPrefix("\(hosts.subnet).") && $0.remote.hasPrefix("\(hosts.subnet).") }, "\(all)")
                #expect(all.contains { $0.remote == "\(hosts.address("db")):5432" }, "\(process.name) holds no connection to the database: \(all)")
            }
        }

        // SIGKILL in the middle of the round: one update acknowledged, the other not sent yet.
        #expect(rt1.end(with: SIGKILL) == SIGKILL)

        // Device 2 trains "white" at rt2: the round closes there with both updates.
        let late = try hosts.run(
            "devices", "cml-device",
            ["fl", "--runtime", "\(second),\(first)", "--state", device2, "--words", "\(domain.folder)/white.txt", "--predict", "abo"])
        try AdmittedDomain.check(late)
        let closed = try rt2.waitForLine { $0.contains("---- round 0 closed by replica rt2 ") }
        let global = String(closed.split(separator: "global model ")[1].prefix { $0 != " " })
        #expect(closed.contains(" of round 1 (2 updates, 4 samples, "), "\(closed)")
        #expect(late.lines == ["round 1: received global model \(global) (4 samples)", "abo -> about"], "\(late.lines)")

        // Device 1 moved on from the killed replica to rt2 and ends with the same global model.
        #expect(waiting.waitForExit(timeout: .seconds(60)) == 0, "\(waiting.transcript)")
        #expect(waiting.standardOutput == ["round 1: received global model \(global) (4 samples)", "whi -> white"], "\(waiting.transcript)")
        #expect(waiting.standardError.contains { $0.contains("the runtime at \(first) failed (") && $0.contains("moving on to \(second) in ") }, "\(waiting.transcript)")
    }
}
