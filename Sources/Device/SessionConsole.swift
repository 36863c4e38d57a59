/// Where an interactive device session reads what the person types and writes what it answers.
public protocol SessionConsole: AnyObject {
    /// Shows `prompt` and returns the line typed, without its line end; nil at the end of the input.
    func read(prompt: String) -> String?
    /// Writes one line.
    func write(_ line: String)
}
