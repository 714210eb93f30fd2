//! Any bytes: `parse_unguarded` must not panic (no `catch_unwind` net here), and what it
//! returns goes through `classify` and `thread_code` too. Seeds: `-- ../../../tests/fixtures/mail`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = tongdai_mail::MailLimits {
        max_attachments: 2,
        max_attachment_bytes: 4096,
        max_text_chars: 500,
        ..Default::default()
    };
    let own = tongdai_mail::OwnIdentity {
        addresses: vec!["1022@longan.gov.vn".into()],
        loop_header: "X-Tongdai-Loop".into(),
        message_id_domain: "1022.longan.gov.vn".into(),
    };
    if let Ok(mail) = tongdai_mail::parse_unguarded(data, &limits) {
        let _ = tongdai_mail::classify(&mail, &own);
        let _ = tongdai_mail::thread_code(&mail, &own);
    }
});
