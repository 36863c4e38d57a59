public import ByteKit
import Foundation

extension StateFolderLock {
    /// Locks the state folder `folder` for a long-running command, before it reads anything there; a
    /// folder that does not exist is not locked (the command then fails on what it cannot find, in its
    /// own words). Throws `state folder DIR is in use by process PID` as a `CommandFailure`.
    public static func forCommand(folder: String) throws(CommandFailure) -> StateFolderLock? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else { return nil }
        do {
            return try StateFolderLock(folder: folder)
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
    }
}
