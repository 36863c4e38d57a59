import ByteKit
import Foundation
import Glibc

/// CPU time (user and system) that processes used, from /proc/PID/stat: where a round's work went, on a
/// machine whose cores the runtime, PostgreSQL and the devices share.
enum ProcessCPU {
    /// Seconds of CPU that `pid` used so far; with `children`, also its ended children's that it waited
    /// for, and its live children's (PostgreSQL's backends under the postmaster). 0 if it is gone.
    static func seconds(_ pid: Int32, children: Bool = false) -> Double {
        guard let fields = statFields(pid) else { return 0 }
        var ticks = tick(fields, 11) + tick(fields, 12)
        if children {
            ticks += tick(fields, 13) + tick(fields, 14)
            let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for name in processes {
                guard let child = Int32(name), let childFields = statFields(child), childFields.count > 12, Int32(childFields[1]) == pid else {
                    continue
                }
                ticks += tick(childFields, 11) + tick(childFields, 12)
            }
        }
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The fields of /proc/PID/stat after the command name (field 3, the state, first).
    private static func statFields(_ pid: Int32) -> [Substring]? {
        // /proc reports size 0; the bounded read still stops at the limit.
        guard let text = try? FileBytes.readText("/proc/\(pid)/stat", limit: FileSizeLimit(bytes: 4096, kind: "a /proc stat file")),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    private static func tick(_ fields: [Substring], _ index: Int) -> Double {
        fields.indices.contains(index) ? Double(fields[index]) ?? 0 : 0
    }
}
