import ByteKit
import Foundation
import Metrics

/// The runtime's figures through swift-metrics (Prometheus names, `cml_` prefix; docs/operations.md,
/// "Watching it"). Label values come from short fixed sets only (request types the runtime serves, its
/// error codes, outcomes), never a serial or an address, so the series stay few. Without a metrics
/// backend every call goes to swift-metrics' no-op handlers.
enum RuntimeMetrics {
    /// Counts a request of `type` (a served type, or "other") answered with `outcome` ("ok" or an error
    /// code) and records how long the runtime took to answer it.
    static func request(type: String, outcome: String, duration: Duration) {
        Counter(label: "cml_runtime_requests_total", dimensions: [("type", type), ("outcome", outcome)]).increment()
        Timer(label: "cml_runtime_request_duration_seconds", dimensions: [("type", type)]).record(duration: duration)
    }

    /// Counts one ML training that took `duration`.
    static func training(duration: Duration) {
        Counter(label: "cml_runtime_trainings_total").increment()
        FloatingPointCounter(label: "cml_runtime_training_seconds_total").increment(by: duration.inSeconds)
    }

    /// Reports the runtime's admission certificate's expiry (unix seconds); `renewed`: counts a renewal.
    static func admission(expiry: Date, renewed: Bool) {
        Gauge(label: "cml_runtime_admission_expiry_seconds").record(expiry.timeIntervalSince1970)
        if renewed { Counter(label: "cml_runtime_renewals_total").increment() }
    }

    /// Reports the federation's terms: min-updates and quorum.
    static func federationRules(minUpdates: Int, quorum: Int) {
        Gauge(label: "cml_fl_min_updates").record(minUpdates)
        Gauge(label: "cml_fl_quorum").record(quorum)
    }

    /// Reports the open round: its number, its deadline (unix seconds) and its updates so far.
    static func openRound(_ round: UInt64, deadline: Date, updates: Int) {
        Gauge(label: "cml_fl_round").record(Double(round))
        Gauge(label: "cml_fl_round_deadline_seconds").record(deadline.timeIntervalSince1970)
        roundUpdates(updates)
    }

    /// Reports the updates counted in the open round.
    static func roundUpdates(_ count: Int) {
        Gauge(label: "cml_fl_round_updates").record(count)
    }

    /// Records a published round: how long it was open (`latency`), how long its aggregation and
    /// publication took, and how many devices' updates it had.
    static func roundClosed(latency: TimeInterval, aggregation: Duration, devices: Int) {
        Timer(label: "cml_fl_round_duration_seconds").recordSeconds(max(0, latency))
        Counter(label: "cml_fl_rounds_total").increment()
        FloatingPointCounter(label: "cml_fl_aggregation_seconds_total").increment(by: aggregation.inSeconds)
        Gauge(label: "cml_fl_last_round_devices").record(devices)
    }
}
