/// The README.md of a host's kit: what the folder is, and that host's commands in the order they run.
///
/// The commands are in one `sh` block, each on one line, run from the kit folder after its first line
/// (which reads cml.env): the end-to-end test runs exactly these lines, so the guide cannot drift from
/// what works.
enum KitReadme {
    /// The README for `role`'s host.
    static func text(role: String, attester: KitAttester, ports: (certifier: UInt16, runtime: UInt16), installDir: String, binDir: String) -> String {
        let attest = attester == .sim
            ? "--attester sim --platform \(HostKit.platformFolder)"
            : "--attester tsm"
        let attestLine = "cml-\(role) attest --certifier \"$CML_CERTIFIER\" --policy-cert policy.crt --state \"$CML_STATE\" \(attest)"
        // The runtime keeps nothing on its host's disk: its attest only checks, and serve attests at every start.
        let checkLine = "cml-runtime attest --certifier \"$CML_CERTIFIER\" --policy-cert policy.crt \(attest)"
        var lines = ["set -a; . ./\(HostKit.environmentFile); set +a"]
        var notes: [String] = []
        switch role {
        case "certifier":
            lines.append("cml-certifier serve --state \"$CML_STATE\" --policy \"$CML_POLICY\" --listen \"$CML_LISTEN\"")
            notes = [
                "The certifier's state stays in `$CML_STATE` on this host (made by `cml-certifier init`); its issuing key (issuer.key) signs admissions. No kit holds the policy key: keep `policy.key` off this host (docs/operations.md, \"Keeping the policy key offline\").",
                "New policy: sign it on the offline machine (`cml-policy sign`), copy it over `policy.signed` here, then `systemctl reload cml-certifier` (SIGHUP).",
                "Open TCP port \(ports.certifier) in the firewall to the runtime, provider and device hosts.",
            ]
        case "runtime":
            lines += [
                checkLine,
                "cml-runtime serve --state \"$CML_STATE\" --listen \"$CML_LISTEN\" --mode \"$CML_MODE\" --certifier \"$CML_CERTIFIER\" --policy-cert policy.crt \(attest)",
            ]
            notes = [
                "`attest` only checks that this runtime is admitted and keeps nothing; `serve` attests by itself at every start and renews "
                    + "before expiry, holding its key and secrets in memory only: `$CML_STATE` holds just the sealed state, nothing secret.",
                "Open TCP port \(ports.runtime) in the firewall to the provider and device hosts; the runtime connects out to the certifier.",
            ]
        case "provider":
            lines += [
                attestLine,
                "cml-provider send --runtime \"$CML_RUNTIME\" --state \"$CML_STATE\" model.blob",
                "cml-provider fetch --runtime \"$CML_RUNTIME\" --state \"$CML_STATE\" --out trained.blob",
            ]
            notes = [
                "`model.blob` is the model to serve, e.g. from `cml-provider train --words FILE --out model.blob`.",
                "`fetch` gets the runtime's current model once devices have trained it.",
            ]
        default:
            lines += [
                attestLine,
                "cml-device train --runtime \"$CML_RUNTIME\" --state \"$CML_STATE\" about",
                "cml-device predict --runtime \"$CML_RUNTIME\" --state \"$CML_STATE\" abo",
            ]
            notes = ["In FL mode use `cml-device fl --runtime \"$CML_RUNTIME\" --state \"$CML_STATE\" --words FILE` instead of `train`."]
        }
        let service = role == "certifier" || role == "runtime"
            ? """

            As a service: copy `cml-\(role).service` to `/etc/systemd/system/`, then `systemctl daemon-reload` and \
            `systemctl enable --now cml-\(role)` (it runs the `serve` line above from `\(installDir)` with `cml.env`).

            """
            : ""
        let simulation = attester == .sim && role != "certifier"
            ? "\n`platform/` is a simulated platform for `--attester sim`: read `SIMULATION-ONLY.txt`; a real CCA host has none.\n"
            : ""
        return """
            # ConfidentialML kit: the \(role) host

            Copy this folder to `\(installDir)` on the \(role) host, and the `cml-*` executables to `\(binDir)`.
            `cml.env` holds the addresses (`CML_CERTIFIER`, `CML_RUNTIME`) and this host's paths. Made by
            `cml-certifier provision`; see docs/operations.md for the whole domain.

            Commands, in order, from this folder:

            ```sh
            \(lines.joined(separator: "\n"))
            ```
            \(service)\(simulation)
            \(notes.map { "- \($0)" }.joined(separator: "\n"))

            """
    }
}
