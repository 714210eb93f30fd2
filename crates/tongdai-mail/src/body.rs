//! The body as clean text: line endings, NFC, invisible characters, HTML to text, and the
//! trimming of quoted replies and signatures that makes `description` the citizen's own words.
//!
//! Trimming works on lines, in this order:
//! 1. cut at the first *reply header*: an attribution line ("On … wrote:", "Vào … đã viết:",
//!    also split over two lines as Gmail wraps them), Outlook's "-----Original Message-----"
//!    (and the Vietnamese "-----Thư gốc-----"), a line of underscores followed by a "From:"
//!    block, or a "From:/Từ:" line followed by "Sent:/Date:/Đã gửi:/Ngày:" lines (Outlook's
//!    header block). A forwarded message ("---------- Forwarded message ---------") is the
//!    citizen's content and is not cut;
//! 2. drop the remaining quoted lines (starting with `>`), interleaved answers stay;
//! 3. cut at the signature: the "-- " separator (and a bare "--"), or a mobile footer
//!    ("Sent from my iPhone", "Gửi từ iPhone của tôi", "Get Outlook for Android" …).
//!
//! If trimming leaves nothing, `parse` takes the full text as the description: a ticket never
//! loses what a citizen sent.

use unicode_normalization::UnicodeNormalization;

/// Text as stored: NFC, `\n` line endings, no control or invisible characters (tabs become
/// spaces, non-breaking spaces plain spaces), no trailing spaces, at most one blank line in a
/// row, no blank lines at either end.
pub(crate) fn clean_text(input: &str) -> String {
    let unified = input.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    let mut blank_run = 0usize;
    for line in unified.split('\n') {
        let line: String = line
            .chars()
            .map(|c| match c {
                '\t' | '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
                c => c,
            })
            .filter(|c| !c.is_control() && !tongdai_domain::text::is_invisible(*c))
            .collect();
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(line);
    }
    // Composed last: removing a control or invisible character between a letter and its tone
    // mark (or a NUL inserted there) leaves a sequence that composes only now.
    out.nfc().collect()
}

/// One header line as stored: NFC, no controls or invisible characters, runs of white space
/// collapsed, at most `max_chars` characters.
pub(crate) fn clean_line(input: &str, max_chars: usize) -> String {
    // `normalize` composes before it drops invisible characters, so compose again after.
    let normalized: String = tongdai_domain::text::normalize(input).nfc().collect();
    truncate_chars(&normalized, max_chars)
}

/// At most `max_chars` characters, still NFC (a prefix is re-normalised, which never lengthens
/// it beyond the limit after the second cut).
pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars).collect();
    for _ in 0..3 {
        let renormalised: String = cut.nfc().collect();
        if renormalised.chars().count() <= max_chars {
            return renormalised;
        }
        cut = renormalised.chars().take(max_chars).collect();
    }
    cut.nfc().take(max_chars).collect()
}

/// HTML as plain text with html2text and the decorator below: no markup marks (`*bold*`,
/// `[link]`, footnotes, `#` headings), scripts and styles dropped (html2text never renders
/// them), block quotes prefixed with `> ` so that the line trimming sees them.
pub(crate) fn html_to_text(html: &str) -> String {
    // Wide enough that paragraphs are not wrapped (a description is shown reflowed anyway).
    const WIDTH: usize = 10_000;
    html2text::config::with_decorator(CitizenText)
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), WIDTH)
        .unwrap_or_else(|_| String::new())
}

/// Text as a person wrote it: only quotes and list items keep a prefix.
#[derive(Clone, Copy, Debug)]
struct CitizenText;

impl html2text::render::TextDecorator for CitizenText {
    type Annotation = ();

    fn decorate_link_start(&mut self, _url: &str) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_link_end(&mut self) -> String {
        String::new()
    }
    fn decorate_em_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_em_end(&self) -> String {
        String::new()
    }
    fn decorate_strong_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strong_end(&self) -> String {
        String::new()
    }
    fn decorate_strikeout_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }
    fn decorate_code_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_code_end(&self) -> String {
        String::new()
    }
    fn decorate_preformat_first(&self) {}
    fn decorate_preformat_cont(&self) {}
    fn decorate_image(&mut self, _src: &str, title: &str) -> (String, ()) {
        (title.to_owned(), ())
    }
    fn header_prefix(&self, _level: usize) -> String {
        String::new()
    }
    fn quote_prefix(&self) -> String {
        "> ".to_owned()
    }
    fn unordered_item_prefix(&self) -> String {
        "- ".to_owned()
    }
    fn ordered_item_prefix(&self, i: i64) -> String {
        format!("{i}. ")
    }
    fn make_subblock_decorator(&self) -> Self {
        CitizenText
    }
    fn decorate_superscript_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_superscript_end(&self) -> String {
        String::new()
    }
    fn finalise(&mut self, _urls: Vec<String>) -> Vec<html2text::render::TaggedLine<()>> {
        Vec::new()
    }
}

/// Where the quoted part of an HTML reply begins: Gmail's `gmail_quote` container, Outlook's
/// `divRplyFwdMsg`/`appendonsend`, Apple Mail's and Thunderbird's `<blockquote type="cite">`,
/// Thunderbird's `moz-cite-prefix`, Yahoo's `yahoo_quoted`. The returned offset is the start of
/// the tag that carries the marker.
pub(crate) fn html_quote_start(html: &str) -> Option<usize> {
    const MARKERS: [&str; 7] = [
        "class=\"gmail_quote",
        "id=\"divrplyfwdmsg\"",
        "id=\"appendonsend\"",
        "type=\"cite\"",
        "class=\"moz-cite-prefix\"",
        "class=\"yahoo_quoted\"",
        "class=\"gmail_quote_container",
    ];
    let lower = html.to_ascii_lowercase();
    MARKERS
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .and_then(|pos| lower[..pos].rfind('<'))
}

/// The citizen's own text out of a cleaned body: see the module doc.
pub(crate) fn trim_reply(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let end = reply_header_at(&lines).unwrap_or(lines.len());
    let kept: Vec<&str> = lines[..end]
        .iter()
        .copied()
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect();
    let end = signature_at(&kept).unwrap_or(kept.len());
    clean_text(&kept[..end].join("\n"))
}

/// `prefix` is lowercase.
fn starts_with_ci(line: &str, prefix: &str) -> bool {
    line.to_lowercase().starts_with(prefix)
}

fn is_attribution(line: &str) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || (lower.starts_with("vào ") && lower.ends_with("đã viết:"))
        || (lower.starts_with("vào lúc ") && lower.ends_with("viết:"))
        || (lower.starts_with("le ") && lower.ends_with("a écrit :"))
}

fn is_forward_marker(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    lower.contains("forwarded message")
        || lower.contains("thư đã chuyển tiếp")
        || lower.contains("thư chuyển tiếp")
        || lower.starts_with("begin forwarded message")
}

fn header_field(line: &str) -> Option<&'static str> {
    const FIELDS: [(&str, &str); 12] = [
        ("from:", "from"),
        ("từ:", "from"),
        ("sent:", "date"),
        ("date:", "date"),
        ("đã gửi:", "date"),
        ("ngày:", "date"),
        ("to:", "to"),
        ("đến:", "to"),
        ("cc:", "to"),
        ("subject:", "subject"),
        ("chủ đề:", "subject"),
        ("tiêu đề:", "subject"),
    ];
    let l = line.trim_start().trim_start_matches('*');
    FIELDS
        .iter()
        .find(|(p, _)| starts_with_ci(l, p))
        .map(|(_, f)| *f)
}

/// An Outlook header block starting at `i`: a "From:" line and, in the next four lines, a date
/// line and another field.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    if header_field(lines[i]) != Some("from") {
        return false;
    }
    let following: Vec<&str> = lines[i + 1..]
        .iter()
        .take(4)
        .filter_map(|l| header_field(l))
        .collect();
    following.contains(&"date") && following.len() >= 2
}

fn reply_header_at(lines: &[&str]) -> Option<usize> {
    let mut forwarded = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if is_forward_marker(t) {
            forwarded = true;
            continue;
        }
        if is_attribution(t) {
            return Some(i);
        }
        // Gmail wraps long attributions: "On Mon, … Nguyễn Văn A <a@b.vn>" / "wrote:".
        if let Some(next) = lines.get(i + 1) {
            let joined = format!("{t} {}", next.trim());
            if (t.to_lowercase().starts_with("on ") || t.to_lowercase().starts_with("vào "))
                && is_attribution(&joined)
            {
                return Some(i);
            }
        }
        let lower = t.to_lowercase();
        if lower.starts_with("-----original message")
            || lower.starts_with("----- original message")
            || lower.starts_with("-----thư gốc")
            || lower.starts_with("-----tin nhắn gốc")
        {
            return Some(i);
        }
        if forwarded {
            continue;
        }
        if t.len() >= 20
            && t.chars().all(|c| c == '_')
            && lines
                .get(i + 1..)
                .is_some_and(|rest| rest.iter().take(3).any(|l| header_field(l) == Some("from")))
        {
            return Some(i);
        }
        if is_header_block(lines, i) {
            return Some(i);
        }
    }
    None
}

fn is_mobile_footer(line: &str) -> bool {
    const FOOTERS: [&str; 12] = [
        "sent from my ",
        "sent from mail for windows",
        "sent from outlook",
        "sent from yahoo mail",
        "get outlook for ",
        "gửi từ iphone",
        "được gửi từ ",
        "gửi từ điện thoại",
        "gửi từ thiết bị",
        "gửi từ ipad",
        "gửi từ samsung",
        "gửi từ outlook",
    ];
    let lower = line.trim().to_lowercase();
    FOOTERS.iter().any(|f| lower.starts_with(f)) && lower.chars().count() <= 80
}

fn signature_at(lines: &[&str]) -> Option<usize> {
    lines
        .iter()
        .position(|l| *l == "-- " || *l == "--" || is_mobile_footer(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_unifies_line_endings_and_blank_lines() {
        assert_eq!(
            clean_text("\r\n  \na\r\nb  \r\r\n\n\n c\t\u{00A0}\u{200B}d\u{0007}\n\n"),
            "a\nb\n\n c  d"
        );
    }

    #[test]
    fn clean_text_composes() {
        let nfd = "Đe\u{300}n đu\u{31b}o\u{31b}\u{300}ng";
        assert_eq!(clean_text(nfd), "Đèn đường");
    }

    #[test]
    fn removed_characters_do_not_leave_decomposed_text() {
        // A NUL or a zero-width space between a letter and its tone mark.
        assert_eq!(clean_text("e\u{0}\u{300}"), "è");
        assert_eq!(clean_text("e\u{200B}\u{300}"), "è");
        assert_eq!(clean_line("e\u{200B}\u{300}", 10), "è");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("Đèn đường", 3), "Đèn");
        assert_eq!(truncate_chars("abc", 10), "abc");
    }

    #[test]
    fn english_attribution_and_quotes_are_cut() {
        let text = "Đèn vẫn chưa sửa.\n\nOn Mon, Dec 1, 2026 at 8:00 AM Tổng đài 1022 <1022@longan.gov.vn> wrote:\n> Chúng tôi đã nhận.\n> Cảm ơn.";
        assert_eq!(trim_reply(text), "Đèn vẫn chưa sửa.");
    }

    #[test]
    fn wrapped_gmail_attribution_is_cut() {
        let text = "Vẫn ngập.\n\nVào Th 2, 1 thg 12, 2026 lúc 08:00 Tổng đài 1022 <1022@longan.gov.vn>\nđã viết:\n> Xin chào";
        assert_eq!(trim_reply(text), "Vẫn ngập.");
    }

    #[test]
    fn vietnamese_attribution_is_cut() {
        let text = "Cảm ơn.\nVào Th 2, 1 thg 12, 2026 lúc 08:00 Tổng đài 1022 đã viết:\n> abc";
        assert_eq!(trim_reply(text), "Cảm ơn.");
    }

    #[test]
    fn outlook_original_message_is_cut() {
        let text = "Xin bổ sung ảnh.\n\n-----Original Message-----\nFrom: Tổng đài 1022\nSent: Monday\nSubject: abc";
        assert_eq!(trim_reply(text), "Xin bổ sung ảnh.");
    }

    #[test]
    fn outlook_header_block_is_cut() {
        let text = "Đã rõ.\n\n________________________________\nFrom: Tổng đài 1022 <1022@longan.gov.vn>\nSent: Monday, December 1, 2026 8:00 AM\nTo: a@b.vn\nSubject: Re: abc\n\nNội dung cũ";
        assert_eq!(trim_reply(text), "Đã rõ.");
        let vi =
            "Đã rõ.\n\nTừ: Tổng đài 1022\nĐã gửi: Thứ Hai\nĐến: a@b.vn\nChủ đề: abc\nNội dung cũ";
        assert_eq!(trim_reply(vi), "Đã rõ.");
    }

    #[test]
    fn a_single_from_line_is_not_a_header_block() {
        let text = "From: nhà tôi đến chợ\nđường bị ngập.";
        assert_eq!(trim_reply(text), text);
    }

    #[test]
    fn forwarded_messages_are_kept() {
        let text = "Chuyển tiếp phản ánh của hàng xóm.\n\n---------- Forwarded message ---------\nFrom: Hàng xóm <hx@example.vn>\nDate: Mon, 1 Dec 2026\nSubject: Ngập\nTo: <me@example.vn>\n\nNước ngập nửa mét.";
        assert_eq!(trim_reply(text), text);
    }

    #[test]
    fn interleaved_quotes_are_dropped() {
        let text = "> Địa chỉ ở đâu?\nSố 12 đường Hùng Vương.\n> Từ khi nào?\nTừ hôm qua.";
        assert_eq!(trim_reply(text), "Số 12 đường Hùng Vương.\nTừ hôm qua.");
    }

    #[test]
    fn signatures_are_cut() {
        assert_eq!(trim_reply("Ngập.\n-- \nNguyễn Văn A\n0901234567"), "Ngập.");
        assert_eq!(trim_reply("Ngập.\n--\nNguyễn Văn A"), "Ngập.");
        assert_eq!(trim_reply("Ngập.\n\nSent from my iPhone"), "Ngập.");
        assert_eq!(trim_reply("Ngập.\n\nGửi từ iPhone của tôi"), "Ngập.");
        assert_eq!(
            trim_reply("Ngập.\n\nĐược gửi từ điện thoại Samsung Galaxy"),
            "Ngập."
        );
        assert_eq!(trim_reply("Ngập.\n\nGet Outlook for Android"), "Ngập.");
        // A dash inside text is not a signature.
        assert_eq!(trim_reply("Ngập -- rất sâu."), "Ngập -- rất sâu.");
    }

    #[test]
    fn only_a_quote_leaves_nothing() {
        assert_eq!(trim_reply("> chỉ có trích dẫn"), "");
    }

    #[test]
    fn html_without_script_or_style() {
        let text = html_to_text(
            "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body><p>Đèn <b>hỏng</b></p><script>var a=1;</script><p><a href=\"https://x.vn\">ảnh</a> <i>mới</i></p><ul><li>một</li></ul><h1>Tiêu đề</h1><blockquote>cũ</blockquote></body></html>",
        );
        assert_eq!(
            clean_text(&text),
            "Đèn hỏng\n\nảnh mới\n- một\n\nTiêu đề\n\n> cũ"
        );
    }

    #[test]
    fn html_quote_markers() {
        let html = "<div dir=\"ltr\">Mới</div><div class=\"gmail_quote gmail_quote_container\"><div class=\"gmail_attr\">Vào…</div><blockquote class=\"gmail_quote\">cũ</blockquote></div>";
        let at = html_quote_start(html);
        assert_eq!(at, Some(html.find("<div class=\"gmail_quote").unwrap_or(0)));
        assert_eq!(html_quote_start("<p>không có</p>"), None);
        assert!(html_quote_start("<blockquote type=\"cite\">x</blockquote>").is_some());
    }
}
