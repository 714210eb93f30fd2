//! The kinds of notice, one per outbox topic. The reminders' topics are also named by the
//! scheduler (`tongdai_intake::reminders::ReminderKind::topic`); a test keeps them equal.

/// What a message says, and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// To the citizen: the report was received (with the privacy notice).
    Acknowledgement,
    /// To the citizen: the agency needs more information.
    RequestInfo,
    /// To the citizen: the published answer, with the private link to rate it.
    Answer,
    /// To the citizen: the report will not be handled, and why.
    Rejected,
    /// To the agency: a ticket was forwarded or transferred to it.
    Assignment,
    /// To the agency: the citizen reopened a ticket it answered.
    Reopened,
    /// To the agency and its lead: a deadline (accept or answer) is near, in working time.
    DueSoon,
    /// To the agency and its lead: a deadline has passed (once per working day).
    Overdue,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Acknowledgement,
        Kind::RequestInfo,
        Kind::Answer,
        Kind::Rejected,
        Kind::Assignment,
        Kind::Reopened,
        Kind::DueSoon,
        Kind::Overdue,
    ];

    /// Every outbox topic the mail sender delivers.
    pub const TOPICS: [&'static str; 8] = [
        "ticket.acknowledgement",
        "citizen.request_info",
        "citizen.answer",
        "citizen.rejected",
        "agency.assignment",
        "agency.reopened",
        "agency.due_soon",
        "agency.overdue",
    ];

    pub fn topic(self) -> &'static str {
        match self {
            Kind::Acknowledgement => "ticket.acknowledgement",
            Kind::RequestInfo => "citizen.request_info",
            Kind::Answer => "citizen.answer",
            Kind::Rejected => "citizen.rejected",
            Kind::Assignment => "agency.assignment",
            Kind::Reopened => "agency.reopened",
            Kind::DueSoon => "agency.due_soon",
            Kind::Overdue => "agency.overdue",
        }
    }

    pub fn from_topic(topic: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.topic() == topic)
    }

    /// Whether it goes to the reporter (otherwise to the agency).
    pub fn to_citizen(self) -> bool {
        !matches!(
            self,
            Kind::Assignment | Kind::Reopened | Kind::DueSoon | Kind::Overdue
        )
    }

    /// The console's name of the kind.
    pub fn label_vi(self) -> &'static str {
        match self {
            Kind::Acknowledgement => "Xác nhận tiếp nhận",
            Kind::RequestInfo => "Đề nghị bổ sung thông tin",
            Kind::Answer => "Kết quả giải quyết",
            Kind::Rejected => "Thông báo không xử lý",
            Kind::Assignment => "Giao đơn vị xử lý",
            Kind::Reopened => "Phản ánh được mở lại",
            Kind::DueSoon => "Nhắc sắp đến hạn xử lý",
            Kind::Overdue => "Nhắc quá hạn xử lý",
        }
    }

    /// The subject after the `[code]`, before the title.
    fn subject_vi(self) -> &'static str {
        match self {
            Kind::Acknowledgement => "Đã tiếp nhận phản ánh",
            Kind::RequestInfo => "Đề nghị bổ sung thông tin",
            Kind::Answer => "Kết quả giải quyết phản ánh",
            Kind::Rejected => "Phản ánh không được xử lý",
            Kind::Assignment => "Phản ánh chuyển đơn vị xử lý",
            Kind::Reopened => "Phản ánh được người dân mở lại",
            Kind::DueSoon => "Sắp đến hạn xử lý",
            Kind::Overdue => "Quá hạn xử lý",
        }
    }

    /// `[1022-K7Q9-3MPX] Đã tiếp nhận phản ánh: <title>`.
    pub fn subject(self, code: &str, title: &str) -> String {
        format!("[{code}] {}: {title}", self.subject_vi())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_is_a_kind_and_back() {
        for topic in Kind::TOPICS {
            assert_eq!(Kind::from_topic(topic).map(Kind::topic), Some(topic));
        }
        assert_eq!(Kind::from_topic("report.webhook"), None);
        assert_eq!(Kind::ALL.map(Kind::topic), Kind::TOPICS);
    }

    #[test]
    fn reminders_go_to_the_agency_with_their_own_subject_and_label() {
        use tongdai_intake::reminders::ReminderKind;
        for (kind, reminder) in [
            (Kind::DueSoon, ReminderKind::DueSoon),
            (Kind::Overdue, ReminderKind::Overdue),
        ] {
            assert!(!kind.to_citizen());
            assert_eq!(
                kind.topic(),
                reminder.topic(),
                "the scheduler's topic is ours"
            );
            assert!(Kind::TOPICS.contains(&kind.topic()), "the sender claims it");
        }
        assert_eq!(
            Kind::DueSoon.subject("1022-K7Q9-3MPX", "Đèn đường không sáng"),
            "[1022-K7Q9-3MPX] Sắp đến hạn xử lý: Đèn đường không sáng"
        );
        assert_eq!(
            Kind::Overdue.subject("1022-K7Q9-3MPX", "Đèn đường không sáng"),
            "[1022-K7Q9-3MPX] Quá hạn xử lý: Đèn đường không sáng"
        );
        assert_eq!(Kind::DueSoon.label_vi(), "Nhắc sắp đến hạn xử lý");
        assert_eq!(Kind::Overdue.label_vi(), "Nhắc quá hạn xử lý");
    }
}
