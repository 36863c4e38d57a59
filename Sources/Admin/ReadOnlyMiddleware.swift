import Hummingbird

/// Answers every method but GET and HEAD with 405 and an `Allow` header: the admin endpoint is read-only,
/// and Hummingbird's router alone would answer a POST to a known path with 404.
struct ReadOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return Response(
                status: .methodNotAllowed, headers: [.allow: "GET, HEAD", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "405 method not allowed: the admin endpoint is read-only (GET, HEAD)\n")))
        }
        return try await next(request, context)
    }
}
