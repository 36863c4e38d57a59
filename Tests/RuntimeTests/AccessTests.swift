import ByteKit
import CBORKit
import Channel
import Device
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Provider
import Runtime
import TestSupport
import Testing

/// Who may connect and who may send what; every refusal with its reason.
@Suite struct AccessTests {
    @Test func aDeviceCannotUploadAModelNorAProviderTrain() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let upload = #expect(throws: ChannelError.self) { try runtime.client(role: .device).putModel(initialModel) }
        #expect(upload?.kind == .remote)
        #expect(upload?.code == .notAuthorized)
        #expect(upload?.message == "role \"device\" may not send \"put-model\" (only provider may)")
        #expect(runtime.server.store.current == nil)

        _ = try runtime.client(role: .provider).putModel(initialModel)
        let train = #expect(throws: ChannelError.self) { try runtime.client(role: .provider).train(words: ["about"]) }
        #expect(train?.code == .notAuthorized)
        #expect(train?.message == "role \"provider\" may not send \"train\" (only device may)")
        // The provider may read the model back.
        #expect(try runtime.client(role: .provider).getModel().blob.id == initialModel.id)
    }

    @Test func clientsWithoutAnAdmissionAreRefused() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let cases: [(TLSIdentity?, String)] = [
            (nil, "runtime refused the connection: no client certificate (this server admits only peers with an admission certificate)"),
            (
                try TestDomain.selfSigned(role: .device, commonName: "cml-device"),
                "runtime refused the connection: your certificate is not issued by this domain's policy key (self-signed \"cml-device\")"
            ),
            (
                try TestDomain(name: "another-policy").identity(role: .device),
                "runtime refused the connection: your certificate is issued by \"cml-issuer\", which is not issued by this domain's policy key (\"cml-issuer\" is issued by \"another-policy\")"
            ),
        ]
        for (identity, message) in cases {
            let error = #expect(throws: ChannelError.self) { try runtime.client(identity: identity).getModel() }
            #expect(error?.code == .notAuthorized)
            #expect(error?.message == message)
        }
    }

    @Test func anExpiredAdmissionIsRefused() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let expired = try runtime.domain.identity(role: .device, notBefore: Date() - 7200, notAfter: Date() - 60)
        let error = #expect(throws: ChannelError.self) { try runtime.client(identity: expired).getModel() }
        #expect(error?.code == .notAuthorized)
        #expect(error?.message == "runtime refused the connection: your certificate expired on \(UTCTimeText.format(expired.certificate.notAfter))")
    }

    @Test func rolesOutsideThePolicysChannelsAreRefused() throws {
        // A policy in which only the provider may connect to the runtime.
        let runtime = try RuntimeFixture(policy: TestDomain.mlPolicy(channels: [ChannelRule(from: "provider", to: "runtime")]))
        defer { runtime.cleanUp() }
        let device = #expect(throws: ChannelError.self) { try runtime.client(role: .device).getModel() }
        #expect(device?.message == "runtime refused the connection: role \"device\" may not connect to runtime (allowed: provider)")
        let certifier = #expect(throws: ChannelError.self) { try runtime.client(role: .certifier).getModel() }
        #expect(certifier?.code == .notAuthorized)
        // The device library does not even try under such a policy.
        let local = #expect(throws: ChannelError.self) {
            try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        }
        #expect(local?.message == "the policy lists no channel from device to runtime")
    }

    @Test func aServerThatIsNotTheRuntimeIsRefusedByProviderAndDevice() throws {
        let domain = try TestDomain()
        // A server presenting a device certificate of the same domain, posing as the runtime.
        let impostor = try ChannelServer(
            host: "127.0.0.1", port: 0, context: try domain.serverContext(role: .device), logger: quietLogger,
            handler: ChannelServer.answering { _, _ in ModelAck(id: "", size: 0).frame })
        try impostor.start()
        defer { impostor.stop() }
        let client = RuntimeClient(host: "127.0.0.1", port: impostor.port, context: try domain.clientContext(role: .provider))
        let error = #expect(throws: ChannelError.self) {
            try ModelProvider(runtime: client, policy: TestDomain.mlPolicy()).send(initialModel)
        }
        #expect(error?.kind == .refused)
        #expect(error?.message == "refused runtime at 127.0.0.1:\(impostor.port): its certificate names the role \"device\", expected runtime")
    }

    @Test func badRequestsGetErrorsNamingWhatIsWrong() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let device = try runtime.client(role: .device)
        let cases: [([String], String)] = [
            (["about", "ab1cd"], "word \"ab1cd\" has '1', which is not in the alphabet \"abcdefghijklmnopqrstuvwxyz- \" (a-z, '-' and space; upper case is folded)"),
            (["abou"], "word \"abou\" has 4 symbols, expected 5"),
            ([], "\"words\" is empty: send at least one word to train on"),
        ]
        for (words, message) in cases {
            let error = #expect(throws: ChannelError.self) { try device.train(words: words) }
            #expect(error?.code == .badRequest)
            #expect(error?.message == message)
        }
        // The client reconnects after each error; the model is unchanged.
        #expect(try device.getModel().blob.id == initialModel.id)

        var blob = initialModel.bytes
        blob.removeLast(4)
        let provider = try runtime.domain.clientContext(role: .provider)
        let invalid = #expect(throws: ChannelError.self) { try runtime.send(PutModelRequest(model: blob), context: provider) }
        #expect(invalid?.code == .invalidModel)
        #expect(invalid?.message.hasPrefix("model blob is truncated") == true)
    }

    @Test func unknownAndFederatedRequestsAreNamed() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let client = try ChannelClient.connect(
            host: "127.0.0.1", port: runtime.server.port, context: try runtime.domain.clientContext(role: .device),
            expectedRoles: [.runtime])
        let unknown = #expect(throws: ChannelError.self) { try client.request(Message(type: "steal-model")) }
        #expect(unknown?.code == .unknownType)
        #expect(unknown?.message == "the runtime does not serve \"steal-model\" (in ML mode it serves put-model, get-model, train)")

        let again = try ChannelClient.connect(
            host: "127.0.0.1", port: runtime.server.port, context: try runtime.domain.clientContext(role: .device),
            expectedRoles: [.runtime])
        let federated = #expect(throws: ChannelError.self) { try again.request(Message(type: "update")) }
        #expect(federated?.message == "\"update\" is an FL request; this runtime serves ML mode")

        let fields = try ChannelClient.connect(
            host: "127.0.0.1", port: runtime.server.port, context: try runtime.domain.clientContext(role: .device),
            expectedRoles: [.runtime])
        let mistyped = #expect(throws: ChannelError.self) {
            try fields.request(Message(type: "train", fields: ["words": .text("about")]))
        }
        #expect(mistyped?.code == .badRequest)
        #expect(mistyped?.message == "\"words\" must be an array of text strings, not a text string")
    }

    @Test func aMalformedFrameGetsAnErrorAndOthersAreStillServed() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        // A device that stays connected while another sends garbage.
        let bystander = try runtime.client(role: .device)
        try bystander.connect()

        let socket = try TCPConnector.connect(host: "127.0.0.1", port: runtime.server.port, timeout: .seconds(10))
        try socket.setTimeouts(receive: .seconds(20), send: .seconds(20))
        let tls = try TLSConnection(context: try runtime.domain.clientContext(role: .device), fileDescriptor: socket.fileDescriptor)
        try tls.handshake()
        try tls.write([0, 0, 0, 3, 0xff, 0xfe, 0xfd])
        let connection = FramedConnection(socket: socket, tls: tls)
        let answer = try connection.receive()
        let error = try ErrorMessage(answer)
        #expect(error.code == .malformedFrame)
        #expect(error.message.hasPrefix("the frame is not one CBOR item"))
        #expect(try connection.receiveIfAny() == nil)

        #expect(try bystander.getModel().blob.id == initialModel.id)
        #expect(try runtime.client(role: .device).getModel().blob.id == initialModel.id)
    }
}
