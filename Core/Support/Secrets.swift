/// Comparing and making secrets: the one way for tokens, passwords' digests and CSRF tokens.
public enum Secrets {
    /// Whether `a` and `b` are equal, in a time that depends only on their lengths (not on where
    /// they first differ), so an attacker cannot guess a secret byte by byte from answer times.
    public static func constantTimeEqual<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// 32 characters from [A-Za-z0-9] (about 190 bits), safe in a URL without encoding.
    public static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
