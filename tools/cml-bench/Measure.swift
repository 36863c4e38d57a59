import Foundation

/// Timing: a warm-up that also sizes the runs, then the median of several measured runs.
enum Measure {
    /// Runs `work(repeats)` once to warm up, picks `repeats` so a run lasts at least `settings.seconds`,
    /// then returns the median over `settings.runs` runs of seconds per repeat.
    static func medianSecondsPerRepeat(_ settings: BenchSettings, _ work: (Int) throws -> Void) rethrows -> Double {
        let once = try time { try work(1) }
        let repeats = max(1, Int((settings.seconds / max(once, 1e-9)).rounded(.up)))
        var samples = [Double]()
        for _ in 0..<settings.runs {
            samples.append(try time { try work(repeats) } / Double(repeats))
        }
        return median(samples)
    }

    static func time(_ work: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure(work)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
