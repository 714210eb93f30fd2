//! Every fixture of `tests/fixtures/mail` (workspace root) with a hand-written expectation,
//! checked exactly; a fixture without an expectation fails `every_fixture_has_an_expectation`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use tongdai_mail::{
    MailError, MailKind, MailLimits, OwnIdentity, ParsedMail, classify, parse, thread_code,
};
use unicode_normalization::{UnicodeNormalization, is_nfc};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mail")
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn own() -> OwnIdentity {
    OwnIdentity {
        addresses: vec!["1022@longan.gov.vn".into()],
        loop_header: "X-Tongdai-Loop".into(),
        message_id_domain: "1022.longan.gov.vn".into(),
    }
}

enum Text {
    Exact(&'static str),
    /// Begins with the first, ends with the second.
    Around(&'static str, &'static str),
}

struct Att {
    name: Option<&'static str>,
    content_type: &'static str,
    size: usize,
    inline: bool,
    forwarded: bool,
}

const fn att(name: &'static str, content_type: &'static str, size: usize) -> Att {
    Att {
        name: Some(name),
        content_type,
        size,
        inline: false,
        forwarded: false,
    }
}

struct Mail {
    subject: &'static str,
    from: &'static str,
    from_name: Option<&'static str>,
    /// `None`: absent, so "sha256-" of the raw bytes.
    message_id: Option<&'static str>,
    date: Option<&'static str>,
    description: Text,
    full_text: Text,
    from_html: bool,
    attachments: Vec<Att>,
    dropped: Vec<&'static str>,
    kind: MailKind,
    tracking_code: Option<&'static str>,
    thread_code: Option<&'static str>,
}

enum Outcome {
    Parsed(Box<Mail>),
    Fails(MailError),
}

struct Expect {
    file: &'static str,
    limits: MailLimits,
    outcome: Outcome,
}

fn ok(file: &'static str, mail: Mail) -> Expect {
    Expect {
        file,
        limits: MailLimits::default(),
        outcome: Outcome::Parsed(Box::new(mail)),
    }
}

fn ordinary() -> MailKind {
    MailKind::Ordinary
}

fn expectations() -> Vec<Expect> {
    let mut list = vec![
        ok(
            "01-utf8-base64-plain.eml",
            Mail {
                subject: "Đèn đường hỏng trên đường Hùng Vương",
                from: "tranthimai@example.com",
                from_name: Some("Trần Thị Mai"),
                message_id: Some("6f1c2a4e-3b8d-4c1e-9a77-2d5e8f0c1b23@example.com"),
                date: Some("2026-12-01T07:41:10+07:00"),
                description: Text::Exact(
                    "Kính gửi Tổng đài 1022,\n\nĐèn đường trên đường Hùng Vương, đoạn trước số nhà 125, Phường Long An bị hỏng\ntừ ba hôm nay. Buổi tối đoạn đường rất tối, xe máy đi lại nguy hiểm.\n\nMong các cơ quan sớm sửa chữa.\n\nTrân trọng,\nTrần Thị Mai",
                ),
                full_text: Text::Around("Kính gửi Tổng đài 1022,", "Trân trọng,\nTrần Thị Mai"),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "02-utf8-quoted-printable.eml",
            Mail {
                subject: "Ngập nước tại Xã Bình Đức",
                from: "levanhung@example.vn",
                from_name: Some("Lê Văn Hùng"),
                message_id: Some("a3f0c1d2e4b5f6a7b8c9d0e1f2a3b4c5@webmail.example.vn"),
                date: Some("2026-12-01T09:15:00+07:00"),
                description: Text::Exact(
                    "Chào Tổng đài 1022,\n\nSau trận mưa chiều qua, đường liên ấp ấp 3, Xã Bình Đức bị ngập sâu khoảng 40 cm, nước chưa rút. Học sinh không đi học được, nhiều nhà bị nước tràn vào.\n\nĐề nghị kiểm tra và nạo vét cống thoát nước ở đầu ấp.",
                ),
                full_text: Text::Around(
                    "Chào Tổng đài 1022,",
                    "nạo vét cống thoát nước ở đầu ấp.\n\n--\nLê Văn Hùng\nẤp 3, Xã Bình Đức",
                ),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "03-windows-1258.eml",
            Mail {
                subject: "Đèn đường hỏng ở Phường Long An",
                from: "phamvanduc@example.vn",
                from_name: Some("Phạm Văn Đức"),
                message_id: Some("000801dc6a2b$4f1e2d30$ed5b8790$@example.vn"),
                date: Some("2026-12-01T10:02:44+07:00"),
                description: Text::Exact(
                    "Kính gửi Tổng đài,\n\nĐèn đường trước chợ Phường Long An không sáng đã một tuần.\nXin cảm ơn.",
                ),
                full_text: Text::Exact(
                    "Kính gửi Tổng đài,\n\nĐèn đường trước chợ Phường Long An không sáng đã một tuần.\nXin cảm ơn.",
                ),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "04-viscii.eml",
            Mail {
                subject: "Cống bể ở đường Nguyễn Huệ",
                from: "nguyenvanty@example.vn",
                from_name: Some("Nguyễn Văn Tỷ"),
                message_id: Some("19991201.0815.tyng@example.vn"),
                date: Some("2026-12-01T08:15:00+07:00"),
                description: Text::Exact(
                    "Thưa quý cơ quan,\n\nCống thoát nước trên đường Nguyễn Huệ, Phường Long An bị bể nắp, rất nguy hiểm cho người đi đường ban đêm.\n\nNguyễn Văn Tỷ",
                ),
                full_text: Text::Around("Thưa quý cơ quan,", "Nguyễn Văn Tỷ"),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "05-rfc2047-split-words.eml",
            Mail {
                subject: "Phản ánh rác thải tràn lan ở khu dân cư Phường Long An",
                from: "vothithanhhuong@example.com",
                from_name: Some("Võ Thị Thanh Hương"),
                message_id: Some("20261201112000.5D3A1B2C@smtp.example.com"),
                date: Some("2026-12-01T11:20:00+07:00"),
                description: Text::Exact(
                    "Rác thải sinh hoạt để tràn ra lòng đường khu dân cư số 2 đã năm ngày không ai thu gom.\nMùi hôi ảnh hưởng cả khu phố.",
                ),
                full_text: Text::Exact(
                    "Rác thải sinh hoạt để tràn ra lòng đường khu dân cư số 2 đã năm ngày không ai thu gom.\nMùi hôi ảnh hưởng cả khu phố.",
                ),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "06-outlook-alternative-msonormal.eml",
            Mail {
                subject: "Cây gãy đè lên dây điện",
                from: "dominhkhoa@example.vn",
                from_name: Some("Đỗ Minh Khoa"),
                message_id: Some(
                    "SG2PR06MB5310A1B2C3D4E5F6A7B8C9D0E1F2@SG2PR06MB5310.apcprd06.prod.outlook.com",
                ),
                date: Some("2026-12-01T06:05:10+00:00"),
                description: Text::Exact(
                    "Kính gửi Tổng đài 1022,\n\nCây xanh trên đường Trương Định bị gãy cành lớn sau cơn giông, đang đè lên dây điện.\n\nĐề nghị xử lý gấp.\n\nĐỗ Minh Khoa",
                ),
                full_text: Text::Around("Kính gửi Tổng đài 1022,", "Đỗ Minh Khoa"),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "07-outlook-reply-original-message.eml",
            Mail {
                subject: "RE: [1022-K7Q9-3MPX] Cây gãy đè lên dây điện",
                from: "dominhkhoa@example.vn",
                from_name: Some("Đỗ Minh Khoa"),
                message_id: Some(
                    "SG2PR06MB5310B9C8D7E6F5A4B3C2D1E0F9A8@SG2PR06MB5310.apcprd06.prod.outlook.com",
                ),
                date: Some("2026-12-01T07:40:02+00:00"),
                description: Text::Exact(
                    "Tôi xin bổ sung: cành cây đã rơi xuống lòng đường lúc 14 giờ, chưa có ai đến xử lý.\n\nĐỗ Minh Khoa",
                ),
                full_text: Text::Around(
                    "Tôi xin bổ sung:",
                    "-----Original Message-----\nFrom: Tổng đài 1022 <1022@longan.gov.vn>\nSent: Tuesday, December 1, 2026 1:30 PM\nTo: Đỗ Minh Khoa <dominhkhoa@example.vn>\nSubject: [1022-K7Q9-3MPX] Cây gãy đè lên dây điện\n\nTổng đài 1022 đã nhận phản ánh của ông/bà. Mã phản ánh: 1022-K7Q9-3MPX.",
                ),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: Some("1022-K7Q9-3MPX"),
                thread_code: Some("1022-K7Q9-3MPX"),
            },
        ),
        ok(
            "08-gmail-reply-to-our-message.eml",
            Mail {
                subject: "Re: Tổng đài 1022 đã chuyển phản ánh",
                from: "levanhung@example.com",
                from_name: Some("Lê Văn Hùng"),
                message_id: Some(
                    "CAF7x3k9Q2mZ+vY1Lr8TnB0pWq5sJdE4u6HhX2cGz1aKoN3bR7w@mail.gmail.com",
                ),
                date: Some("2026-12-02T07:12:45+07:00"),
                description: Text::Exact(
                    "Cảm ơn Tổng đài. Hôm nay nước đã rút một phần nhưng cống vẫn tắc.",
                ),
                full_text: Text::Exact(
                    "Cảm ơn Tổng đài. Hôm nay nước đã rút một phần nhưng cống vẫn tắc.\n\nVào Th 2, 1 thg 12, 2026 lúc 08:00 Tổng đài 1022 <1022@longan.gov.vn> đã viết:\n\n> Kính gửi ông/bà,\n>\n> Tổng đài 1022 đã chuyển phản ánh 1022-DDDD-EEEE đến UBND Xã Bình Đức.\n>",
                ),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                // No code in the subject: the ticket is found through In-Reply-To only.
                tracking_code: None,
                thread_code: Some("1022-DDDD-EEEE"),
            },
        ),
        ok(
            "09-reply-code-in-subject.eml",
            Mail {
                subject: "Re: [1022-AAAA-CCCC] Ngap nuoc tai Xa Binh Duc",
                from: "nguyenthilan@example.com",
                from_name: Some("Nguyen Thi Lan"),
                message_id: Some("B7D2C1A0-1E2F-4A3B-8C9D-0E1F2A3B4C5D@example.com"),
                date: Some("2026-12-02T09:00:00+07:00"),
                description: Text::Exact("Nuoc van chua rut, xin cac co quan kiem tra lai."),
                full_text: Text::Around(
                    "Nuoc van chua rut",
                    "wrote:\n> Tong dai 1022 da nhan phan anh.",
                ),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: Some("1022-AAAA-CCCC"),
                thread_code: Some("1022-AAAA-CCCC"),
            },
        ),
        ok(
            "10-html-only-gmail-quote.eml",
            Mail {
                subject: "Re: [1022-K7Q9-3MPX] Đèn đường",
                from: "tranthimai@example.com",
                from_name: Some("Trần Thị Mai"),
                message_id: Some("CAB1c2D3e4F5g6H7i8J9k0LmNoPqRsTuVwXyZ@mail.gmail.com"),
                date: Some("2026-12-03T19:30:00+07:00"),
                description: Text::Exact("Đèn vẫn chưa được sửa, tối qua vẫn tắt."),
                full_text: Text::Exact(
                    "Đèn vẫn chưa được sửa, tối qua vẫn tắt.\n\nVào Th 3, 1 thg 12, 2026 lúc 08:00 Tổng đài 1022 <1022@longan.gov.vn> đã viết:\n\n> Phản ánh 1022-K7Q9-3MPX đã được chuyển đến Công ty Điện lực.",
                ),
                from_html: true,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: Some("1022-K7Q9-3MPX"),
                thread_code: Some("1022-K7Q9-3MPX"),
            },
        ),
        ok(
            "11-apple-mail-iphone-inline-image.eml",
            Mail {
                subject: "Vỉa hè sụt lún",
                from: "huynhthithu@example.com",
                from_name: Some("Huynh Thi Thu"),
                message_id: Some("9A8B7C6D-5E4F-4A3B-9C2D-1E0F9A8B7C6D@example.com"),
                date: Some("2026-12-01T16:45:03+07:00"),
                description: Text::Exact("Vỉa hè trước trường tiểu học bị sụt lún, ảnh đính kèm."),
                full_text: Text::Exact(
                    "Vỉa hè trước trường tiểu học bị sụt lún, ảnh đính kèm.\n\nSent from my iPhone",
                ),
                from_html: false,
                attachments: vec![Att {
                    inline: true,
                    ..att("IMG_0421.jpg", "image/jpeg", 403)
                }],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "12-iphone-vietnamese-nfd.eml",
            Mail {
                subject: "Xe tải chiếm lòng đường",
                from: "buiquocviet@example.com",
                from_name: Some("Bùi Quốc Việt"),
                message_id: Some("0C1D2E3F-4A5B-4C6D-8E9F-A0B1C2D3E4F5@example.com"),
                date: Some("2026-12-01T06:58:21+07:00"),
                description: Text::Exact(
                    "Xe tải đậu chiếm lòng đường trước chợ Bình Đức suốt buổi sáng, gây kẹt xe.",
                ),
                full_text: Text::Exact(
                    "Xe tải đậu chiếm lòng đường trước chợ Bình Đức suốt buổi sáng, gây kẹt xe.\n\nGửi từ iPhone của tôi",
                ),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "13-attachments-pdf-jpeg.eml",
            Mail {
                subject: "Đơn phản ánh kèm ảnh",
                from: "ngothanhson@example.vn",
                from_name: Some("Ngo Thanh Son"),
                message_id: Some("20261201140000.GA12345@example.vn"),
                date: Some("2026-12-01T14:00:00+07:00"),
                description: Text::Exact(
                    "Tôi gửi đơn phản ánh và ảnh chụp ổ gà trên Quốc lộ 1, đoạn qua Phường Long An.",
                ),
                full_text: Text::Exact(
                    "Tôi gửi đơn phản ánh và ảnh chụp ổ gà trên Quốc lộ 1, đoạn qua Phường Long An.",
                ),
                from_html: false,
                attachments: vec![
                    att("don-phan-anh.pdf", "application/pdf", 376),
                    att("ảnh-ổ-gà.jpg", "image/jpeg", 403),
                ],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "14-html-only-script-style.eml",
            Mail {
                subject: "Tiếng ồn karaoke",
                from: "dangthihoa@example.com",
                from_name: Some("Dang Thi Hoa"),
                message_id: Some("web-form-mailer.8812@example.com"),
                date: Some("2026-12-01T23:50:00+07:00"),
                // <noscript> is text meant for people, so it stays; <script> and <style> do not.
                description: Text::Exact(
                    "Phản ánh về tiếng ồn\n\nQuán karaoke ở khu phố 4, Phường Long An mở nhạc lớn đến 1 giờ sáng mỗi đêm.\n\nĐề nghị kiểm tra và xử lý theo quy định.\n\nbật JavaScript",
                ),
                full_text: Text::Exact(
                    "Phản ánh về tiếng ồn\n\nQuán karaoke ở khu phố 4, Phường Long An mở nhạc lớn đến 1 giờ sáng mỗi đêm.\n\nĐề nghị kiểm tra và xử lý theo quy định.\n\nbật JavaScript",
                ),
                from_html: true,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "15-forwarded-rfc822.eml",
            Mail {
                subject: "Fwd: Cầu bị gẫy",
                from: "phanvanlong@example.vn",
                from_name: Some("Phan Van Long"),
                message_id: Some("fwd-5678@example.vn"),
                date: Some("2026-12-01T07:00:00+07:00"),
                description: Text::Exact(
                    "Tôi chuyển tiếp thư của hàng xóm về cây cầu gỗ ở ấp 5, Xã Bình Đức.",
                ),
                full_text: Text::Exact(
                    "Tôi chuyển tiếp thư của hàng xóm về cây cầu gỗ ở ấp 5, Xã Bình Đức.",
                ),
                from_html: false,
                attachments: vec![Att {
                    forwarded: true,
                    ..att("Cầu bị gẫy.eml", "message/rfc822", 415)
                }],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        Expect {
            file: "16-oversized-attachment.eml",
            limits: MailLimits {
                max_attachment_bytes: 100_000,
                ..MailLimits::default()
            },
            outcome: Outcome::Parsed(Box::new(Mail {
                subject: "Video ngap nuoc",
                from: "lyvantam@example.com",
                from_name: Some("Ly Van Tam"),
                message_id: Some("big-1@example.com"),
                date: Some("2026-12-01T15:00:00+07:00"),
                description: Text::Exact("Video quay cảnh ngập ở Xã Bình Đức, kèm ảnh."),
                full_text: Text::Exact("Video quay cảnh ngập ở Xã Bình Đức, kèm ảnh."),
                from_html: false,
                attachments: vec![att("anh.png", "image/png", 71)],
                dropped: vec!["ngap.mp4 (146,5 KB): lớn hơn giới hạn 97,7 KB của một tệp"],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            })),
        },
        ok(
            "17-too-many-attachments.eml",
            Mail {
                subject: "Nhieu anh",
                from: "lyvantam@example.com",
                from_name: Some("Ly Van Tam"),
                message_id: Some("many-1@example.com"),
                date: Some("2026-12-01T15:10:00+07:00"),
                description: Text::Exact("Mười hai ảnh chụp rác thải."),
                full_text: Text::Exact("Mười hai ảnh chụp rác thải."),
                from_html: false,
                attachments: vec![
                    att("anh-01.png", "image/png", 71),
                    att("anh-02.png", "image/png", 71),
                    att("anh-03.png", "image/png", 71),
                    att("anh-04.png", "image/png", 71),
                    att("anh-05.png", "image/png", 71),
                    att("anh-06.png", "image/png", 71),
                    att("anh-07.png", "image/png", 71),
                    att("anh-08.png", "image/png", 71),
                    att("anh-09.png", "image/png", 71),
                    att("anh-10.png", "image/png", 71),
                ],
                dropped: vec![
                    "anh-11.png (71 byte): quá số tệp tối đa (10 tệp)",
                    "anh-12.png (71 byte): quá số tệp tối đa (10 tệp)",
                ],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "18-auto-submitted.eml",
            Mail {
                subject: "Tự động trả lời: Re: [1022-K7Q9-3MPX]",
                from: "nguyenvanbinh@example.vn",
                from_name: Some("Nguyen Van Binh"),
                message_id: Some("auto-18@example.vn"),
                date: Some("2026-12-01T08:01:00+07:00"),
                description: Text::Exact("Tôi đang nghỉ phép đến hết ngày 5/12/2026."),
                full_text: Text::Exact("Tôi đang nghỉ phép đến hết ngày 5/12/2026."),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: MailKind::AutoReply {
                    reason: "Auto-Submitted: auto-replied (vacation)".into(),
                },
                tracking_code: Some("1022-K7Q9-3MPX"),
                thread_code: Some("1022-K7Q9-3MPX"),
            },
        ),
        ok(
            "19-vacation-x-autoreply.eml",
            Mail {
                subject: "Vacation: Re: Phan anh cua ong/ba",
                from: "tranvannam@example.com",
                from_name: Some("Tran Van Nam"),
                message_id: Some("vac-19@example.com"),
                date: Some("2026-12-01T08:02:00+07:00"),
                description: Text::Exact("Toi dang vang mat, se tra loi sau."),
                full_text: Text::Exact("Toi dang vang mat, se tra loi sau."),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: MailKind::AutoReply {
                    reason: "X-Autoreply: yes".into(),
                },
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "20-outlook-oof.eml",
            Mail {
                subject: "Trả lời tự động: Phản ánh đã chuyển",
                from: "vovanthanh@example.vn",
                from_name: Some("Võ Văn Thành"),
                message_id: Some("oof-20@EXCH01.example.vn"),
                date: Some("2026-12-01T01:03:00+00:00"),
                description: Text::Exact("Tôi vắng mặt đến thứ Hai."),
                full_text: Text::Exact("Tôi vắng mặt đến thứ Hai."),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: MailKind::AutoReply {
                    reason: "X-Auto-Response-Suppress: All".into(),
                },
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "21-precedence-bulk.eml",
            Mail {
                subject: "Lich cat dien thang 12",
                from: "bantin@example.com",
                from_name: Some("Ban tin Dien luc"),
                message_id: Some("bulk-21@example.com"),
                date: Some("2026-12-01T05:00:00+07:00"),
                description: Text::Exact("Lịch cắt điện tháng 12."),
                full_text: Text::Exact("Lịch cắt điện tháng 12."),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: MailKind::List {
                    reason: "Precedence: bulk".into(),
                },
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "22-list-unsubscribe.eml",
            Mail {
                subject: "Giảm giá 50%",
                from: "news@shop.example.com",
                from_name: Some("Khuyen mai"),
                message_id: Some("promo-22@shop.example.com"),
                date: Some("2026-12-01T05:30:00+07:00"),
                description: Text::Exact("Giảm giá 50% tất cả sản phẩm."),
                full_text: Text::Exact("Giảm giá 50% tất cả sản phẩm."),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: MailKind::List {
                    reason: "List-Unsubscribe".into(),
                },
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "23-dsn-bounce.eml",
            Mail {
                subject: "Undelivered Mail Returned to Sender",
                from: "mailer-daemon@mx.longan.gov.vn",
                from_name: Some("Mail Delivery System"),
                message_id: Some("20261201010501.4Q7c9Z0abc@mx.longan.gov.vn"),
                date: Some("2026-12-01T08:05:01+07:00"),
                description: Text::Around(
                    "This is the mail system at host mx.longan.gov.vn.",
                    "Recipient address rejected: User unknown",
                ),
                full_text: Text::Around(
                    "This is the mail system at host mx.longan.gov.vn.",
                    "Recipient address rejected: User unknown",
                ),
                from_html: false,
                // The report's own parts (delivery-status, returned headers) are not attachments.
                attachments: vec![],
                dropped: vec![],
                kind: MailKind::Bounce {
                    failed_recipients: vec!["khongtontai@example.vn".into()],
                    original_message_id: Some(
                        "0190f5b8-4a1c-7d2e-9f00-123456789abc.1022-K7Q9-3MPX@1022.longan.gov.vn"
                            .into(),
                    ),
                },
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "24-no-message-id.eml",
            Mail {
                subject: "Cho xin so dien thoai UBND xa",
                from: "caovanphuc@example.com",
                from_name: Some("Cao Van Phuc"),
                message_id: None,
                date: Some("2026-12-01T12:00:00+07:00"),
                description: Text::Exact("Cho tôi xin số điện thoại của UBND Xã Bình Đức."),
                full_text: Text::Exact("Cho tôi xin số điện thoại của UBND Xã Bình Đức."),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "25-own-loop-header.eml",
            Mail {
                subject: "[1022-K7Q9-3MPX] Đã nhận phản ánh",
                from: "thongbao@example.vn",
                from_name: Some("Tổng đài 1022"),
                message_id: Some(
                    "0190f5b8-4a1c-7d2e-9f00-bbbbbbbbbbbb.1022-K7Q9-3MPX@1022.longan.gov.vn",
                ),
                date: Some("2026-12-01T08:06:00+07:00"),
                description: Text::Exact("Tổng đài 1022 đã nhận phản ánh của ông/bà."),
                full_text: Text::Exact("Tổng đài 1022 đã nhận phản ánh của ông/bà."),
                from_html: false,
                attachments: vec![],
                dropped: vec![],
                kind: MailKind::OwnMail,
                tracking_code: Some("1022-K7Q9-3MPX"),
                thread_code: Some("1022-K7Q9-3MPX"),
            },
        ),
        Expect {
            file: "26-no-from.eml",
            limits: MailLimits::default(),
            outcome: Outcome::Fails(MailError::NoSender),
        },
        Expect {
            file: "27-garbage.eml",
            limits: MailLimits::default(),
            outcome: Outcome::Fails(MailError::Unparseable(
                "does not begin with a header field".into(),
            )),
        },
        ok(
            "28-bare-lf.eml",
            Mail {
                subject: "Ổ gà Quốc lộ 62",
                from: "maivanduc@example.vn",
                from_name: Some("Mai Van Duc"),
                message_id: Some("lf-28@example.vn"),
                date: Some("2026-12-01T17:17:17+07:00"),
                description: Text::Exact(
                    "Ổ gà lớn trên Quốc lộ 62, gần cầu Bình Đức. Đã có hai người ngã xe.",
                ),
                full_text: Text::Exact(
                    "Ổ gà lớn trên Quốc lộ 62, gần cầu Bình Đức. Đã có hai người ngã xe.",
                ),
                from_html: false,
                attachments: vec![att("o-ga.png", "image/png", 71)],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: None,
                thread_code: None,
            },
        ),
        ok(
            "29-outlook-html-vietnamese-reply.eml",
            Mail {
                subject: "TRẢ: [1022-K7Q9-3MPX] Kết quả xử lý",
                from: "dominhkhoa@example.vn",
                from_name: Some("Đỗ Minh Khoa"),
                message_id: Some("SG2PR06MB5310C0FFEE@SG2PR06MB5310.apcprd06.prod.outlook.com"),
                date: Some("2026-12-02T02:00:00+00:00"),
                description: Text::Exact("Đồng ý với kết quả xử lý, xin cảm ơn."),
                full_text: Text::Exact(
                    "Đồng ý với kết quả xử lý, xin cảm ơn.\n\nTừ: Tổng đài 1022 <1022@longan.gov.vn>\nĐã gửi: Thứ Ba, 1 tháng 12, 2026 8:00 SA\nĐến: Đỗ Minh Khoa\nChủ đề: [1022-K7Q9-3MPX] Kết quả xử lý\n\nCây đã được cắt tỉa.",
                ),
                from_html: true,
                attachments: vec![],
                dropped: vec![],
                kind: ordinary(),
                tracking_code: Some("1022-K7Q9-3MPX"),
                thread_code: Some("1022-K7Q9-3MPX"),
            },
        ),
    ];
    list.sort_by_key(|e| e.file);
    list
}

fn check_text(file: &str, field: &str, actual: &str, expected: &Text) {
    match expected {
        Text::Exact(e) => assert_eq!(actual, *e, "{file}: {field}"),
        Text::Around(start, end) => {
            assert!(
                actual.starts_with(start),
                "{file}: {field} should begin with {start:?}: {actual:?}"
            );
            assert!(
                actual.ends_with(end),
                "{file}: {field} should end with {end:?}: {actual:?}"
            );
        }
    }
}

fn check(file: &str, raw: &[u8], m: &ParsedMail, e: &Mail) {
    assert_eq!(m.subject, e.subject, "{file}: subject");
    let from = m.from.as_ref().expect("from");
    assert_eq!(from.address, e.from, "{file}: from");
    assert_eq!(from.name.as_deref(), e.from_name, "{file}: from name");
    match e.message_id {
        Some(id) => {
            assert_eq!(m.message_id, id, "{file}: message id");
            assert!(m.has_message_id, "{file}");
        }
        None => {
            use sha2::Digest;
            let hex = hex::encode(sha2::Sha256::digest(raw));
            assert_eq!(m.message_id, format!("sha256-{hex}"), "{file}: message id");
            assert!(!m.has_message_id, "{file}");
        }
    }
    assert_eq!(
        m.date.map(|d| d.to_rfc3339()).as_deref(),
        e.date,
        "{file}: date"
    );
    check_text(file, "description", &m.description, &e.description);
    check_text(file, "full_text", &m.full_text, &e.full_text);
    assert_eq!(m.from_html, e.from_html, "{file}: from_html");
    let got: Vec<_> = m
        .attachments
        .iter()
        .map(|a| {
            (
                a.filename.as_deref(),
                a.content_type.as_str(),
                a.bytes.len(),
                a.inline,
                a.is_forwarded_message,
            )
        })
        .collect();
    let want: Vec<_> = e
        .attachments
        .iter()
        .map(|a| (a.name, a.content_type, a.size, a.inline, a.forwarded))
        .collect();
    assert_eq!(got, want, "{file}: attachments");
    assert_eq!(
        m.dropped_attachments, e.dropped,
        "{file}: dropped attachments"
    );
    assert_eq!(classify(m, &own()), e.kind, "{file}: kind");
    assert_eq!(
        m.tracking_code.as_ref().map(|c| c.as_str()),
        e.tracking_code,
        "{file}: tracking code"
    );
    assert_eq!(
        thread_code(m, &own()).as_ref().map(|c| c.as_str()),
        e.thread_code,
        "{file}: thread code"
    );
    // Everything NFC.
    for s in [&m.subject, &m.description, &m.full_text, &from.address] {
        assert!(is_nfc(s), "{file}: not NFC: {s:?}");
    }
}

#[test]
fn every_fixture_meets_its_expectation() {
    let list = expectations();
    assert!(list.len() >= 25, "the corpus has at least 25 messages");
    for e in &list {
        let raw = read(e.file);
        match (&e.outcome, parse(&raw, &e.limits)) {
            (Outcome::Parsed(want), Ok(m)) => check(e.file, &raw, &m, want),
            (Outcome::Fails(want), Err(got)) => assert_eq!(&got, want, "{}", e.file),
            (Outcome::Parsed(_), Err(got)) => panic!("{}: expected a message, got {got:?}", e.file),
            (Outcome::Fails(want), Ok(_)) => panic!("{}: expected {want:?}, got a message", e.file),
        }
    }
}

#[test]
fn every_fixture_has_an_expectation() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    on_disk.sort();
    let expected: Vec<String> = expectations().iter().map(|e| e.file.to_owned()).collect();
    assert_eq!(
        on_disk, expected,
        "each .eml needs an expectation in tests/corpus.rs, and each expectation its file"
    );
    let readme = std::fs::read_to_string(fixtures_dir().join("README.md")).unwrap();
    for f in &on_disk {
        assert!(readme.contains(f.as_str()), "README.md does not list {f}");
    }
}

#[test]
fn windows_1258_comes_out_nfc_equal_to_utf8() {
    let raw = read("03-windows-1258.eml");
    // The fixture really uses combining tone marks (0xCC grave, 0xEC acute, 0xD2 hook,
    // 0xDE tilde, 0xF2 dot below).
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.contains("=CC") && text.contains("=F2"),
        "the fixture must carry combining marks"
    );
    let m = parse(&raw, &MailLimits::default()).unwrap();
    let utf8 = "Đèn đường";
    assert!(m.subject.starts_with(utf8));
    assert!(m.description.contains(utf8));
    assert_eq!(m.subject.nfc().collect::<String>(), m.subject);
    assert!(
        !m.description
            .chars()
            .any(|c| ('\u{0300}'..='\u{036F}').contains(&c))
    );
}

#[test]
fn viscii_body_and_headers_decode_like_utf8() {
    let m = parse(&read("04-viscii.eml"), &MailLimits::default()).unwrap();
    assert_eq!(m.subject, "Cống bể ở đường Nguyễn Huệ");
    assert!(m.description.contains("Phường Long An bị bể nắp"));
}

#[test]
fn attachment_bytes_are_the_decoded_files() {
    let m = parse(&read("13-attachments-pdf-jpeg.eml"), &MailLimits::default()).unwrap();
    assert!(m.attachments[0].bytes.starts_with(b"%PDF-1.4"));
    assert!(m.attachments[0].bytes.ends_with(b"%%EOF\n"));
    assert!(
        m.attachments[1]
            .bytes
            .starts_with(&[0xFF, 0xD8, 0xFF, 0xE0])
    );
    assert!(m.attachments[1].bytes.ends_with(&[0xFF, 0xD9]));
    let apple = parse(
        &read("11-apple-mail-iphone-inline-image.eml"),
        &MailLimits::default(),
    )
    .unwrap();
    assert_eq!(
        apple.attachments[0].content_id.as_deref(),
        Some("2F1A3B4C-5D6E-4F70-8192-A3B4C5D6E7F8")
    );
    assert_eq!(apple.attachments[0].bytes, m.attachments[1].bytes);
}

#[test]
fn a_forwarded_message_is_kept_whole() {
    let m = parse(&read("15-forwarded-rfc822.eml"), &MailLimits::default()).unwrap();
    let inner = parse(&m.attachments[0].bytes, &MailLimits::default()).unwrap();
    assert_eq!(inner.subject, "Cầu bị gẫy");
    assert_eq!(inner.message_id, "inner-1234@example.com");
    assert_eq!(
        inner.description,
        "Cây cầu gỗ ở ấp 5 bị gãy một nhịp, anh báo giúp lên xã nhé."
    );
}

#[test]
fn no_script_or_style_survives() {
    let m = parse(
        &read("14-html-only-script-style.eml"),
        &MailLimits::default(),
    )
    .unwrap();
    for bad in [
        "secret-script-content",
        "alert",
        "font-family",
        "display:none",
        "tracking",
    ] {
        assert!(!m.full_text.contains(bad), "{bad} in {:?}", m.full_text);
    }
    let outlook = parse(
        &read("06-outlook-alternative-msonormal.eml"),
        &MailLimits::default(),
    )
    .unwrap();
    assert!(!outlook.full_text.contains("MsoNormal"));
}

#[test]
fn too_large_is_refused_before_parsing() {
    let raw = read("01-utf8-base64-plain.eml");
    let limits = MailLimits {
        max_message_bytes: 100,
        ..MailLimits::default()
    };
    assert_eq!(
        parse(&raw, &limits),
        Err(MailError::TooLarge {
            bytes: raw.len(),
            limit: 100
        })
    );
    // Even garbage: the size is checked first.
    assert!(matches!(
        parse(&[0u8; 101], &limits),
        Err(MailError::TooLarge { .. })
    ));
}

#[test]
fn long_texts_are_cut_to_the_limit() {
    let limits = MailLimits {
        max_text_chars: 20,
        ..MailLimits::default()
    };
    let m = parse(&read("02-utf8-quoted-printable.eml"), &limits).unwrap();
    assert_eq!(m.description, "Chào Tổng đài 1022,");
    assert!(m.full_text.chars().count() <= 20);
}

#[test]
fn errors_read_in_vietnamese() {
    assert_eq!(
        MailError::TooLarge {
            bytes: 30 * 1024 * 1024,
            limit: 25 * 1024 * 1024
        }
        .vietnamese(),
        "Thư quá lớn: 30 MB (giới hạn 25 MB)."
    );
    assert_eq!(
        MailError::NoSender.vietnamese(),
        "Thư không có địa chỉ người gửi (trường From)."
    );
    assert_eq!(
        MailError::NoSender.to_string(),
        "message has no sender (no usable From address)"
    );
}
