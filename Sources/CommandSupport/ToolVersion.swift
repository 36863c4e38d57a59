/// The version every command-line tool of ConfidentialML reports with `--version`.
///
/// One string for all seven tools: they are built, shipped and upgraded together, so a person comparing
/// two hosts compares one number.
public enum ToolVersion {
    /// "0.3.0".
    public static let text = "0.3.0"
}
