import Metrics
public import Prometheus
import Synchronization

/// The process's Prometheus registry, bootstrapped as swift-metrics' backend once, when the admin
/// endpoint is on. Until then (and without `--admin-listen` at all) swift-metrics' no-op default makes
/// every counter, gauge and timer in the roles nearly free.
public enum AdminMetrics {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// The histogram buckets of every timer: a request answers in milliseconds, a training or a round
    /// may take minutes.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
    ]

    /// The registry that `/metrics` serves, made and bootstrapped as the `MetricsSystem` factory on the
    /// first call; later calls return the same one (swift-metrics can be bootstrapped once per process).
    /// Call it before the role's server is made, so that the handles it makes at start report here.
    @discardableResult
    public static func bootstrap() -> PrometheusCollectorRegistry {
        bootstrapped.withLock { current in
            if let current { return current }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = durationBuckets
            MetricsSystem.bootstrap(factory)
            current = registry
            return registry
        }
    }

    /// The registry, if `bootstrap()` was called.
    static var registry: PrometheusCollectorRegistry? { bootstrapped.withLock { $0 } }
}
