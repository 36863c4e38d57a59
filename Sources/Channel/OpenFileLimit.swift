#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open descriptors, which bounds how many connections it can hold.
package enum OpenFileLimit {
    /// The current soft limit.
    package static var current: Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        return Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft limit to the hard limit, once per process, and returns the limit in force.
    ///
    /// Debian's default soft limit of 1,024 descriptors would cap a server below a thousand clients
    /// (each connection is one descriptor, and a process also has its files and pipes); the hard limit
    /// is usually far higher, and raising the soft limit up to it needs no privilege.
    @discardableResult
    package static func raiseToHardLimit() -> Int {
        _ = raised
        return current
    }

    private static let raised: Void = {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
    }()

    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
