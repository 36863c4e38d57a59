// swift-tools-version: 6.0
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let coreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")

// Dependencies point one way: C wrappers <- privacy <- model and attestation <- policy
// <- channel <- protocol <- roles <- command-line tools.
// Linux only (Debian 12 tested), so no `platforms:`: the code calls Glibc directly.
let package = Package(
    name: "ConfidentialML",
    products: [
        .executable(name: "cml-provider", targets: ["cml-provider"]),
        .executable(name: "cml-device", targets: ["cml-device"]),
        .executable(name: "cml-token", targets: ["cml-token"]),
        .executable(name: "cml-certifier", targets: ["cml-certifier"]),
        .executable(name: "cml-runtime", targets: ["cml-runtime"]),
        .executable(name: "cml-policy", targets: ["cml-policy"]),
        .executable(name: "cml-bench", targets: ["cml-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        // C libraries, each behind a module map and a header of shims.
        .systemLibrary(
            name: "COpenBLAS", path: "CSupport/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "COpenSSL", path: "CSupport/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CCBOR", path: "CSupport/CCBOR", pkgConfig: "libcbor",
            providers: [.apt(["libcbor-dev"])]),
        .systemLibrary(
            name: "CLibPQ", path: "CSupport/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        // Linux's epoll (in libc; Swift's Glibc module does not export its header).
        .systemLibrary(name: "CEpoll", path: "CSupport/CEpoll"),

        // Byte helpers that every layer shares (hex text, whole-file reads and writes, dates as people read them).
        .target(name: "ByteKit"),

        // One Swift wrapper per C library; each owns its handles.
        .target(name: "BLASKit", dependencies: ["COpenBLAS"]),
        .target(name: "CBORKit", dependencies: ["CCBOR", "ByteKit"]),
        .target(name: "OpenSSLKit", dependencies: ["COpenSSL", "ByteKit"]),
        // PostgreSQL through libpq: connections, parameterised statements, transactions, a pool.
        .target(name: "PQKit", dependencies: ["CLibPQ"]),

        // Differential privacy: exact noise and Poisson sampling from the CSPRNG, and the privacy accountant.
        .target(name: "Privacy", dependencies: ["OpenSSLKit"]),

        // Model and attestation.
        .target(name: "WordModel", dependencies: ["BLASKit", "CBORKit", "OpenSSLKit", "ByteKit", "Privacy"]),
        .target(name: "Attestation", dependencies: ["CBORKit", "OpenSSLKit", "ByteKit"]),

        // The signed policy: who may take part, in which role.
        .target(name: "Policy", dependencies: ["Attestation", "Privacy", "OpenSSLKit", "ByteKit"]),

        // The transport: framed CBOR messages over TLS 1.3, peer identities from admission certificates,
        // servers and clients, and the error frames the transport sends itself.
        .target(name: "Channel", dependencies: ["CEpoll", "Policy", "OpenSSLKit", "CBORKit", "ByteKit", logging, coreMetrics]),

        // The application protocol over Channel: the certifier's and the runtime's messages, their error
        // codes, and the runtime's client.
        .target(name: "Protocol", dependencies: ["Channel", "Policy", "WordModel", "OpenSSLKit", "CBORKit", "ByteKit"]),

        // The certifier: state, nonces, admission certificates, audit log, the service.
        .target(name: "Certifier", dependencies: ["Policy", "Channel", "Protocol", "Attestation", "OpenSSLKit", "CBORKit", "ByteKit", "PQKit", logging, metrics]),

        // What every role's `attest` does, and the credentials later tasks load from a role's state.
        .target(name: "Admission", dependencies: ["Policy", "Channel", "Protocol", "Attestation", "OpenSSLKit", "ByteKit", logging]),

        // Each role's logic, so tests can run it in-process; the executables are thin.
        .target(
            name: "Runtime",
            dependencies: ["Channel", "Protocol", "Policy", "Privacy", "WordModel", "OpenSSLKit", "CBORKit", "ByteKit", "PQKit", logging, metrics]),
        .target(name: "Provider", dependencies: ["Channel", "Protocol", "Policy", "WordModel"]),
        .target(name: "Device", dependencies: ["Channel", "Protocol", "Policy", "WordModel"]),

        // The device's keyboard page: the device session served over HTTP to a browser on this machine.
        .target(name: "DeviceConsole", dependencies: ["Device", "Channel", hummingbird, logging]),

        // The admin endpoint of a serving role: Prometheus metrics, the role's status as JSON and the console
        // page over plain HTTP (Hummingbird), and the blocking client of the `status` commands.
        .target(name: "Admin", dependencies: ["Channel", "CommandSupport", argumentParser, hummingbird, prometheus, metrics, logging]),

        // What every command-line tool shares: exit codes, output, common options.
        .target(name: "CommandSupport", dependencies: ["ByteKit", argumentParser, logging]),

        // Subcommands that several role executables share (`attest`).
        .target(
            name: "RoleCommands",
            dependencies: ["Admission", "Attestation", "Channel", "Policy", "Protocol", "OpenSSLKit", "ByteKit", "CommandSupport", argumentParser, logging]),

        // Thin executables.
        .executableTarget(
            name: "cml-certifier",
            dependencies: [
                "Certifier", "Admin", "Channel", "RoleCommands", "Policy", "Attestation", "OpenSSLKit", "ByteKit", "CommandSupport", argumentParser,
                logging,
            ]),
        .executableTarget(
            name: "cml-runtime",
            dependencies: [
                "Runtime", "Admin", "RoleCommands", "Admission", "Attestation", "Policy", "OpenSSLKit", "ByteKit", "CommandSupport", "PQKit", argumentParser, logging,
            ]),
        .executableTarget(
            name: "cml-provider",
            dependencies: ["Provider", "RoleCommands", "Admission", "Channel", "Protocol", "Policy", "WordModel", "ByteKit", "CommandSupport", argumentParser]),
        .executableTarget(
            name: "cml-device",
            dependencies: ["Device", "DeviceConsole", "RoleCommands", "Admission", "Channel", "Protocol", "Policy", "WordModel", "ByteKit", "CommandSupport", argumentParser, logging]),
        .executableTarget(
            name: "cml-token", dependencies: ["Attestation", "CBORKit", "OpenSSLKit", "ByteKit", "CommandSupport", argumentParser],
            path: "tools/cml-token"),
        .executableTarget(
            name: "cml-policy", dependencies: ["Policy", "Privacy", "Attestation", "OpenSSLKit", "ByteKit", "CommandSupport", argumentParser],
            path: "tools/cml-policy"),
        .executableTarget(
            name: "cml-bench",
            dependencies: [
                "WordModel", "Privacy", "BLASKit", "Attestation", "Channel", "Protocol", "OpenSSLKit", "Policy", "Certifier", "Admin", "Admission", "ByteKit",
                "Runtime", "CommandSupport", "PQKit", "TestSupport", argumentParser, logging,
            ],
            path: "tools/cml-bench"),

        // Certificates and domains made at test time, shared by the test targets that need them.
        .target(name: "TestSupport", dependencies: ["Channel", "OpenSSLKit", "Policy", "PQKit", "ByteKit", logging], path: "Tests/TestSupport"),

        // One test target per library, plus end-to-end tests of the real executables.
        .testTarget(name: "ByteKitTests", dependencies: ["ByteKit"]),
        // CBORKitTests also calls libcbor directly, to pin the 0.8 behaviour that CBORKit works around.
        .testTarget(name: "CBORKitTests", dependencies: ["CBORKit", "ByteKit", "CCBOR"], resources: [.copy("Vectors")]),
        .testTarget(name: "PQKitTests", dependencies: ["PQKit", "TestSupport"]),
        .testTarget(name: "OpenSSLKitTests", dependencies: ["OpenSSLKit", "ByteKit"], resources: [.copy("Vectors")]),
        .testTarget(name: "WordModelTests", dependencies: ["WordModel", "Privacy", "BLASKit", "CBORKit"], resources: [.copy("Vectors")]),
        .testTarget(
            name: "PrivacyTests", dependencies: ["Privacy"],
            // dp_accounting_epsilons.py is run by EndToEndTests to check the accountant against dp-accounting.
            exclude: ["dp_accounting_epsilons.py"]),
        .testTarget(
            name: "AttestationTests", dependencies: ["Attestation", "CBORKit", "OpenSSLKit", "ByteKit"],
            // pycose_verify.py is run by EndToEndTests on tokens that cml-token makes.
            exclude: ["pycose_verify.py"], resources: [.copy("Vectors")]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Privacy", "Attestation", "OpenSSLKit", "ByteKit"]),
        .testTarget(
            name: "CertifierTests",
            dependencies: [
                "Certifier", "Admission", "Policy", "Attestation", "Channel", "Protocol", "OpenSSLKit", "CBORKit", "ByteKit",
                "PQKit", "TestSupport", logging,
            ]),
        .testTarget(name: "CommandSupportTests", dependencies: ["CommandSupport", logging]),
        .testTarget(name: "AdminTests", dependencies: ["Admin"]),
        .testTarget(name: "ChannelTests", dependencies: ["Channel", "Policy", "OpenSSLKit", "CBORKit", "ByteKit", "TestSupport", logging]),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol", "Channel", "CBORKit", "TestSupport"]),
        .testTarget(
            name: "RuntimeTests",
            dependencies: [
                "Runtime", "Provider", "Device", "Channel", "Protocol", "Policy", "Privacy", "WordModel", "OpenSSLKit", "CBORKit",
                "ByteKit", "TestSupport", "PQKit", logging,
            ]),
        // Runs the built executables; depending on them makes `swift test` build them first.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "cml-provider", "cml-device", "cml-token", "cml-certifier", "cml-policy", "cml-runtime", "WordModel", "Privacy", "Attestation",
                "Certifier", "Admission", "Channel", "Protocol", "Policy", "OpenSSLKit", "ByteKit", "PQKit", "TestSupport", logging,
            ]),
    ]
)

// Every `import X` is internal unless written `public import X`, so a `public import` says that a module's
// public API shows the imported module's types.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("InternalImportsByDefault")]
}
