//! The IMAP poller of the 1022 mailbox (issue 15): moves bytes between the mail server and
//! `tongdai_intake::mail::MailIntake`, which decides. Runs inside the server (one thread per
//! mailbox, `spawn`) and as `tongdai mail poll --once`.
//!
//! One poll, on one connection:
//!
//! 1. `SELECT` the folder; a UIDVALIDITY other than the stored one means the server
//!    renumbered it: the position starts again from 0 (the per-mailbox Message-ID record
//!    makes the re-read safe);
//! 2. `UID SEARCH ALL`, keeping UIDs above the stored `last_uid` — UIDs only, never sequence
//!    numbers, which an expunge renumbers (the peers' known bug);
//! 3. `UID FETCH (RFC822.SIZE)`: a message over `[mail.intake] max_message_bytes` is
//!    quarantined without being downloaded;
//! 4. bodies in pieces of at most `BODY_PIECE_BYTES` (`BODY.PEEK[]`, so nothing is marked
//!    read before it is stored), each message to `MailIntake::ingest`, whose transaction
//!    stores the ticket and the record together;
//! 5. only then the piece is moved: `UID MOVE` (RFC 6851), or `UID COPY` + `\Deleted` +
//!    `UID EXPUNGE` of exactly those UIDs (UIDPLUS); without a processed folder the message
//!    is flagged `\Seen` and left; quarantined ones go to `quarantine_folder`;
//! 6. `last_uid` advances up to the first message that could not be stored, which stays for
//!    the next poll; the ones after it are still stored and moved, so one bad message never
//!    blocks the mailbox. A piece of which nothing could be stored (the database is away)
//!    stops the poll.
//!
//! A crash after a commit and before the move leaves the message in the folder above
//! `last_uid`; the next poll finds its record and only moves it.
//!
//! Several instances: a mailbox is polled by the holder of its lease (`mailbox_state`,
//! `claim_mailbox`); another instance takes over when the lease runs out. The record would
//! stop doubles anyway; the lease stops the wasted work and the noise.
//!
//! Passwords are `SecretString`s: never in logs or `Debug`.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use chrono::Duration;
use imap::extensions::idle::SetReadTimeout;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tongdai_domain::Clock;
use tongdai_intake::IntakeError;
use tongdai_intake::mail::{MailIntake, MailOutcome, MailPosition};
use tongdai_storage::mail as store;

use crate::error::Error;

/// Bodies are fetched in pieces of at most this many bytes (and `BODY_PIECE_MESSAGES`
/// messages): bounded memory whatever the mailbox holds.
const BODY_PIECE_BYTES: u64 = 8 * 1024 * 1024;
const BODY_PIECE_MESSAGES: usize = 200;

/// How the IMAP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapSecurity {
    /// TLS from the first byte (port 993).
    #[default]
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (port 143).
    Starttls,
    /// No encryption: only to a server on this machine.
    None,
}

/// `[mail.imap]`: one mailbox; `[[mail.imap.extra]]` adds more, each a complete mailbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapConfig {
    /// Unset: no polling (the embedded default).
    pub host: Option<String>,
    pub port: u16,
    pub security: ImapSecurity,
    #[serde(deserialize_with = "crate::config::lenient_text")]
    pub username: Option<String>,
    #[serde(deserialize_with = "crate::config::lenient_secret")]
    pub password: Option<SecretString>,
    pub password_file: Option<PathBuf>,
    pub folder: String,
    /// Where stored messages go; unset: they stay, flagged `\Seen`.
    pub processed_folder: Option<String>,
    /// Where messages that need a person go; unset: they stay, flagged `\Seen`.
    pub quarantine_folder: Option<String>,
    /// Between polls (IDLE, where the server has it, wakes the poller sooner).
    pub poll_interval_secs: u64,
    /// Connect and each command must be answered within this long.
    pub timeout_secs: u64,
    /// Use IMAP IDLE between polls where the server offers it.
    pub idle: bool,
    /// A mailbox is this instance's for this long, renewed every poll.
    pub lease_seconds: u64,
    pub extra: Vec<ImapConfig>,
}

impl Default for ImapConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 993,
            security: ImapSecurity::Tls,
            username: None,
            password: None,
            password_file: None,
            folder: "INBOX".into(),
            processed_folder: Some("Processed".into()),
            quarantine_folder: Some("Quarantine".into()),
            poll_interval_secs: 60,
            timeout_secs: 60,
            idle: true,
            lease_seconds: 300,
            extra: Vec::new(),
        }
    }
}

impl ImapConfig {
    pub fn host(&self) -> Option<&str> {
        self.host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
    }

    /// Every configured mailbox, the first one first.
    pub fn mailboxes(&self) -> Vec<&ImapConfig> {
        let mut all = Vec::new();
        if self.host().is_some() {
            all.push(self);
        }
        all.extend(self.extra.iter().filter(|m| m.host().is_some()));
        all
    }

    /// Checks one mailbox; errors name the key.
    pub fn validate(&self, key: &str) -> Result<(), Error> {
        let bad = |k: &str, why: String| Err(Error::Config(format!("{key}.{k}: {why}")));
        let Some(host) = self.host() else {
            return Ok(());
        };
        if self.security == ImapSecurity::None && !crate::config::is_loopback(host) {
            return bad(
                "security",
                format!(
                    "\"none\" sends the mailbox password and citizens' mail in clear text: \
                     allowed only to a server on this machine, not {host:?}; use \"tls\" or \
                     \"starttls\""
                ),
            );
        }
        if self.port == 0 {
            return bad("port", "must be a port number".into());
        }
        if self.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return bad("username", "the mailbox needs a user name".into());
        }
        if self.password.is_some() && self.password_file.is_some() {
            return bad(
                "password_file",
                "set password or password_file, not both".into(),
            );
        }
        if self.password.is_none() && self.password_file.is_none() {
            return bad("password", "set password or password_file".into());
        }
        if self.folder.trim().is_empty() {
            return bad("folder", "must name a folder (e.g. INBOX)".into());
        }
        for (k, f) in [
            ("processed_folder", &self.processed_folder),
            ("quarantine_folder", &self.quarantine_folder),
        ] {
            if f.as_deref().is_some_and(|f| f.trim() == self.folder.trim()) {
                return bad(k, "must differ from folder".into());
            }
        }
        if self.poll_interval_secs == 0 || self.timeout_secs == 0 {
            return bad(
                "poll_interval_secs",
                "poll_interval_secs and timeout_secs must be at least 1".into(),
            );
        }
        let worst = self.poll_interval_secs + 2 * self.timeout_secs;
        if self.lease_seconds < worst {
            return bad(
                "lease_seconds",
                format!(
                    "must be at least poll_interval_secs + 2 × timeout_secs = {worst}, so a \
                     poller renews its lease before another instance takes the mailbox"
                ),
            );
        }
        Ok(())
    }

    /// `user@host:port/folder`: the mailbox's name in the database.
    pub fn name(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.username.as_deref().unwrap_or_default(),
            self.host().unwrap_or_default(),
            self.port,
            self.folder
        )
    }

    fn password(&self) -> Result<SecretString, Error> {
        match (&self.password, &self.password_file) {
            (Some(p), _) => Ok(p.clone()),
            (None, Some(file)) => Ok(SecretString::from(crate::config::read_secret_file(
                "mail.imap.password_file",
                file,
            )?)),
            (None, None) => Ok(SecretString::from(String::new())),
        }
    }
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollSummary {
    pub filed: usize,
    pub replies: usize,
    pub ignored: usize,
    pub quarantined: usize,
    pub duplicates: usize,
    /// Left in the folder for the next poll (the database failed).
    pub left: usize,
    /// Not polled: another instance holds the mailbox's lease.
    pub held_elsewhere: bool,
}

impl PollSummary {
    pub fn seen(&self) -> usize {
        self.filed + self.replies + self.ignored + self.quarantined + self.duplicates
    }

    fn count(&mut self, outcome: &MailOutcome) {
        match outcome {
            MailOutcome::Filed { .. } => self.filed += 1,
            MailOutcome::Reply { .. } | MailOutcome::Reopened { .. } => self.replies += 1,
            MailOutcome::Ignored { .. } => self.ignored += 1,
            MailOutcome::Quarantined { .. } => self.quarantined += 1,
            MailOutcome::Duplicate => self.duplicates += 1,
        }
    }
}

/// What the poller does between a commit and the move: only tests ask for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AfterCommit {
    #[default]
    Move,
    /// Abort the process after the first piece is stored and before it is moved (the
    /// crash that the record must survive).
    CrashBeforeMove,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("IMAP {mailbox}: {source}")]
    Imap {
        mailbox: String,
        #[source]
        source: Box<imap::Error>,
    },
    #[error("IMAP {mailbox}: {detail}")]
    Connect { mailbox: String, detail: String },
    #[error("storing inbound mail: {0}")]
    Store(#[from] IntakeError),
}

/// The connection: plain TCP to loopback or TLS (rustls), with the configured timeout in
/// force whenever IDLE has not set another (IDLE resets it to "none" when it ends).
enum Wire {
    Plain(TcpStream),
    Tls(Box<rustls_connector::TlsStream<TcpStream>>),
}

struct Stream {
    wire: Wire,
    timeout: StdDuration,
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match &self.wire {
            Wire::Plain(tcp) => tcp,
            Wire::Tls(tls) => &tls.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.wire {
            Wire::Plain(s) => s.read(buf),
            Wire::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.wire {
            Wire::Plain(s) => s.write(buf),
            Wire::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.wire {
            Wire::Plain(s) => s.flush(),
            Wire::Tls(s) => s.flush(),
        }
    }
}

impl SetReadTimeout for Stream {
    fn set_read_timeout(&mut self, timeout: Option<StdDuration>) -> imap::Result<()> {
        self.tcp()
            .set_read_timeout(Some(timeout.unwrap_or(self.timeout)))
            .map_err(imap::Error::Io)
    }
}

type Session = imap::Session<Stream>;

/// Polls one mailbox.
pub struct Poller {
    intake: MailIntake,
    config: ImapConfig,
    password: SecretString,
    mailbox: String,
    holder: String,
    clock: Arc<dyn Clock>,
    after_commit: AfterCommit,
    /// Messages stored at once: several on PostgreSQL (overlapping commits), one on SQLite
    /// (one writer; concurrent writers would only wait for each other).
    workers: usize,
}

impl Poller {
    pub fn new(
        intake: MailIntake,
        config: &ImapConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        config.validate("mail.imap")?;
        let password = config.password()?;
        let workers = match intake.service().backend() {
            tongdai_storage::Backend::Postgres => 4,
            tongdai_storage::Backend::Sqlite => 1,
        };
        Ok(Self {
            intake,
            mailbox: config.name(),
            config: config.clone(),
            password,
            holder: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            workers,
            clock,
            after_commit: AfterCommit::Move,
        })
    }

    /// For the crash test of `tongdai mail poll --once --crash-after-commit`.
    pub fn with_after_commit(mut self, after_commit: AfterCommit) -> Self {
        self.after_commit = after_commit;
        self
    }

    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    fn imap_error(&self, source: imap::Error) -> PollError {
        PollError::Imap {
            mailbox: self.mailbox.clone(),
            source: Box::new(source),
        }
    }

    fn connect(&self) -> Result<Session, PollError> {
        let host = self.config.host().unwrap_or_default();
        let timeout = StdDuration::from_secs(self.config.timeout_secs);
        let fail = |detail: String| PollError::Connect {
            mailbox: self.mailbox.clone(),
            detail,
        };
        let address = (host, self.config.port)
            .to_socket_addrs()
            .map_err(|e| fail(format!("cannot resolve {host}: {e}")))?
            .next()
            .ok_or_else(|| fail(format!("{host} has no address")))?;
        let tcp = TcpStream::connect_timeout(&address, timeout)
            .map_err(|e| fail(format!("cannot connect to {address}: {e}")))?;
        tcp.set_read_timeout(Some(timeout))
            .and_then(|()| tcp.set_write_timeout(Some(timeout)))
            .map_err(|e| fail(e.to_string()))?;
        let tls = |tcp: TcpStream| -> Result<Wire, PollError> {
            let connector = rustls_connector::RustlsConnector::new_with_native_certs()
                .map_err(|e| fail(format!("no trusted certificates: {e}")))?;
            let stream = connector
                .connect(host, tcp)
                .map_err(|e| fail(format!("TLS with {host}: {e}")))?;
            Ok(Wire::Tls(Box::new(stream)))
        };
        let wire = match self.config.security {
            ImapSecurity::None => Wire::Plain(tcp),
            ImapSecurity::Tls => tls(tcp)?,
            ImapSecurity::Starttls => {
                let mut tcp = tcp;
                starttls(&mut tcp).map_err(|e| fail(format!("STARTTLS: {e}")))?;
                tls(tcp)?
            }
        };
        let greets = self.config.security != ImapSecurity::Starttls;
        let mut client = imap::Client::new(Stream { wire, timeout });
        if greets {
            client.read_greeting().map_err(|e| self.imap_error(e))?;
        } else {
            client.greeting_read = true;
        }
        let user = self.config.username.as_deref().unwrap_or_default();
        let mut session = client
            .login(user, self.password.expose_secret())
            .map_err(|(e, _)| self.imap_error(e))?;
        for folder in [
            &self.config.processed_folder,
            &self.config.quarantine_folder,
        ]
        .into_iter()
        .flatten()
        {
            // Ours to create if missing; "already exists" is the usual answer.
            let _ = session.create(folder);
        }
        Ok(session)
    }

    /// One poll on a new connection (cron's `tongdai mail poll --once`): connect, take the
    /// lease, poll, give the lease back, log out.
    pub fn poll_once(&self) -> Result<PollSummary, PollError> {
        if !self.claim()? {
            tracing::info!(mailbox = %self.mailbox, "another instance holds the mailbox; not polling");
            return Ok(PollSummary {
                held_elsewhere: true,
                ..PollSummary::default()
            });
        }
        let mut session = self.connect()?;
        let result = self.poll(&mut session);
        let _ = session.logout();
        let _ = self
            .intake
            .service()
            .with_conn(|conn| store::release_mailbox(conn, &self.mailbox, &self.holder));
        result
    }

    fn claim(&self) -> Result<bool, PollError> {
        let now = self.clock.now();
        let lease = Duration::seconds(i64::try_from(self.config.lease_seconds).unwrap_or(300));
        Ok(self.intake.service().with_conn(|conn| {
            store::claim_mailbox(conn, &self.mailbox, &self.holder, now, lease)
        })?)
    }

    /// One poll on an open session (see the module comment).
    fn poll(&self, session: &mut Session) -> Result<PollSummary, PollError> {
        let mut summary = PollSummary::default();
        let selected = session
            .select(&self.config.folder)
            .map_err(|e| self.imap_error(e))?;
        let validity = i64::from(selected.uid_validity.unwrap_or(0));
        let position = self
            .intake
            .service()
            .with_conn(|conn| store::mailbox_position(conn, &self.mailbox))?;
        let from = match position {
            Some(p) if p.uid_validity == Some(validity) => p.last_uid,
            Some(p) => {
                tracing::warn!(
                    mailbox = %self.mailbox,
                    stored = ?p.uid_validity,
                    now = validity,
                    "UIDVALIDITY changed: the folder is read again (stored messages are recognised)"
                );
                0
            }
            None => 0,
        };
        let mut uids: Vec<u32> = session
            .uid_search("ALL")
            .map_err(|e| self.imap_error(e))?
            .into_iter()
            .filter(|&uid| i64::from(uid) > from)
            .collect();
        uids.sort_unstable();
        if uids.is_empty() {
            self.advance(validity, from)?;
            return Ok(summary);
        }
        let sizes = self.sizes(session, &uids)?;
        let limit = self.intake.settings().max_message_bytes as u64;

        let mut last_done = from;
        let mut piece: Vec<u32> = Vec::new();
        let mut piece_bytes = 0_u64;
        let mut stopped = false;
        let mut first_failure: Option<u32> = None;
        for (i, &uid) in uids.iter().enumerate() {
            let size = sizes.get(&uid).copied().unwrap_or(0);
            piece.push(uid);
            piece_bytes += size.min(limit);
            let last = i + 1 == uids.len();
            if !last && piece.len() < BODY_PIECE_MESSAGES && piece_bytes < BODY_PIECE_BYTES {
                continue;
            }
            let (failed_at, outcomes) = self.take_piece(session, &piece, &sizes, validity)?;
            for outcome in &outcomes {
                summary.count(&outcome.1);
            }
            if self.after_commit == AfterCommit::CrashBeforeMove && !outcomes.is_empty() {
                tracing::error!(mailbox = %self.mailbox, "crashing after the commit, before the move (test)");
                std::process::abort();
            }
            // Everything stored is moved, even past a failure (its record makes it safe).
            self.put_away(session, &outcomes)?;
            if let Some(f) = failed_at {
                first_failure = Some(first_failure.map_or(f, |earlier: u32| earlier.min(f)));
                summary.left += piece.len() - outcomes.len();
            }
            // The position only passes what is stored without a gap: a message that
            // failed stays above it, and is read again next time.
            let before_failure = outcomes
                .iter()
                .map(|(uid, _)| *uid)
                .filter(|uid| first_failure.is_none_or(|f| *uid < f))
                .max();
            if let Some(uid) = before_failure {
                last_done = last_done.max(i64::from(uid));
            }
            if failed_at.is_some() && outcomes.is_empty() {
                // Nothing of the piece could be stored: the database is away. The rest
                // waits for the next poll. (One bad message among good ones does not stop
                // the poll: the mailbox is never blocked by it.)
                summary.left += uids.len() - (i + 1);
                stopped = true;
                break;
            }
            piece.clear();
            piece_bytes = 0;
        }
        self.advance(validity, last_done)?;
        tracing::info!(
            mailbox = %self.mailbox,
            filed = summary.filed,
            replies = summary.replies,
            ignored = summary.ignored,
            quarantined = summary.quarantined,
            duplicates = summary.duplicates,
            left = summary.left,
            stopped,
            "mailbox polled"
        );
        Ok(summary)
    }

    fn advance(&self, validity: i64, last_uid: i64) -> Result<(), PollError> {
        let now = self.clock.now();
        self.intake.service().with_conn(|conn| {
            store::advance_mailbox(conn, &self.mailbox, validity, last_uid, now)
        })?;
        Ok(())
    }

    fn sizes(
        &self,
        session: &mut Session,
        uids: &[u32],
    ) -> Result<std::collections::HashMap<u32, u64>, PollError> {
        let mut sizes = std::collections::HashMap::new();
        for chunk in uids.chunks(1000) {
            let fetched = session
                .uid_fetch(uid_set(chunk), "(UID RFC822.SIZE)")
                .map_err(|e| self.imap_error(e))?;
            for f in fetched.iter() {
                if let (Some(uid), Some(size)) = (f.uid, f.size) {
                    sizes.insert(uid, u64::from(size));
                }
            }
        }
        Ok(sizes)
    }

    /// Stores the messages of one piece, `self.workers` at a time (their transactions
    /// overlap, so PostgreSQL commits them together); outcomes in UID order. The first UID
    /// the database failed on, if any: it and the ones that failed after it stay in the
    /// folder for the next poll.
    #[allow(clippy::type_complexity)]
    fn take_piece(
        &self,
        session: &mut Session,
        piece: &[u32],
        sizes: &std::collections::HashMap<u32, u64>,
        validity: i64,
    ) -> Result<(Option<u32>, Vec<(u32, MailOutcome)>), PollError> {
        let limit = self.intake.settings().max_message_bytes as u64;
        let (large, small): (Vec<u32>, Vec<u32>) = piece
            .iter()
            .partition(|uid| sizes.get(uid).copied().unwrap_or(0) > limit);
        let mut bodies: std::collections::HashMap<u32, Vec<u8>> = std::collections::HashMap::new();
        if !small.is_empty() {
            let fetched = session
                .uid_fetch(uid_set(&small), "(UID BODY.PEEK[])")
                .map_err(|e| self.imap_error(e))?;
            for f in fetched.iter() {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    bodies.insert(uid, body.to_vec());
                }
            }
        }
        // (uid, body or None for a message over the size limit), in UID order. A UID with
        // neither was expunged by someone else between SEARCH and FETCH: nothing to do.
        let jobs: Vec<(u32, Option<Vec<u8>>)> = piece
            .iter()
            .filter_map(|&uid| {
                if large.contains(&uid) {
                    Some((uid, None))
                } else {
                    bodies.remove(&uid).map(|raw| (uid, Some(raw)))
                }
            })
            .collect();
        let ingest = |uid: u32, raw: &Option<Vec<u8>>| {
            let position = MailPosition {
                uid_validity: Some(validity),
                uid: Some(i64::from(uid)),
            };
            match raw {
                Some(raw) => self.intake.ingest(&self.mailbox, position, raw),
                None => {
                    let size = sizes.get(&uid).copied().unwrap_or(0);
                    self.intake.too_large(&self.mailbox, position, size)
                }
            }
        };
        let results: Vec<Result<MailOutcome, IntakeError>> = if self.workers <= 1 {
            jobs.iter().map(|(uid, raw)| ingest(*uid, raw)).collect()
        } else {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let slots: Vec<std::sync::Mutex<Option<Result<MailOutcome, IntakeError>>>> =
                jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
            std::thread::scope(|scope| {
                for _ in 0..self.workers.min(jobs.len()) {
                    scope.spawn(|| {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((uid, raw)) = jobs.get(i) else { break };
                            let result = ingest(*uid, raw);
                            if let Ok(mut slot) = slots[i].lock() {
                                *slot = Some(result);
                            }
                        }
                    });
                }
            });
            slots
                .into_iter()
                .map(|slot| {
                    slot.into_inner().ok().flatten().unwrap_or_else(|| {
                        Err(IntakeError::Corrupt("an ingest worker stopped".into()))
                    })
                })
                .collect()
        };
        let mut failed_at = None;
        let mut outcomes = Vec::new();
        for ((uid, _), result) in jobs.iter().zip(results) {
            match result {
                Ok(outcome) => outcomes.push((*uid, outcome)),
                Err(e) => {
                    tracing::warn!(mailbox = %self.mailbox, uid, error = %e, "inbound mail not stored; left for the next poll");
                    failed_at = failed_at.or(Some(*uid));
                }
            }
        }
        Ok((failed_at, outcomes))
    }

    /// Moves what was stored: quarantined ones to the quarantine folder, the rest to the
    /// processed folder (or flags them `\Seen` where there is none).
    fn put_away(
        &self,
        session: &mut Session,
        outcomes: &[(u32, MailOutcome)],
    ) -> Result<(), PollError> {
        let (quarantined, processed): (Vec<u32>, Vec<u32>) = {
            let (q, p): (Vec<_>, Vec<_>) = outcomes.iter().partition(|(_, o)| o.quarantined());
            (
                q.into_iter().map(|(u, _)| *u).collect(),
                p.into_iter().map(|(u, _)| *u).collect(),
            )
        };
        for (uids, folder) in [
            (processed, &self.config.processed_folder),
            (quarantined, &self.config.quarantine_folder),
        ] {
            if uids.is_empty() {
                continue;
            }
            let set = uid_set(&uids);
            match folder {
                Some(folder) => self.move_uids(session, &set, folder)?,
                None => {
                    session
                        .uid_store(&set, "+FLAGS.SILENT (\\Seen)")
                        .map_err(|e| self.imap_error(e))?;
                }
            }
        }
        Ok(())
    }

    fn move_uids(&self, session: &mut Session, set: &str, folder: &str) -> Result<(), PollError> {
        let caps = session.capabilities().map_err(|e| self.imap_error(e))?;
        if caps.has_str("MOVE") {
            return session.uid_mv(set, folder).map_err(|e| self.imap_error(e));
        }
        session
            .uid_copy(set, folder)
            .map_err(|e| self.imap_error(e))?;
        session
            .uid_store(set, "+FLAGS.SILENT (\\Seen \\Deleted)")
            .map_err(|e| self.imap_error(e))?;
        if caps.has_str("UIDPLUS") {
            // Exactly these UIDs: never a plain EXPUNGE, which would remove what others
            // flagged.
            session.uid_expunge(set).map_err(|e| self.imap_error(e))?;
        }
        Ok(())
    }

    /// The background loop: poll while holding the lease; wait with IDLE (or sleep) between
    /// polls; reconnect after a failure with a back-off of at most the poll interval.
    fn run(self, stop: Arc<AtomicBool>) {
        let interval = StdDuration::from_secs(self.config.poll_interval_secs);
        let mut failures = 0_u32;
        while !stop.load(Ordering::Relaxed) {
            match self.claim() {
                Ok(true) => {}
                Ok(false) => {
                    std::thread::sleep(interval);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(mailbox = %self.mailbox, error = %e, "cannot take the mailbox lease");
                    std::thread::sleep(interval);
                    continue;
                }
            }
            match self.session_loop(&stop, interval) {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(mailbox = %self.mailbox, error = %e, failures, "mail poll failed");
                    let wait = StdDuration::from_secs(2_u64.saturating_pow(failures.min(10)))
                        .min(interval);
                    std::thread::sleep(wait);
                }
            }
        }
        let _ = self
            .intake
            .service()
            .with_conn(|conn| store::release_mailbox(conn, &self.mailbox, &self.holder));
    }

    /// Polls on one connection until the lease is lost, the server goes away or `stop`.
    fn session_loop(&self, stop: &AtomicBool, interval: StdDuration) -> Result<(), PollError> {
        let mut session = self.connect()?;
        let idle = self.config.idle
            && session
                .capabilities()
                .map_err(|e| self.imap_error(e))?
                .has_str("IDLE");
        loop {
            self.poll(&mut session)?;
            if stop.load(Ordering::Relaxed) || !self.claim()? {
                let _ = session.logout();
                return Ok(());
            }
            if idle {
                session
                    .idle()
                    .timeout(interval)
                    .keepalive(false)
                    .wait_while(imap::extensions::idle::stop_on_any)
                    .map_err(|e| self.imap_error(e))?;
            } else {
                std::thread::sleep(interval);
            }
        }
    }
}

/// The e-mail channel as `[mail]` configures it: who we are (our addresses, loop header,
/// Message-ID domain, to recognise our own mail) and `[mail.intake]`.
pub fn mail_intake(
    config: &crate::config::Config,
    intake: tongdai_intake::IntakeService,
) -> Result<MailIntake, Error> {
    let settings = config.mail.settings(&config.web)?;
    let mut addresses = vec![
        settings.from.email.to_string().to_lowercase(),
        settings.reply_to.email.to_string().to_lowercase(),
    ];
    for mailbox in config.mail.imap.mailboxes() {
        // A mailbox whose login is an address is ours too.
        if let Some(user) = mailbox.username.as_deref().filter(|u| u.contains('@')) {
            addresses.push(user.to_lowercase());
        }
    }
    addresses.sort();
    addresses.dedup();
    let own = tongdai_mail::OwnIdentity {
        addresses,
        loop_header: settings.loop_header.clone(),
        message_id_domain: settings.message_id_domain.clone(),
    };
    MailIntake::new(intake, own, config.mail.intake.clone())
        .map_err(|e| Error::Config(format!("mail.intake: {e}")))
}

/// One poller per configured mailbox (none without `[mail.imap] host`).
pub fn pollers(
    config: &crate::config::Config,
    intake: tongdai_intake::IntakeService,
    clock: Arc<dyn Clock>,
) -> Result<Vec<Poller>, Error> {
    let mailboxes = config.mail.imap.mailboxes();
    if mailboxes.is_empty() {
        return Ok(Vec::new());
    }
    let channel = mail_intake(config, intake)?;
    mailboxes
        .into_iter()
        .map(|m| Poller::new(channel.clone(), m, clock.clone()))
        .collect()
}

/// The greeting and `STARTTLS` on the plain connection, read a byte at a time so that
/// nothing of the TLS handshake that follows is swallowed. STARTTLS is required: a server
/// that refuses it is an error, never a fall-back to clear text.
fn starttls(tcp: &mut TcpStream) -> std::io::Result<()> {
    fn line(tcp: &mut TcpStream) -> std::io::Result<String> {
        let mut bytes = Vec::new();
        let mut byte = [0_u8; 1];
        while !bytes.ends_with(b"\r\n") {
            if tcp.read(&mut byte)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            bytes.push(byte[0]);
            if bytes.len() > 8192 {
                return Err(std::io::Error::other("response line too long"));
            }
        }
        Ok(String::from_utf8_lossy(&bytes).trim_end().to_owned())
    }
    let greeting = line(tcp)?;
    if !greeting.starts_with("* OK") {
        return Err(std::io::Error::other(format!(
            "unexpected greeting {greeting:?}"
        )));
    }
    tcp.write_all(b"t0 STARTTLS\r\n")?;
    loop {
        let reply = line(tcp)?;
        if reply.starts_with("t0 OK") {
            return Ok(());
        }
        if reply.starts_with("t0 ") {
            return Err(std::io::Error::other(format!("refused: {reply}")));
        }
    }
}

/// `1,2,5:9`: UIDs (sorted or not) as an IMAP set.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Starts one poller thread per mailbox. The threads stop when `stop` is set (they finish
/// the poll in progress; an IDLE wait ends within `poll_interval_secs`).
pub fn spawn(pollers: Vec<Poller>, stop: Arc<AtomicBool>) {
    for poller in pollers {
        let stop = stop.clone();
        let name = format!("imap {}", poller.mailbox);
        tracing::info!(mailbox = %poller.mailbox, "mail poller started");
        let spawned = std::thread::Builder::new()
            .name(name)
            .spawn(move || poller.run(stop));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start a mail poller thread");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 9, 8, 7]), "1:3,5,7:9");
        assert_eq!(uid_set(&[4]), "4");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn clear_text_imap_is_for_loopback_only_and_passwords_are_required() {
        let mut c = ImapConfig {
            host: Some("imap.longan.gov.vn".into()),
            security: ImapSecurity::None,
            username: Some("1022".into()),
            password: Some(SecretString::from("x".to_owned())),
            ..ImapConfig::default()
        };
        let err = c.validate("mail.imap").unwrap_err().to_string();
        assert!(err.contains("mail.imap.security"), "{err}");
        c.host = Some("127.0.0.1".into());
        assert!(c.validate("mail.imap").is_ok());
        c.password = None;
        let err = c.validate("mail.imap").unwrap_err().to_string();
        assert!(err.contains("mail.imap.password"), "{err}");
        c.password = Some(SecretString::from("x".to_owned()));
        c.lease_seconds = 10;
        let err = c.validate("mail.imap").unwrap_err().to_string();
        assert!(err.contains("lease_seconds"), "{err}");
        // The secret never shows in Debug output.
        assert!(!format!("{c:?}").contains("\"x\""));
    }
}
