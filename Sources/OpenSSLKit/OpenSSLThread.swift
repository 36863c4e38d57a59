internal import COpenSSL

/// Per-thread OpenSSL state: the error queue and the thread's random generators.
public enum OpenSSLThread {
    /// Frees this thread's OpenSSL state now instead of when the thread exits.
    ///
    /// Call it last on a worker thread that another thread waits for. OpenSSL otherwise frees the state
    /// in a thread-exit destructor, after the waiter has been told the work is done; if the process
    /// exits then, OpenSSL's exit-time cleanup frees the locks that destructor is taking, and the
    /// process crashes on its way out. Using OpenSSL again on this thread afterwards is allowed: it
    /// sets the state up again.
    public static func finish() {
        OPENSSL_thread_stop()
    }
}
