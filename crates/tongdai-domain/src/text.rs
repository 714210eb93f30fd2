//! Text from citizens arrives in every Unicode form (NFD from some phones, NFC from
//! others, legacy keyboard tricks). Everything is stored in NFC, and searches compare a
//! folded form without accents so "phuong 4 tan an" finds "Phường 4, Tân An".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// One line of text as it is stored: NFC, without control characters (NUL and the other
/// C0/C1 controls, which PostgreSQL refuses or which hide text), without bidi overrides and
/// zero-width characters (which make a title read differently from what is stored), with
/// surrounding white space trimmed and inner runs of white space (tabs and newlines too)
/// collapsed. A text of only invisible characters becomes empty.
pub fn normalize(input: &str) -> String {
    // Invisible characters go first and composition comes last: "e", a zero-width space and
    // a combining grave accent must end as "è", not as "e" + U+0300 (not NFC).
    let visible: String = input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !is_invisible(*c))
        .collect();
    visible
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect()
}

/// Characters that change how text is shown without being seen: bidi embeddings,
/// overrides, isolates and marks, zero-width spaces and joiners, the word joiner, the
/// byte-order mark, the soft hyphen and the filler characters used to fake blank text.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Lower case, no diacritics, `đ` → `d`, punctuation → spaces, single-spaced: the key
/// used for accent-insensitive matching of names and addresses.
pub fn fold(input: &str) -> String {
    let stripped: String = input
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .flat_map(char::to_lowercase)
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_remains_after_invisible_characters_go_is_composed() {
        use super::normalize;
        assert_eq!(normalize("e\u{200B}\u{300}"), "\u{E8}");
        assert_eq!(normalize("Phu\u{FEFF}\u{31B}\u{300}ng"), "Phừng");
        let out = normalize("a\u{2060}\u{301} b\u{200D}\u{303}");
        assert!(unicode_normalization::is_nfc(&out), "{out:?}");
    }

    use super::*;

    #[test]
    fn normalize_composes_decomposed_vietnamese() {
        let nfd = "Phu\u{031B}o\u{031B}\u{0300}ng";
        assert_eq!(normalize(nfd), "Phường");
        assert_eq!(normalize("  Tân   An \n"), "Tân An");
    }

    #[test]
    fn normalize_drops_controls_and_invisible_characters() {
        assert_eq!(normalize("Đèn\u{0}hỏng"), "Đèn hỏng");
        assert_eq!(normalize("a\u{1}\u{1b}[31mb\u{7f}\u{85}c"), "a [31mb c");
        assert_eq!(normalize("tab\there"), "tab here");
        // "evil.exe" shown reversed by an override; zero-width characters hide words.
        assert_eq!(normalize("abc\u{202E}exe.txt"), "abcexe.txt");
        assert_eq!(normalize("a\u{2066}b\u{2069}c\u{200B}d\u{FEFF}"), "abcd");
        assert_eq!(normalize("\u{200B}\u{200D}\u{3164} \u{2800}\u{0}"), "");
    }

    #[test]
    fn fold_removes_accents_case_and_punctuation() {
        assert_eq!(fold("Phường 4, Tân An"), "phuong 4 tan an");
        assert_eq!(fold("ĐỨC HÒA"), "duc hoa");
        assert_eq!(fold("Thủ Thừa – xã Bình Thạnh"), "thu thua xa binh thanh");
    }
}
