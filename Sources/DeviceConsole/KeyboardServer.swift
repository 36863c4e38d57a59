import Foundation
import Hummingbird
public import Logging

/// The keyboard page's HTTP server (Hummingbird 2): `GET /` the page, `GET /state`, and the two steps of
/// the session the page sends, `POST /predict {"prefix": "abo"}` -> `{"prefix": "abo", "word": "about"}`
/// and `POST /train {"word": "about"}` -> the state with the new model id and round.
///
/// Bad input is a 400 with `{"error": "..."}` saying what is wrong: a body that is not JSON of that form,
/// larger than `maxBodyBytes`, or a prefix or word the model does not take. A POST from another origin
/// (a web page elsewhere making this device train) is a 403, and one without a JSON content type a 400, so
/// a browser never sends another site's POST without asking first (and nothing here answers that question).
public struct KeyboardServer: Sendable {
    /// The largest request body read: a prefix or a word fits many times over.
    public static let maxBodyBytes = 4096

    private let keyboard: KeyboardDevice
    private let host: String
    private let port: Int
    private let logger: Logger

    /// A server of `keyboard`'s page on `host:port` (port 0: one the system picks), logging to `logger`.
    public init(keyboard: KeyboardDevice, host: String, port: Int, logger: Logger) {
        self.keyboard = keyboard
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Serves until SIGINT or SIGTERM; `onListening` hears the port bound once the server accepts connections.
    public func run(onListening: @escaping @Sendable (_ port: Int) -> Void) async throws {
        let fallback = port
        let application = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? fallback) },
            logger: logger)
        try await application.runService()
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        let keyboard = keyboard
        router.get("/") { _, _ in
            Self.response(.ok, contentType: "text/html; charset=utf-8", body: KeyboardPage.html)
        }
        router.get("/state") { _, _ in
            Self.json(keyboard.state)
        }
        router.post("/predict") { request, _ in
            do throws(KeyboardFailure) {
                let body = try await Self.body(of: request, as: PredictRequest.self)
                let word = try await keyboard.predict(body.prefix)
                return Self.json(PredictReply(prefix: body.prefix, word: word))
            } catch {
                return Self.failure(error)
            }
        }
        router.post("/train") { request, _ in
            do throws(KeyboardFailure) {
                let body = try await Self.body(of: request, as: TrainRequest.self)
                return Self.json(try await keyboard.train(body.word))
            } catch {
                return Self.failure(error)
            }
        }
        return router
    }

    /// The JSON body of a POST from the page: same origin, JSON content type, at most `maxBodyBytes`.
    private static func body<Body: Decodable & ExampleBody>(of request: Request, as: Body.Type) async throws(KeyboardFailure) -> Body {
        if let origin = request.headers[.origin], origin != "http://\(request.head.authority ?? "")" {
            throw KeyboardFailure(.crossOrigin, "a request from \(origin) is refused: only this page may ask the device to predict or train")
        }
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json") else {
            throw KeyboardFailure(.badInput, "send the body as JSON (Content-Type: application/json), e.g. \(Body.example)")
        }
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            throw KeyboardFailure(.badInput, "the request body is larger than \(maxBodyBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView))
        } catch {
            throw KeyboardFailure(.badInput, "the body is not JSON of the form \(Body.example)")
        }
    }

    private static func failure(_ failure: KeyboardFailure) -> Response {
        let status: HTTPResponse.Status =
            switch failure.kind {
            case .badInput: .badRequest
            case .crossOrigin: .forbidden
            case .refused, .unavailable: .serviceUnavailable
            case .failed: .badGateway
            }
        return json(ErrorReply(error: failure.message), status: status)
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // The values are strings, numbers and booleans: encoding them does not fail.
        let text = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return response(status, contentType: "application/json", body: text)
    }

    private static func response(_ status: HTTPResponse.Status, contentType: String, body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        // The page needs nothing from elsewhere; say so, so the browser refuses anything else.
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; form-action 'none'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// A request body the error message can show an example of.
private protocol ExampleBody {
    static var example: String { get }
}

/// `POST /predict`'s body.
private struct PredictRequest: Decodable, ExampleBody {
    let prefix: String
    static let example = #"{"prefix": "abo"}"#
}

/// `POST /train`'s body.
private struct TrainRequest: Decodable, ExampleBody {
    let word: String
    static let example = #"{"word": "about"}"#
}

/// `POST /predict`'s answer.
private struct PredictReply: Encodable {
    let prefix: String
    let word: String
}

/// The answer to a request that was not done.
private struct ErrorReply: Encodable {
    let error: String
}
