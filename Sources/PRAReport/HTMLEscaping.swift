/// Escaping for text that goes into the HTML compliance report and its inline SVG.
///
/// Scenario names, descriptions, error messages and host names come from files and servers the
/// report does not control. Every such string goes through ``text(_:)`` (element content) or
/// ``attribute(_:)`` (a double-quoted attribute value): `&`, `<`, `>`, `"` and `'` become
/// character references, so the text can neither open an element nor leave an attribute.
/// Characters HTML forbids in a document (NUL, ESC and the other C0 controls except tab,
/// newline and carriage return, DEL, the C1 controls, and the noncharacters such as U+FFFE)
/// become visible text, `\x1B` or `\uFFFE` (as in the JUnit report), so a hostile message can
/// neither break the page nor hide in it.
public enum HTMLEscaping {
    /// `value` escaped for element content.
    public static func text(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out += visible(scalar)
            }
        }
        return out
    }

    /// `value` escaped for a double-quoted attribute value (newlines become spaces).
    public static func attribute(_ value: String) -> String {
        text(value).replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\t", with: " ")
    }

    /// The scalar itself, or a visible stand-in (`\x1B`, `\u0085`, `\uFFFE`) for one that
    /// HTML does not allow in a document.
    static func visible(_ scalar: Unicode.Scalar) -> String {
        let value = scalar.value
        switch value {
        case 0x09, 0x0A, 0x0D: return String(scalar)
        case 0x00...0x1F, 0x7F: return "\\x" + hex(value, digits: 2)
        case 0x80...0x9F, 0xFDD0...0xFDEF: return "\\u" + hex(value, digits: 4)
        default:
            if value & 0xFFFE == 0xFFFE { return "\\u" + hex(value, digits: value > 0xFFFF ? 6 : 4) }  // U+FFFE, U+FFFF, U+1FFFE, ...
            return String(scalar)
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
