//! `parse` never panics, and what it returns is NFC and within the limits: on arbitrary bytes,
//! on corpus messages with bytes flipped, inserted and deleted, and on generated messages with
//! random headers and parts. Runs `parse_unguarded` (without the `catch_unwind` net) so that a
//! panic anywhere, ours or a dependency's, fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use tongdai_mail::{
    MAX_FILENAME_CHARS, MAX_NAME_CHARS, MAX_SUBJECT_CHARS, MailLimits, OwnIdentity, ParsedMail,
};
use unicode_normalization::is_nfc;

fn corpus() -> &'static Vec<Vec<u8>> {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mail");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    })
}

fn limits() -> MailLimits {
    // Small limits, so that every cut and drop is exercised.
    MailLimits {
        max_message_bytes: 1024 * 1024,
        max_attachments: 2,
        max_attachment_bytes: 300,
        max_text_chars: 200,
    }
}

fn own() -> OwnIdentity {
    OwnIdentity {
        addresses: vec!["1022@longan.gov.vn".into()],
        loop_header: "X-Tongdai-Loop".into(),
        message_id_domain: "1022.longan.gov.vn".into(),
    }
}

fn clean_line(s: &str, max_chars: usize, what: &str) {
    assert!(is_nfc(s), "{what} not NFC: {s:?}");
    assert!(
        !s.chars().any(char::is_control),
        "{what} has a control character: {s:?}"
    );
    assert!(
        s.chars().count() <= max_chars,
        "{what} too long: {}",
        s.chars().count()
    );
}

fn check(m: &ParsedMail, limits: &MailLimits) {
    clean_line(&m.subject, MAX_SUBJECT_CHARS, "subject");
    for (what, text) in [("description", &m.description), ("full_text", &m.full_text)] {
        assert!(is_nfc(text), "{what} not NFC");
        assert!(
            text.chars().count() <= limits.max_text_chars,
            "{what} too long"
        );
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{what} has a control character"
        );
    }
    clean_line(&m.message_id, 998, "message id");
    assert!(!m.message_id.is_empty());
    for id in m.in_reply_to.iter().chain(&m.references) {
        clean_line(id, 998, "reference");
    }
    let from = m.from.as_ref().expect("a parsed mail has a sender");
    for mb in std::iter::once(from)
        .chain(&m.reply_to)
        .chain(&m.to)
        .chain(&m.cc)
    {
        clean_line(&mb.address, 254, "address");
        assert!(mb.address.contains('@'));
        assert_eq!(mb.address, mb.address.to_lowercase());
        if let Some(n) = &mb.name {
            clean_line(n, MAX_NAME_CHARS, "name");
        }
    }
    assert!(m.attachments.len() <= limits.max_attachments);
    for a in &m.attachments {
        assert!(a.bytes.len() <= limits.max_attachment_bytes);
        if let Some(f) = &a.filename {
            clean_line(f, MAX_FILENAME_CHARS, "filename");
            assert!(!f.contains('/') && !f.contains('\\'));
        }
        clean_line(&a.content_type, 255, "content type");
        if let Some(c) = &a.content_id {
            clean_line(c, 998, "content id");
        }
    }
    for d in &m.dropped_attachments {
        assert!(is_nfc(d));
    }
    let h = &m.headers_of_note;
    for v in [
        &h.auto_submitted,
        &h.x_autoreply,
        &h.x_auto_response_suppress,
        &h.precedence,
        &h.list_id,
        &h.list_unsubscribe,
    ]
    .into_iter()
    .flatten()
    {
        clean_line(v, 998, "header");
    }
    // The rest of the API on the result must not panic either.
    let _ = tongdai_mail::classify(m, &own());
    let _ = tongdai_mail::thread_code(m, &own());
}

fn run(raw: &[u8]) {
    let limits = limits();
    if let Ok(m) = tongdai_mail::parse_unguarded(raw, &limits) {
        check(&m, &limits);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to MIME are likelier than others.
    let interesting = prop_oneof![
        any::<u8>(),
        Just(b'\n'),
        Just(b'\r'),
        Just(b'-'),
        Just(b'='),
        Just(b'?'),
        Just(b':'),
        Just(b'"'),
        Just(b'<'),
        Just(0xC3u8),
        Just(0xCCu8),
    ];
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), prop::collection::vec(interesting, 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(mut raw: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = raw.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if !raw.is_empty() {
                    let i = i % raw.len();
                    raw[i] = *b;
                }
            }
            Mutation::Insert(i, bytes) => {
                let i = i % len.min(raw.len() + 1).max(1);
                let i = i.min(raw.len());
                raw.splice(i..i, bytes.iter().copied());
            }
            Mutation::Delete(i, n) => {
                if !raw.is_empty() {
                    let i = i % raw.len();
                    let end = (i + n).min(raw.len());
                    raw.drain(i..end);
                }
            }
        }
    }
    raw
}

/// A message assembled from random pieces: headers with encoded words in random charsets,
/// random boundaries and parts, random transfer encodings.
fn generated() -> impl Strategy<Value = Vec<u8>> {
    let charset = prop_oneof![
        Just("utf-8"),
        Just("windows-1258"),
        Just("viscii"),
        Just("iso-8859-1"),
        Just("gb18030"),
        Just("x-unknown"),
    ];
    let word = (
        charset.clone(),
        prop_oneof![Just("B"), Just("Q")],
        "[A-Za-z0-9+/=_ ?]{0,20}",
    )
        .prop_map(|(c, e, p)| format!("=?{c}?{e}?{p}?="));
    let text =
        "[ -~àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ\\n\\t]{0,60}";
    let part = (
        prop_oneof![
            Just("text/plain"),
            Just("text/html"),
            Just("image/jpeg"),
            Just("message/rfc822"),
            Just("message/delivery-status"),
            Just("application/pdf"),
            Just("multipart/alternative"),
        ],
        charset,
        prop_oneof![Just("base64"), Just("quoted-printable"), Just("8bit"), Just("x-bad")],
        text,
        prop::option::of("[a-zA-Zả\\./\\\\]{0,12}"),
    )
        .prop_map(|(ct, cs, cte, body, name)| {
            let name = name.map(|n| format!("; name=\"{n}\"")).unwrap_or_default();
            format!("--B\r\nContent-Type: {ct}; charset={cs}{name}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}\r\n")
        });
    (
        prop::collection::vec(word, 0..4),
        "[a-zA-Z0-9.@<>\" ]{0,30}",
        prop::collection::vec(part, 0..5),
        prop_oneof![
            Just("multipart/mixed"),
            Just("multipart/report; report-type=delivery-status"),
            Just("text/html")
        ],
        prop::option::of(prop_oneof![
            Just("Auto-Submitted: auto-replied"),
            Just("Precedence: bulk"),
            Just("X-Tongdai-Loop: 1")
        ]),
    )
        .prop_map(|(words, from, parts, top, extra)| {
            let mut m = format!(
                "From: {} <{from}>\r\nSubject: {}\r\n",
                words.join(" "),
                words.join("\r\n ")
            );
            if let Some(e) = extra {
                m.push_str(e);
                m.push_str("\r\n");
            }
            m.push_str(&format!(
                "In-Reply-To: <0190f5b8-4a1c-7d2e-9f00-123456789abc.1022-K7Q9-3MPX@{from}>\r\n"
            ));
            m.push_str(&format!("Content-Type: {top}; boundary=\"B\"\r\n\r\n"));
            for p in parts {
                m.push_str(&p);
            }
            m.push_str("--B--\r\n");
            m.into_bytes()
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes(raw in prop::collection::vec(any::<u8>(), 0..2048)) {
        run(&raw);
    }

    #[test]
    fn arbitrary_bytes_after_a_header(tail in prop::collection::vec(any::<u8>(), 0..2048)) {
        let mut raw = b"From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n".to_vec();
        raw.extend(tail);
        run(&raw);
    }

    #[test]
    fn mutated_corpus(index in any::<prop::sample::Index>(), mutations in prop::collection::vec(mutation(), 1..12)) {
        let corpus = corpus();
        let raw = apply(corpus[index.index(corpus.len())].clone(), &mutations);
        run(&raw);
    }

    #[test]
    fn generated_messages(raw in generated()) {
        run(&raw);
    }
}

#[test]
fn the_unmutated_corpus_meets_the_invariants_too() {
    for raw in corpus() {
        run(raw);
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let mut html = String::from("From: a@b.vn\r\nContent-Type: text/html\r\n\r\n");
    for _ in 0..20_000 {
        html.push_str("<div><blockquote>");
    }
    html.push_str("sâu");
    run(html.as_bytes());
    let mut nested = String::new();
    for i in 0..200 {
        nested.push_str(&format!("From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\nContent-Type: message/rfc822\r\n\r\n"));
    }
    run(nested.as_bytes());
}
