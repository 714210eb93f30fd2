//! Charsets mail-parser does not know. Today that is VISCII (RFC 1456), the 8-bit Vietnamese
//! standard of 1992 that old Vietnamese mail programs (and some government software) still send.
//! windows-1258 is decoded by mail-parser itself; its combining tone marks are composed by the
//! NFC step every text goes through afterwards.

use std::borrow::Cow;

use mail_parser::decoders::base64::base64_decode;

/// The VISCII code page, byte → character, all 256 entries. Source: RFC 1456 ("Conventions for
/// Encoding the Vietnamese Language — VISCII and VIQR", table of VISCII 1.1) as transcribed in the
/// GNU C Library's `localedata/charmaps/VISCII`; generated from that file and checked against
/// glibc `iconv -f VISCII` for every byte. VISCII puts six capital letters in the C0 range
/// (0x02, 0x05, 0x06, 0x14, 0x19, 0x1E), which is why it needs a full table.
pub(crate) static VISCII: [char; 256] = [
    '\u{0000}', '\u{0001}', '\u{1EB2}', '\u{0003}', '\u{0004}', '\u{1EB4}', '\u{1EAA}',
    '\u{0007}', // 0x00
    '\u{0008}', '\u{0009}', '\u{000A}', '\u{000B}', '\u{000C}', '\u{000D}', '\u{000E}',
    '\u{000F}', // 0x08
    '\u{0010}', '\u{0011}', '\u{0012}', '\u{0013}', '\u{1EF6}', '\u{0015}', '\u{0016}',
    '\u{0017}', // 0x10
    '\u{0018}', '\u{1EF8}', '\u{001A}', '\u{001B}', '\u{001C}', '\u{001D}', '\u{1EF4}',
    '\u{001F}', // 0x18
    '\u{0020}', '\u{0021}', '\u{0022}', '\u{0023}', '\u{0024}', '\u{0025}', '\u{0026}',
    '\u{0027}', // 0x20
    '\u{0028}', '\u{0029}', '\u{002A}', '\u{002B}', '\u{002C}', '\u{002D}', '\u{002E}',
    '\u{002F}', // 0x28
    '\u{0030}', '\u{0031}', '\u{0032}', '\u{0033}', '\u{0034}', '\u{0035}', '\u{0036}',
    '\u{0037}', // 0x30
    '\u{0038}', '\u{0039}', '\u{003A}', '\u{003B}', '\u{003C}', '\u{003D}', '\u{003E}',
    '\u{003F}', // 0x38
    '\u{0040}', '\u{0041}', '\u{0042}', '\u{0043}', '\u{0044}', '\u{0045}', '\u{0046}',
    '\u{0047}', // 0x40
    '\u{0048}', '\u{0049}', '\u{004A}', '\u{004B}', '\u{004C}', '\u{004D}', '\u{004E}',
    '\u{004F}', // 0x48
    '\u{0050}', '\u{0051}', '\u{0052}', '\u{0053}', '\u{0054}', '\u{0055}', '\u{0056}',
    '\u{0057}', // 0x50
    '\u{0058}', '\u{0059}', '\u{005A}', '\u{005B}', '\u{005C}', '\u{005D}', '\u{005E}',
    '\u{005F}', // 0x58
    '\u{0060}', '\u{0061}', '\u{0062}', '\u{0063}', '\u{0064}', '\u{0065}', '\u{0066}',
    '\u{0067}', // 0x60
    '\u{0068}', '\u{0069}', '\u{006A}', '\u{006B}', '\u{006C}', '\u{006D}', '\u{006E}',
    '\u{006F}', // 0x68
    '\u{0070}', '\u{0071}', '\u{0072}', '\u{0073}', '\u{0074}', '\u{0075}', '\u{0076}',
    '\u{0077}', // 0x70
    '\u{0078}', '\u{0079}', '\u{007A}', '\u{007B}', '\u{007C}', '\u{007D}', '\u{007E}',
    '\u{007F}', // 0x78
    '\u{1EA0}', '\u{1EAE}', '\u{1EB0}', '\u{1EB6}', '\u{1EA4}', '\u{1EA6}', '\u{1EA8}',
    '\u{1EAC}', // 0x80
    '\u{1EBC}', '\u{1EB8}', '\u{1EBE}', '\u{1EC0}', '\u{1EC2}', '\u{1EC4}', '\u{1EC6}',
    '\u{1ED0}', // 0x88
    '\u{1ED2}', '\u{1ED4}', '\u{1ED6}', '\u{1ED8}', '\u{1EE2}', '\u{1EDA}', '\u{1EDC}',
    '\u{1EDE}', // 0x90
    '\u{1ECA}', '\u{1ECE}', '\u{1ECC}', '\u{1EC8}', '\u{1EE6}', '\u{0168}', '\u{1EE4}',
    '\u{1EF2}', // 0x98
    '\u{00D5}', '\u{1EAF}', '\u{1EB1}', '\u{1EB7}', '\u{1EA5}', '\u{1EA7}', '\u{1EA9}',
    '\u{1EAD}', // 0xA0
    '\u{1EBD}', '\u{1EB9}', '\u{1EBF}', '\u{1EC1}', '\u{1EC3}', '\u{1EC5}', '\u{1EC7}',
    '\u{1ED1}', // 0xA8
    '\u{1ED3}', '\u{1ED5}', '\u{1ED7}', '\u{1EE0}', '\u{01A0}', '\u{1ED9}', '\u{1EDD}',
    '\u{1EDF}', // 0xB0
    '\u{1ECB}', '\u{1EF0}', '\u{1EE8}', '\u{1EEA}', '\u{1EEC}', '\u{01A1}', '\u{1EDB}',
    '\u{01AF}', // 0xB8
    '\u{00C0}', '\u{00C1}', '\u{00C2}', '\u{00C3}', '\u{1EA2}', '\u{0102}', '\u{1EB3}',
    '\u{1EB5}', // 0xC0
    '\u{00C8}', '\u{00C9}', '\u{00CA}', '\u{1EBA}', '\u{00CC}', '\u{00CD}', '\u{0128}',
    '\u{1EF3}', // 0xC8
    '\u{0110}', '\u{1EE9}', '\u{00D2}', '\u{00D3}', '\u{00D4}', '\u{1EA1}', '\u{1EF7}',
    '\u{1EEB}', // 0xD0
    '\u{1EED}', '\u{00D9}', '\u{00DA}', '\u{1EF9}', '\u{1EF5}', '\u{00DD}', '\u{1EE1}',
    '\u{01B0}', // 0xD8
    '\u{00E0}', '\u{00E1}', '\u{00E2}', '\u{00E3}', '\u{1EA3}', '\u{0103}', '\u{1EEF}',
    '\u{1EAB}', // 0xE0
    '\u{00E8}', '\u{00E9}', '\u{00EA}', '\u{1EBB}', '\u{00EC}', '\u{00ED}', '\u{0129}',
    '\u{1EC9}', // 0xE8
    '\u{0111}', '\u{1EF1}', '\u{00F2}', '\u{00F3}', '\u{00F4}', '\u{00F5}', '\u{1ECF}',
    '\u{1ECD}', // 0xF0
    '\u{1EE5}', '\u{00F9}', '\u{00FA}', '\u{0169}', '\u{1EE7}', '\u{00FD}', '\u{1EE3}',
    '\u{1EEE}', // 0xF8
];

/// Whether a charset label names VISCII (the IANA name, its alias and the version-suffixed
/// spellings seen in the wild).
pub(crate) fn is_viscii(label: &str) -> bool {
    let l: String = label
        .trim()
        .trim_matches('"')
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    matches!(
        l.as_str(),
        "viscii" | "csviscii" | "viscii1.11" | "viscii1.1"
    )
}

/// VISCII bytes as a string (every byte maps to one character: nothing is lost).
pub fn decode_viscii(bytes: &[u8]) -> String {
    bytes.iter().map(|b| VISCII[usize::from(*b)]).collect()
}

/// The bytes of one RFC 2047 encoded word's text (`B` or `Q`), or `None` if they are not valid.
fn decode_word_payload(encoding: u8, payload: &[u8]) -> Option<Vec<u8>> {
    match encoding.to_ascii_uppercase() {
        b'B' => base64_decode(payload),
        b'Q' => {
            let mut out = Vec::with_capacity(payload.len());
            let mut i = 0;
            while i < payload.len() {
                match payload[i] {
                    b'_' => out.push(b' '),
                    b'=' => {
                        let hex = payload.get(i + 1..i + 3)?;
                        let s = std::str::from_utf8(hex).ok()?;
                        out.push(u8::from_str_radix(s, 16).ok()?);
                        i += 2;
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            Some(out)
        }
        _ => None,
    }
}

/// Text as an RFC 2047 `Q` encoded word in UTF-8.
fn utf8_q_word(text: &str) -> String {
    let mut out = String::from("=?utf-8?Q?");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('_');
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out.push_str("?=");
    out
}

/// The end of the top-level header block (the offset of the blank line), or the whole input.
fn header_block_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\n' {
            match raw.get(i + 1) {
                Some(b'\n') => return i + 1,
                Some(b'\r') if raw.get(i + 2) == Some(&b'\n') => return i + 1,
                _ => {}
            }
        }
        i += 1;
    }
    raw.len()
}

/// Rewrites the encoded words of the top-level header block whose charset mail-parser does
/// not know (VISCII) as UTF-8 encoded words, so that the subject and the names in addresses
/// come out right. Anything else, and everything after the header block, is left as it is.
pub(crate) fn transcode_header_words(raw: &[u8]) -> Cow<'_, [u8]> {
    let end = header_block_end(raw);
    let head = &raw[..end];
    if !contains_ignore_case(head, b"=?viscii") && !contains_ignore_case(head, b"=?csviscii") {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut i = 0;
    while i < head.len() {
        if let Some((word, len)) = viscii_word_at(&head[i..]) {
            out.extend_from_slice(utf8_q_word(&word).as_bytes());
            i += len;
        } else {
            out.push(head[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&raw[end..]);
    Cow::Owned(out)
}

/// A VISCII encoded word starting at the beginning of `s`: its text and its length in bytes.
fn viscii_word_at(s: &[u8]) -> Option<(String, usize)> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = rest.iter().position(|b| *b == b'?')?;
    let charset = std::str::from_utf8(&rest[..q1]).ok()?;
    // RFC 2231 language suffix: "viscii*vi".
    let charset = charset.split('*').next().unwrap_or(charset);
    if !is_viscii(charset) {
        return None;
    }
    let after = &rest[q1 + 1..];
    let encoding = *after.first()?;
    if after.get(1) != Some(&b'?') {
        return None;
    }
    let payload_all = &after[2..];
    let close = find(payload_all, b"?=")?;
    let payload = &payload_all[..close];
    if payload.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = decode_word_payload(encoding, payload)?;
    let len = 2 + q1 + 1 + 2 + close + 2;
    Some((decode_viscii(&bytes), len))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn ascii_is_ascii() {
        for b in 0x20u8..0x7F {
            assert_eq!(VISCII[usize::from(b)], char::from(b));
        }
    }

    #[test]
    fn the_six_c0_letters_of_rfc_1456() {
        assert_eq!(VISCII[0x02], 'Ẳ');
        assert_eq!(VISCII[0x05], 'Ẵ');
        assert_eq!(VISCII[0x06], 'Ẫ');
        assert_eq!(VISCII[0x14], 'Ỷ');
        assert_eq!(VISCII[0x19], 'Ỹ');
        assert_eq!(VISCII[0x1E], 'Ỵ');
        // The other C0 controls stay controls (tab, line feed, carriage return…).
        assert_eq!(VISCII[0x09], '\t');
        assert_eq!(VISCII[0x0A], '\n');
        assert_eq!(VISCII[0x0D], '\r');
    }

    #[test]
    fn known_upper_half_entries() {
        // Spot checks against the RFC 1456 table (as in glibc's charmap).
        assert_eq!(VISCII[0x80], 'Ạ');
        assert_eq!(VISCII[0xA5], 'ầ');
        assert_eq!(VISCII[0xA7], 'ậ');
        assert_eq!(VISCII[0xB6], 'ờ');
        assert_eq!(VISCII[0xB8], 'ị');
        assert_eq!(VISCII[0xBF], 'Ư');
        assert_eq!(VISCII[0xC0], 'À');
        assert_eq!(VISCII[0xD0], 'Đ');
        assert_eq!(VISCII[0xDF], 'ư');
        assert_eq!(VISCII[0xE0], 'à');
        assert_eq!(VISCII[0xF0], 'đ');
        assert_eq!(VISCII[0xFF], 'Ữ');
    }

    #[test]
    fn the_table_is_a_bijection_onto_precomposed_letters() {
        let mut seen = std::collections::HashSet::new();
        for c in VISCII {
            assert!(seen.insert(c), "{c:?} twice");
            // Every VISCII letter is precomposed: NFC leaves it alone.
            assert_eq!(c.to_string().nfc().collect::<String>(), c.to_string());
        }
        // The whole upper half is letters (128 of the 134 Vietnamese letters; six are in C0).
        let letters = VISCII[0x80..].iter().filter(|c| c.is_alphabetic()).count();
        assert_eq!(letters, 128);
    }

    #[test]
    fn decodes_a_sentence() {
        // "Đèn đường" in VISCII: Đ=D0 è=E8 n, đ=F0 ư=DF ờ=B6 n g.
        let s = decode_viscii(&[0xD0, 0xE8, b'n', b' ', 0xF0, 0xDF, 0xB6, b'n', b'g']);
        assert_eq!(s, "Đèn đường");
    }

    #[test]
    fn labels() {
        for l in ["VISCII", "viscii", "csVISCII", "VISCII1.1-1", "\"viscii\""] {
            assert!(is_viscii(l), "{l}");
        }
        assert!(!is_viscii("windows-1258"));
        assert!(!is_viscii("utf-8"));
    }

    #[test]
    fn header_words_are_rewritten_only_in_the_header_block() {
        let raw = b"Subject: =?VISCII?Q?=D0=E8n_=F0=DF=B6ng?=\r\nFrom: a@b.vn\r\n\r\n=?VISCII?Q?=D0?=\r\n";
        let out = transcode_header_words(raw);
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("Subject: =?utf-8?Q?"), "{text}");
        assert!(text.ends_with("\r\n\r\n=?VISCII?Q?=D0?=\r\n"), "{text}");
        let msg = mail_parser::MessageParser::default().parse(&out[..]);
        assert_eq!(
            msg.and_then(|m| m.subject().map(str::to_owned)).as_deref(),
            Some("Đèn đường")
        );
    }

    #[test]
    fn broken_words_are_left_alone() {
        for raw in [
            &b"Subject: =?viscii?Q?=Z"[..],
            b"Subject: =?viscii?X?abc?=",
            b"=?viscii",
        ] {
            let _ = transcode_header_words(raw);
        }
    }
}
