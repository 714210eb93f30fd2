//! Text from citizens arrives in every Unicode form (NFD from some phones, NFC from
//! others, legacy keyboard tricks). Everything is stored in NFC, and searches compare a
//! folded form without accents so "phuong 4 tan an" finds "Phường 4, Tân An".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// NFC with surrounding white space trimmed and inner runs of white space collapsed.
pub fn normalize(input: &str) -> String {
    let nfc: String = input.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
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
    use super::*;

    #[test]
    fn normalize_composes_decomposed_vietnamese() {
        let nfd = "Phu\u{031B}o\u{031B}\u{0300}ng";
        assert_eq!(normalize(nfd), "Phường");
        assert_eq!(normalize("  Tân   An \n"), "Tân An");
    }

    #[test]
    fn fold_removes_accents_case_and_punctuation() {
        assert_eq!(fold("Phường 4, Tân An"), "phuong 4 tan an");
        assert_eq!(fold("ĐỨC HÒA"), "duc hoa");
        assert_eq!(fold("Thủ Thừa – xã Bình Thạnh"), "thu thua xa binh thanh");
    }
}
