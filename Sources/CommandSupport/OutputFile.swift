public import ArgumentParser
import Foundation

/// Checks on an output file option before any work: a command that downloads or trains for minutes
/// should not find out only at the end that it cannot write its result.
public enum OutputFile {
    /// Throws a usage error naming `option` unless the folder `path` would be written in exists.
    public static func checkFolder(of path: String, option: String) throws(ValidationError) {
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        let target = folder.isEmpty ? "." : folder
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(option) \(path): the folder \(target) does not exist; create it or write elsewhere")
        }
    }
}
