import ArgumentParser
import WordModel

/// Checks in `validate()` that each text has the symbols of `kind` (a usage error names the first that has not).
func checkSymbols(_ texts: [String], as kind: TextKind) throws {
    guard !texts.isEmpty else { throw ValidationError("give at least one \(kind == .word ? "WORD" : "PREFIX")") }
    for text in texts {
        do {
            _ = try Alphabet.indices(of: text, as: kind)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
