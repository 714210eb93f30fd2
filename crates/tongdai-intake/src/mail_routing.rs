//! Category and place of an e-mail ticket, found in its text. Mail to the 1022 mailbox has no
//! form fields, so the subject and body are searched for the keywords of
//! `config/mail/keywords.toml` (data, dated: the rules change by decision, never in code) and
//! for the names and aliases of the areas of the jurisdiction. Anything unclear gives `None`,
//! and the ticket goes to IOC triage: the IOC decides, the system never guesses.
//!
//! Text and keywords are compared word by word on their [`fold`]ed form (lower case, no
//! accents, `đ` → `d`, punctuation → spaces), so "den duong" finds "đèn đường" and "đèn"
//! never matches inside "dentist". One refinement: a word the writer typed *with* accents
//! must carry the same accents as the keyword ("đến đường", to the street, is not "đèn
//! đường"; "công an" is not "cống"), because folding alone merges many everyday words.
//! A phrase found inside a longer phrase at the same place counts only as the longer one.
//!
//! The text is folded once and split into words; phrases are indexed by their first word, so
//! a scan costs the text length times the few phrases sharing a first word. Only the first
//! 20,000 characters of a mail are read.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::text::{fold, normalize};
use tongdai_domain::validity::toml_date;
use tongdai_domain::{Area, AreaLevel, Category, Jurisdiction, Validity};

/// How much of a mail is searched: reports say what and where in their first lines, and a
/// bound keeps a huge body from costing more than a normal one.
const MAX_SCAN_CHARS: usize = 20_000;

/// Bound on parent and succession chains, so a cycle in data cannot hang intake.
const MAX_CHAIN: usize = 16;

/// Vowel pairs whose tone mark is placed on either vowel by different keyboards and
/// habits ("hoà"/"hòa", "thuỷ"/"thủy"): at the end of a word both spellings are one word.
const TONE_PLACEMENT: [(&str, &str); 15] = [
    ("oà", "òa"),
    ("oá", "óa"),
    ("oả", "ỏa"),
    ("oã", "õa"),
    ("oạ", "ọa"),
    ("oè", "òe"),
    ("oé", "óe"),
    ("oẻ", "ỏe"),
    ("oẽ", "õe"),
    ("oẹ", "ọe"),
    ("uỳ", "ùy"),
    ("uý", "úy"),
    ("uỷ", "ủy"),
    ("uỹ", "ũy"),
    ("uỵ", "ụy"),
];

/// One word of a text or phrase: its folded form, and its lower-case accented form when
/// the writer typed accents (`None` for "den", `Some("đèn")` for "Đèn").
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    folded: String,
    accented: Option<String>,
}

impl Word {
    /// A text word stands for a phrase word when they fold alike and, if both carry
    /// accents, the accents agree.
    fn stands_for(&self, key: &Word) -> bool {
        self.folded == key.folded
            && match (&self.accented, &key.accented) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// Combining marks of a decomposed text are part of the word they follow.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || ('\u{300}'..='\u{36f}').contains(&c)
}

fn same_tone_placement(word: &str) -> String {
    for (from, to) in TONE_PLACEMENT {
        if let Some(stem) = word.strip_suffix(from) {
            return format!("{stem}{to}");
        }
    }
    word.to_owned()
}

/// The words of `text` (NFC first, so decomposed input from some phones reads the same).
fn words(text: &str) -> Vec<Word> {
    let lower = normalize(text).to_lowercase();
    let mut out = Vec::new();
    for raw in lower.split(|c: char| !is_word_char(c)) {
        if raw.is_empty() {
            continue;
        }
        let folded = fold(raw);
        if folded.contains(' ') {
            out.extend(folded.split(' ').map(|part| Word {
                folded: part.to_owned(),
                accented: None,
            }));
        } else if !folded.is_empty() {
            let accented = (raw != folded).then(|| same_tone_placement(raw));
            out.push(Word { folded, accented });
        }
    }
    out
}

fn capped(text: &str) -> &str {
    match text.char_indices().nth(MAX_SCAN_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn folded_key(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.folded.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Phrases indexed by their first folded word.
#[derive(Debug, Clone)]
struct Phrases<T> {
    by_first: HashMap<String, Vec<(Vec<Word>, T)>>,
}

impl<T> Phrases<T> {
    fn new() -> Self {
        Self {
            by_first: HashMap::new(),
        }
    }

    fn add(&mut self, phrase: Vec<Word>, value: T) {
        if let Some(first) = phrase.first() {
            self.by_first
                .entry(first.folded.clone())
                .or_default()
                .push((phrase, value));
        }
    }

    /// Every occurrence in `text`, as (first word, end word exclusive, value).
    fn find_in<'a>(&'a self, text: &[Word]) -> Vec<(usize, usize, &'a T)> {
        let mut found = Vec::new();
        for (start, word) in text.iter().enumerate() {
            let Some(candidates) = self.by_first.get(&word.folded) else {
                continue;
            };
            for (phrase, value) in candidates {
                let end = start + phrase.len();
                let Some(window) = text.get(start..end) else {
                    continue;
                };
                if window.iter().zip(phrase).all(|(w, k)| w.stands_for(k)) {
                    found.push((start, end, value));
                }
            }
        }
        found
    }
}

/// The occurrences not lying inside a longer occurrence: "xã Bến Lức" is the xã, not also
/// the former huyện "Bến Lức"; "dây điện thoại" is not also "dây điện".
fn outermost<T>(mut found: Vec<(usize, usize, T)>) -> Vec<(usize, usize, T)> {
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut kept = Vec::with_capacity(found.len());
    let mut reach = 0;
    let mut group_reach = 0;
    let mut group: Option<(usize, usize)> = None;
    for item in found {
        let span = (item.0, item.1);
        if group != Some(span) {
            // Earlier spans start no later and, at the same start, end later: one reaching
            // this far contains this one.
            reach = reach.max(group_reach);
            group = Some(span);
            group_reach = span.1;
        }
        if reach < span.1 {
            kept.push(item);
        }
    }
    kept
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    category: toml::Spanned<String>,
    keywords: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(with = "toml_date")]
    valid_from: NaiveDate,
    #[serde(default, with = "toml_date::option")]
    valid_to: Option<NaiveDate>,
    /// The decision behind the rule, for the people who edit the file; not used by matching.
    #[serde(default)]
    #[allow(dead_code)]
    basis: Option<String>,
}

#[derive(Debug, Clone)]
struct Keyword {
    /// As written in the file (NFC), for the IOC to see why a mail was classified.
    text: String,
    folded: String,
}

#[derive(Debug, Clone)]
struct Rule {
    category: String,
    keywords: Vec<Keyword>,
    validity: Validity,
    /// "rule 3 (line 40)": how errors point at it.
    name: String,
}

#[derive(Debug, Clone, Copy)]
enum Role {
    Keyword(usize),
    Exclude,
}

/// Keyword rules of `config/mail/keywords.toml`.
#[derive(Debug, Clone)]
pub struct KeywordRules {
    rules: Vec<Rule>,
    phrases: Phrases<(usize, Role)>,
}

/// The category found in a mail and the keyword (as written in the rules) that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryMatch {
    pub category: String,
    pub keyword: String,
}

/// The words of one keyword of a rule, or why it cannot be one.
fn phrase_of(name: &str, what: &str, text: &str) -> Result<(String, Vec<Word>), String> {
    let written = normalize(text);
    let phrase = words(&written);
    if phrase.is_empty() {
        return Err(format!("{name}: {what} {text:?} has no letters or digits"));
    }
    Ok((written, phrase))
}

impl KeywordRules {
    /// Reads and checks the rules; an error names the rule (number, line, category) at
    /// fault, so whoever edits the file can find it.
    pub fn parse(toml_text: &str) -> Result<Self, String> {
        let file: RulesFile =
            toml::from_str(toml_text).map_err(|e| format!("keyword rules: {e}"))?;
        let mut rules = Vec::with_capacity(file.rule.len());
        let mut phrases = Phrases::new();
        for (n, raw) in file.rule.into_iter().enumerate() {
            let line = line_of(toml_text, raw.category.span().start);
            let category = raw.category.into_inner();
            let name = format!("rule {} (line {line}, category {category:?})", n + 1);
            if category.trim().is_empty() {
                return Err(format!("keyword rules: {name}: the category is empty"));
            }
            if raw.keywords.is_empty() {
                return Err(format!("keyword rules: {name}: no keywords"));
            }
            let validity = Validity::new(raw.valid_from, raw.valid_to);
            if !validity.is_well_formed() {
                return Err(format!(
                    "keyword rules: {name}: valid_to is before valid_from"
                ));
            }
            let rule_index = rules.len();
            let mut keywords = Vec::with_capacity(raw.keywords.len());
            let mut seen = BTreeSet::new();
            for text in &raw.keywords {
                let (written, phrase) =
                    phrase_of(&name, "keyword", text).map_err(|e| format!("keyword rules: {e}"))?;
                let folded = folded_key(&phrase);
                if !seen.insert(folded.clone()) {
                    return Err(format!(
                        "keyword rules: {name}: keyword {text:?} is listed twice (accents aside)"
                    ));
                }
                phrases.add(phrase, (rule_index, Role::Keyword(keywords.len())));
                keywords.push(Keyword {
                    text: written,
                    folded,
                });
            }
            for text in &raw.exclude {
                let (_, phrase) =
                    phrase_of(&name, "exclude", text).map_err(|e| format!("keyword rules: {e}"))?;
                if seen.contains(&folded_key(&phrase)) {
                    return Err(format!(
                        "keyword rules: {name}: {text:?} is both a keyword and an exclude"
                    ));
                }
                phrases.add(phrase, (rule_index, Role::Exclude));
            }
            rules.push(Rule {
                category,
                keywords,
                validity,
                name,
            });
        }
        check_collisions(&rules)?;
        Ok(Self { rules, phrases })
    }

    /// [`Self::parse`] of a file; the error starts with the file's path.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// No rules: every mail goes to triage (no keyword file configured).
    pub fn empty() -> Self {
        Self {
            rules: Vec::new(),
            phrases: Phrases::new(),
        }
    }

    /// Every category named must exist in the jurisdiction (any date); error names it.
    pub fn check(&self, jurisdiction: &Jurisdiction) -> Result<(), String> {
        for rule in &self.rules {
            if !jurisdiction
                .categories
                .iter()
                .any(|c| c.code == rule.category)
            {
                return Err(format!(
                    "keyword rules: {}: category {:?} is not in categories.toml",
                    rule.name, rule.category
                ));
            }
        }
        Ok(())
    }

    /// The category whose keywords occur in `text` (subject + body) on `on`.
    pub fn category_in(
        &self,
        text: &str,
        on: NaiveDate,
        jurisdiction: &Jurisdiction,
    ) -> Option<CategoryMatch> {
        if self.rules.is_empty() {
            return None;
        }
        let categories: HashMap<&str, &Category> = jurisdiction
            .categories
            .iter()
            .filter(|c| c.valid_on(on))
            .map(|c| (c.code.as_str(), c))
            .collect();
        let in_force = |rule: usize| {
            self.rules
                .get(rule)
                .filter(|r| r.validity.contains(on) && categories.contains_key(r.category.as_str()))
        };

        let text = words(capped(text));
        let found = self.phrases.find_in(&text);
        // Excludes veto their rule wherever they occur, even inside a longer keyword.
        let vetoed: BTreeSet<usize> = found
            .iter()
            .filter(|(_, _, (_, role))| matches!(role, Role::Exclude))
            .map(|(_, _, (rule, _))| *rule)
            .collect();
        let keywords: Vec<(usize, usize, (usize, usize))> = found
            .into_iter()
            .filter_map(|(start, end, &(rule, role))| match role {
                Role::Keyword(k) => Some((start, end, (rule, k))),
                Role::Exclude => None,
            })
            .filter(|(_, _, (rule, _))| !vetoed.contains(rule) && in_force(*rule).is_some())
            .collect();

        // Per category: the distinct keywords found, and the first one in the text.
        let mut hits: BTreeMap<&str, (BTreeSet<&str>, (usize, &str))> = BTreeMap::new();
        for (start, _, (rule, k)) in outermost(keywords) {
            let Some(rule) = in_force(rule) else { continue };
            let Some(keyword) = rule.keywords.get(k) else {
                continue;
            };
            let entry = hits
                .entry(rule.category.as_str())
                .or_insert_with(|| (BTreeSet::new(), (start, keyword.text.as_str())));
            entry.0.insert(keyword.folded.as_str());
            if start < entry.1.0 {
                entry.1 = (start, keyword.text.as_str());
            }
        }

        let ancestors = |code: &str| category_ancestors(&categories, code);
        // A sub-category found beats its parent; the parent's keywords count for it.
        let mut scored: Vec<(&str, usize, &str)> = Vec::new();
        for (&code, (own, first)) in &hits {
            let outranked = hits
                .keys()
                .any(|&other| other != code && ancestors(other).contains(&code));
            if outranked {
                continue;
            }
            let mut all: BTreeSet<&str> = own.clone();
            for ancestor in ancestors(code) {
                if let Some((theirs, _)) = hits.get(ancestor) {
                    all.extend(theirs.iter().copied());
                }
            }
            scored.push((code, all.len(), first.1));
        }
        let best = scored.iter().map(|s| s.1).max()?;
        let mut winners = scored.into_iter().filter(|s| s.1 == best);
        let (category, _, keyword) = winners.next()?;
        if winners.next().is_some() {
            return None;
        }
        Some(CategoryMatch {
            category: category.to_owned(),
            keyword: keyword.to_owned(),
        })
    }
}

/// The parent, grandparent, ... of a category in force.
fn category_ancestors<'a>(categories: &HashMap<&str, &'a Category>, code: &str) -> Vec<&'a str> {
    let mut chain = Vec::new();
    let mut current = categories.get(code).and_then(|c| c.parent.as_deref());
    while let Some(parent) = current {
        if chain.len() >= MAX_CHAIN {
            break;
        }
        chain.push(parent);
        current = categories.get(parent).and_then(|c| c.parent.as_deref());
    }
    chain
}

/// One keyword in two categories at the same time cannot be told apart in text without
/// accents: a data error, reported with both rules.
fn check_collisions(rules: &[Rule]) -> Result<(), String> {
    let mut owners: HashMap<&str, Vec<&Rule>> = HashMap::new();
    for rule in rules {
        for keyword in &rule.keywords {
            let others = owners.entry(keyword.folded.as_str()).or_default();
            if let Some(other) = others
                .iter()
                .find(|o| o.category != rule.category && o.validity.overlaps(&rule.validity))
            {
                return Err(format!(
                    "keyword rules: {}: keyword {:?} is also a keyword of {} (accents aside), in force on the same days",
                    rule.name, keyword.text, other.name
                ));
            }
            others.push(rule);
        }
    }
    Ok(())
}

fn depth(level: AreaLevel) -> u8 {
    match level {
        AreaLevel::Province => 0,
        AreaLevel::District => 1,
        AreaLevel::Commune => 2,
    }
}

fn is_ancestor(jurisdiction: &Jurisdiction, ancestor: &str, of: &Area) -> bool {
    let mut current = of.parent.as_deref();
    for _ in 0..MAX_CHAIN {
        match current {
            Some(code) if code == ancestor => return true,
            Some(code) => current = jurisdiction.area(code).and_then(|a| a.parent.as_deref()),
            None => return false,
        }
    }
    false
}

/// The unit in force on `on` that `area` became: itself, or its successor through whole
/// mergers. `None` when it was split (`partial`) or abolished without successor (the
/// district tier): its name alone does not say where the place is now.
fn unit_on<'a>(jurisdiction: &'a Jurisdiction, area: &'a Area, on: NaiveDate) -> Option<&'a Area> {
    let mut current = area;
    for _ in 0..MAX_CHAIN {
        if current.valid_on(on) {
            return Some(current);
        }
        let succession = jurisdiction
            .successions
            .iter()
            .find(|s| s.effective <= on && s.predecessors.contains(&current.code))?;
        current = jurisdiction.area(&succession.successor)?;
    }
    None
}

/// What the areas named in a text say under the map of one day.
enum Reading<'a> {
    /// No unit named was in force that day.
    Nothing,
    Unit(&'a Area),
    /// Two units as deep fit: the text does not say which.
    Ambiguous,
    /// The units named do not fit together on that day's map ("Phường 2, TP Tân An" after
    /// Phường 2 was merged away, when only Kiến Tường still had a Phường 2).
    Misfit,
}

/// The deepest named unit in force on `day`, if the other named units of that day contain
/// it and no other unit as deep is named.
fn read_on<'a>(jurisdiction: &Jurisdiction, named: &[&'a Area], day: NaiveDate) -> Reading<'a> {
    let present: Vec<&Area> = named.iter().copied().filter(|a| a.valid_on(day)).collect();
    let Some(deepest) = present.iter().map(|a| depth(a.level)).max() else {
        return Reading::Nothing;
    };
    let (candidates, context): (Vec<&Area>, Vec<&Area>) =
        present.into_iter().partition(|a| depth(a.level) == deepest);
    // "Phường 1, TP Tân An": the city picks its Phường 1 among the two of that day.
    let fitting: Vec<&Area> = candidates
        .into_iter()
        .filter(|c| {
            context
                .iter()
                .all(|x| is_ancestor(jurisdiction, &x.code, c))
        })
        .collect();
    match fitting.as_slice() {
        [] => Reading::Misfit,
        [one] => Reading::Unit(one),
        _ => Reading::Ambiguous,
    }
}

/// The code of the one area (phường/xã, or a higher unit if nothing deeper) named in `text`
/// and in force on `on`.
///
/// Citizens keep writing the names of units merged away ("Phường 4" after 1/7/2025), so the
/// text is read under the map in force on `on` and under the map of the last day of each
/// named unit that ended before; each reading is carried to the unit in force on `on`
/// through whole mergers. `None` (triage) when a reading finds two units as deep, when the
/// readings disagree (one may contain the other: the deeper wins), when the unit found was
/// split or abolished since, or when a name in the text points elsewhere than the answer.
pub fn area_in_text(jurisdiction: &Jurisdiction, text: &str, on: NaiveDate) -> Option<String> {
    let mut phrases = Phrases::new();
    for (index, area) in jurisdiction.areas.iter().enumerate() {
        if area.valid_from > on {
            continue;
        }
        for name in std::iter::once(&area.name).chain(&area.aliases) {
            phrases.add(words(name), index);
        }
    }
    let text = words(capped(text));
    // The areas each name found in the text may stand for ("Phường 1": two of them).
    let mut spans: BTreeMap<(usize, usize), BTreeSet<usize>> = BTreeMap::new();
    for (start, end, &index) in outermost(phrases.find_in(&text)) {
        spans.entry((start, end)).or_default().insert(index);
    }
    // One entry per distinct set: a name repeated all over a long mail costs once.
    let spans: BTreeSet<BTreeSet<usize>> = spans.into_values().collect();
    let spans: Vec<Vec<&Area>> = spans
        .into_iter()
        .map(|set| {
            set.into_iter()
                .filter_map(|index| jurisdiction.areas.get(index))
                .collect()
        })
        .collect();
    let mut named: Vec<&Area> = spans.iter().flatten().copied().collect();
    named.sort_by(|a, b| a.code.cmp(&b.code));
    named.dedup_by(|a, b| a.code == b.code);
    if named.is_empty() {
        return None;
    }

    let mut days: BTreeSet<NaiveDate> = named
        .iter()
        .filter_map(|a| a.valid_to)
        .filter(|&to| to < on)
        .collect();
    days.insert(on);
    let mut units: Vec<&Area> = Vec::new();
    for day in days {
        match read_on(jurisdiction, &named, day) {
            Reading::Nothing | Reading::Misfit => {}
            Reading::Ambiguous => return None,
            Reading::Unit(area) => {
                let now = unit_on(jurisdiction, area, on)?;
                if !units.iter().any(|u| u.code == now.code) {
                    units.push(now);
                }
            }
        }
    }
    let deepest: Vec<&Area> = units
        .iter()
        .copied()
        .filter(|u| {
            !units
                .iter()
                .any(|other| is_ancestor(jurisdiction, &u.code, other))
        })
        .collect();
    let [answer] = deepest.as_slice() else {
        return None;
    };
    // Every name must agree with the answer: "Phường 4, Kiến Tường" in 2026 is not phường
    // Kiến Tường, whose former Phường 1-3 had no Phường 4. A name of a unit abolished or
    // split without successor says nothing either way.
    let agrees = |area: &Area| match unit_on(jurisdiction, area, on) {
        None => true,
        Some(now) => now.code == answer.code || is_ancestor(jurisdiction, &now.code, answer),
    };
    spans
        .iter()
        .all(|span| span.iter().any(|a| agrees(a)))
        .then(|| answer.code.clone())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tongdai_domain::JurisdictionFiles;

    const SHIPPED_RULES: &str = include_str!("../../../config/mail/keywords.toml");

    fn jurisdiction() -> Jurisdiction {
        Jurisdiction::parse(JurisdictionFiles {
            jurisdiction: include_str!("../../../config/jurisdiction/jurisdiction.toml"),
            areas: include_str!("../../../config/jurisdiction/areas.toml"),
            agencies: include_str!("../../../config/jurisdiction/agencies.toml"),
            categories: include_str!("../../../config/jurisdiction/categories.toml"),
            routing: Some(include_str!("../../../config/jurisdiction/routing.toml")),
        })
        .unwrap_or_else(|e| panic!("the shipped demo jurisdiction must load: {e}"))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Before the 1/12/2024 and 1/7/2025 re-organisations.
    fn in_2024() -> NaiveDate {
        date(2024, 5, 10)
    }

    /// After both: Tây Ninh province, two-tier local government.
    fn in_2026() -> NaiveDate {
        date(2026, 3, 2)
    }

    fn shipped() -> KeywordRules {
        KeywordRules::parse(SHIPPED_RULES).unwrap_or_else(|e| panic!("{e}"))
    }

    fn rules(text: &str) -> KeywordRules {
        KeywordRules::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn category(rules: &KeywordRules, text: &str, on: NaiveDate) -> Option<String> {
        rules
            .category_in(text, on, &jurisdiction())
            .map(|m| m.category)
    }

    fn parse_error(text: &str) -> String {
        KeywordRules::parse(text).err().unwrap_or_default()
    }

    const LIGHTS_AND_HOLES: &str = r#"
[[rule]]
category = "chieu-sang"
keywords = ["chiếu sáng công cộng", "tối thui"]
valid_from = 2022-06-01

[[rule]]
category = "chieu-sang.den-duong"
keywords = ["đèn đường", "cột đèn"]
exclude = ["đèn đường sắt"]
valid_from = 2022-06-01

[[rule]]
category = "giao-thong.o-ga"
keywords = ["ổ gà", "mặt đường bị lún"]
valid_from = 2022-06-01

[[rule]]
category = "dien-luc"
keywords = ["mất điện"]
valid_from = 2022-06-01
valid_to = 2023-12-31

[[rule]]
category = "dien-luc"
keywords = ["cúp điện"]
valid_from = 2024-01-01
"#;

    #[test]
    fn the_shipped_rules_parse_and_name_only_categories_of_the_shipped_jurisdiction() {
        let rules = shipped();
        rules.check(&jurisdiction()).unwrap();
        // Every category in force (but "khac", chosen by the IOC) has a rule.
        let j = jurisdiction();
        for c in j.categories.iter().filter(|c| c.valid_on(in_2026())) {
            let has_rule = rules.rules.iter().any(|r| r.category == c.code);
            assert_eq!(has_rule, c.code != "khac", "{}", c.code);
        }
    }

    #[test]
    fn a_broken_street_light_in_phuong_4_with_and_without_accents() {
        let rules = shipped();
        let j = jurisdiction();
        for text in [
            "Đèn đường trước nhà tôi ở Phường 4 bị hư 3 ngày nay",
            "Den duong truoc nha toi o phuong 4 bi hu 3 ngay nay",
            "ĐÈN ĐƯỜNG TRƯỚC NHÀ TÔI Ở PHƯỜNG 4 BỊ HƯ 3 NGÀY NAY",
            // Decomposed (NFD), as some phones send it.
            "Đe\u{300}n đu\u{31b}o\u{31b}\u{300}ng trước nhà tôi ở Phu\u{31b}o\u{31b}\u{300}ng 4 bị hư",
        ] {
            let found = rules.category_in(text, in_2024(), &j);
            assert_eq!(
                found,
                Some(CategoryMatch {
                    category: "chieu-sang.den-duong".into(),
                    keyword: "đèn đường".into(),
                }),
                "{text}"
            );
            assert_eq!(
                area_in_text(&j, text, in_2024()).as_deref(),
                Some("LA-TANAN-P4"),
                "{text}"
            );
            // Phường 4 was wholly merged into phường Long An on 1/7/2025.
            assert_eq!(
                area_in_text(&j, text, in_2026()).as_deref(),
                Some("TN-P-LONGAN"),
                "{text}"
            );
        }
    }

    #[test]
    fn realistic_mails_find_their_category_with_the_shipped_rules() {
        let rules = shipped();
        let cases = [
            (
                "Đường Hùng Vương có nhiều ổ gà rất nguy hiểm",
                "giao-thong.o-ga",
            ),
            ("Biển báo giao thông ở ngã tư bị gãy", "giao-thong"),
            (
                "Mưa xong là đường ngập nước tới đầu gối",
                "cap-thoat-nuoc.ngap-nuoc",
            ),
            (
                "Khu tôi bị cúp nước từ sáng, nắp cống cũng bị mất",
                "cap-thoat-nuoc",
            ),
            ("Cây xanh trước trường bị nghiêng, sợ cây đổ", "cay-xanh"),
            ("Mất điện cả khu phố từ 7 giờ tối", "dien-luc"),
            (
                "Cáp viễn thông treo lơ lửng, dây cáp sát đầu người",
                "vien-thong",
            ),
            ("Xe buýt tuyến 01 bỏ trạm không đón khách", "xe-buyt"),
            ("Cơ sở xả thải ra kênh, mùi hôi nồng nặc", "moi-truong"),
            (
                "Bãi rác tự phát, người dân đổ rác bừa bãi",
                "moi-truong.rac-thai",
            ),
            (
                "Quán nhậu lấn chiếm vỉa hè, bày hàng ra vỉa hè",
                "trat-tu-do-thi.lan-chiem-via-he",
            ),
            ("Treo băng rôn quảng cáo khắp nơi", "trat-tu-do-thi"),
            (
                "Hồ sơ của tôi trễ hẹn 2 tuần ở bộ phận một cửa",
                "hanh-chinh-cong",
            ),
            ("Nhà bên cạnh hát karaoke tới 12 giờ đêm", "tieng-on"),
            ("Thanh niên tụ tập đua xe mỗi tối", "an-ninh-trat-tu"),
            ("Tranh chấp đất với nhà bên, xin cấp sổ đỏ chậm", "dat-dai"),
            ("Nhà bên xây dựng không phép, làm nứt nhà tôi", "xay-dung"),
            ("Trạm y tế phường không có bác sĩ trực", "y-te"),
            ("Nhà trường lạm thu, ép học sinh học thêm", "giao-duc"),
            (
                "Nhiều người bị ngộ độc sau khi ăn ở quán",
                "an-toan-thuc-pham",
            ),
            (
                "Gia đình tôi là hộ nghèo nhưng chưa nhận trợ cấp",
                "an-sinh-xa-hoi",
            ),
            ("Dây điện thoại bị đứt", "vien-thong"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                category(&rules, text, in_2026()).as_deref(),
                Some(expected),
                "{text}"
            );
        }
        // A lost phone is not a power cut.
        assert_eq!(
            category(&rules, "Tôi bị mất điện thoại ở chợ", in_2026()),
            None
        );
        // "đến đường" (to the street), typed with accents, is not "đèn đường".
        assert_eq!(
            category(&rules, "Tôi đi đến đường Hùng Vương thì thấy", in_2026()),
            None
        );
    }

    #[test]
    fn a_sub_category_beats_its_parent_and_takes_its_keywords() {
        let rules = rules(LIGHTS_AND_HOLES);
        let text = "Hẻm tối thui vì đèn đường hư";
        assert_eq!(
            category(&rules, text, in_2024()).as_deref(),
            Some("chieu-sang.den-duong")
        );
        // Parent keywords count for the child: 2 beats the 1 of the unrelated ổ gà.
        let text = "Tối thui, đèn đường hư, lại có ổ gà";
        assert_eq!(
            category(&rules, text, in_2024()).as_deref(),
            Some("chieu-sang.den-duong")
        );
        // The parent alone is found too.
        assert_eq!(
            category(&rules, "Khu này tối thui", in_2024()).as_deref(),
            Some("chieu-sang")
        );
    }

    #[test]
    fn most_distinct_keywords_win_and_a_tie_goes_to_triage() {
        let rules = rules(LIGHTS_AND_HOLES);
        // One keyword each, unrelated: the IOC decides.
        assert_eq!(category(&rules, "Đèn đường hư, có ổ gà", in_2024()), None);
        // The same keyword twice is still one.
        assert_eq!(
            category(&rules, "Đèn đường hư, đèn đường tắt, có ổ gà", in_2024()),
            None
        );
        // Two distinct keywords against one.
        assert_eq!(
            category(&rules, "Ổ gà to, mặt đường bị lún, cạnh cột đèn", in_2024()).as_deref(),
            Some("giao-thong.o-ga")
        );
        assert_eq!(
            category(&rules, "Xin chào, tôi muốn góp ý", in_2024()),
            None
        );
        assert_eq!(
            category(&KeywordRules::empty(), "Đèn đường hư", in_2024()),
            None
        );
    }

    #[test]
    fn the_keyword_returned_is_the_first_found_as_written() {
        let rules = rules(LIGHTS_AND_HOLES);
        let found = rules.category_in("mat duong bi lun, o ga", in_2024(), &jurisdiction());
        assert_eq!(
            found,
            Some(CategoryMatch {
                category: "giao-thong.o-ga".into(),
                keyword: "mặt đường bị lún".into(),
            })
        );
    }

    #[test]
    fn an_exclude_vetoes_its_rule() {
        let rules = rules(LIGHTS_AND_HOLES);
        assert_eq!(category(&rules, "Đèn đường sắt bị hỏng", in_2024()), None);
        // Even when a keyword is found elsewhere in the mail.
        assert_eq!(
            category(&rules, "Cột đèn gần đèn đường sắt bị nghiêng", in_2024()),
            None
        );
        assert_eq!(
            category(&rules, "Cột đèn bị nghiêng", in_2024()).as_deref(),
            Some("chieu-sang.den-duong")
        );
    }

    #[test]
    fn keywords_match_whole_words_only() {
        let rules = rules(
            r#"
[[rule]]
category = "y-te"
keywords = ["đèn", "răng"]
valid_from = 2022-06-01
"#,
        );
        assert_eq!(category(&rules, "The dentist is closed", in_2024()), None);
        assert_eq!(category(&rules, "den", in_2024()).as_deref(), Some("y-te"));
        assert_eq!(category(&rules, "Đèn.", in_2024()).as_deref(), Some("y-te"));
        // "đen" (black) and "đến" (to come), typed with accents, are other words.
        assert_eq!(category(&rules, "Con mèo đen đến", in_2024()), None);
        assert_eq!(
            category(&rules, "hàm răng", in_2024()).as_deref(),
            Some("y-te")
        );
        assert_eq!(category(&rules, "rangers", in_2024()), None);
    }

    #[test]
    fn tone_placement_habits_are_one_spelling() {
        let rules = rules(
            r#"
[[rule]]
category = "moi-truong"
keywords = ["hòa tan", "thủy sản"]
valid_from = 2022-06-01
"#,
        );
        assert_eq!(
            category(&rules, "chất hoà tan", in_2024()).as_deref(),
            Some("moi-truong")
        );
        assert_eq!(
            category(&rules, "nuôi thuỷ sản", in_2024()).as_deref(),
            Some("moi-truong")
        );
    }

    #[test]
    fn rules_out_of_force_are_ignored() {
        let rules = rules(LIGHTS_AND_HOLES);
        assert_eq!(
            category(&rules, "Mất điện", date(2023, 12, 31)).as_deref(),
            Some("dien-luc")
        );
        assert_eq!(category(&rules, "Mất điện", date(2024, 1, 1)), None);
        assert_eq!(category(&rules, "Cúp điện", date(2023, 12, 31)), None);
        assert_eq!(
            category(&rules, "Cúp điện", date(2024, 1, 1)).as_deref(),
            Some("dien-luc")
        );
        // Before any rule.
        assert_eq!(category(&rules, "Đèn đường hư", date(2022, 5, 31)), None);
    }

    #[test]
    fn categories_out_of_force_are_ignored() {
        let rules = rules(LIGHTS_AND_HOLES);
        let mut j = jurisdiction();
        let o_ga = j
            .categories
            .iter_mut()
            .find(|c| c.code == "giao-thong.o-ga")
            .unwrap();
        o_ga.valid_to = Some(date(2025, 6, 30));
        let text = "Có ổ gà trước chợ";
        let found = |on| rules.category_in(text, on, &j).map(|m| m.category);
        assert_eq!(found(date(2025, 6, 30)).as_deref(), Some("giao-thong.o-ga"));
        assert_eq!(found(date(2025, 7, 1)), None);
        // A tie with a category out of force is no tie.
        let found = rules
            .category_in("Ổ gà, đèn đường hư", date(2025, 7, 1), &j)
            .map(|m| m.category);
        assert_eq!(found.as_deref(), Some("chieu-sang.den-duong"));
    }

    #[test]
    fn check_rejects_a_category_the_jurisdiction_does_not_have() {
        let rules = rules(
            r#"
[[rule]]
category = "chieu-sang"
keywords = ["chiếu sáng"]
valid_from = 2022-06-01

[[rule]]
category = "den-giao-thong"
keywords = ["đèn xanh đèn đỏ"]
valid_from = 2022-06-01
"#,
        );
        let err = rules.check(&jurisdiction()).err().unwrap_or_default();
        assert!(err.contains("\"den-giao-thong\""), "{err}");
        assert!(err.contains("rule 2 (line 8"), "{err}");
        assert!(KeywordRules::empty().check(&jurisdiction()).is_ok());
    }

    #[test]
    fn parse_errors_say_which_rule_and_what() {
        let err = parse_error("[[rule]]\ncategory = \"y-te\"\nvalid_from = 2022-06-01\n");
        assert!(err.contains("keywords"), "{err}");

        let err = parse_error(
            "[[rule]]\ncategory = \"y-te\"\nkeywords = [\"a\"]\nvalid_from = \"1/6/2022\"\n",
        );
        assert!(err.contains("line 4"), "{err}");
        assert!(
            err.contains("valid_from") && err.contains("datetime"),
            "{err}"
        );

        let err = parse_error(
            "[[rule]]\ncategory = \"y-te\"\nkeyword = [\"a\"]\nvalid_from = 2022-06-01\n",
        );
        assert!(err.contains("keyword"), "{err}");
        assert!(err.contains("line 3"), "{err}");

        let two = "[[rule]]\ncategory = \"y-te\"\nkeywords = [\"bệnh viện\"]\nvalid_from = 2022-06-01\n\n[[rule]]\ncategory = \"giao-duc\"\n";
        let err = parse_error(&format!(
            "{two}keywords = [\"!!\"]\nvalid_from = 2022-06-01\n"
        ));
        assert!(
            err.contains("rule 2 (line 7, category \"giao-duc\")"),
            "{err}"
        );
        assert!(err.contains("\"!!\" has no letters"), "{err}");

        let err = parse_error(&format!("{two}keywords = []\nvalid_from = 2022-06-01\n"));
        assert!(
            err.contains("rule 2") && err.contains("no keywords"),
            "{err}"
        );

        let err = parse_error(&format!(
            "{two}keywords = [\"học phí\"]\nvalid_from = 2022-06-01\nvalid_to = 2021-01-01\n"
        ));
        assert!(
            err.contains("rule 2") && err.contains("valid_to is before"),
            "{err}"
        );

        let err = parse_error(&format!(
            "{two}keywords = [\"học phí\", \"hoc phi\"]\nvalid_from = 2022-06-01\n"
        ));
        assert!(err.contains("listed twice"), "{err}");

        let err = parse_error(&format!(
            "{two}keywords = [\"học phí\"]\nexclude = [\"hoc phi\"]\nvalid_from = 2022-06-01\n"
        ));
        assert!(err.contains("both a keyword and an exclude"), "{err}");

        // The same keyword, accents aside, in two categories at once.
        let err = parse_error(&format!(
            "{two}keywords = [\"Bệnh Viện\"]\nvalid_from = 2022-06-01\n"
        ));
        assert!(err.contains("rule 2 (line 7"), "{err}");
        assert!(err.contains("rule 1 (line 2"), "{err}");
        // Not when they are in force on different days.
        let ok = "[[rule]]\ncategory = \"y-te\"\nkeywords = [\"bệnh viện\"]\nvalid_from = 2022-06-01\nvalid_to = 2024-12-31\n\n[[rule]]\ncategory = \"giao-duc\"\nkeywords = [\"bệnh viện\"]\nvalid_from = 2025-01-01\n";
        assert!(KeywordRules::parse(ok).is_ok());

        assert!(parse_error("[[rule]\n").contains("line 1"));
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("keywords.toml");
        let err = KeywordRules::load(&missing).err().unwrap_or_default();
        assert!(err.contains("keywords.toml"), "{err}");
        std::fs::write(&missing, "[[rule]]\ncategory = 1\n").unwrap();
        let err = KeywordRules::load(&missing).err().unwrap_or_default();
        assert!(
            err.contains("keywords.toml") && err.contains("line 2"),
            "{err}"
        );
        std::fs::write(&missing, SHIPPED_RULES).unwrap();
        assert!(KeywordRules::load(&missing).is_ok());
    }

    #[test]
    fn numbered_wards_match_whole_numbers_only() {
        let j = jurisdiction();
        assert_eq!(area_in_text(&j, "Phường 45", in_2024()), None);
        assert_eq!(area_in_text(&j, "số 4 đường 3/2", in_2024()), None);
        assert_eq!(
            area_in_text(&j, "Hẻm 12, P.4, TP Tân An", in_2024()).as_deref(),
            Some("LA-TANAN-P4")
        );
        assert_eq!(
            area_in_text(&j, "phuong 04 tan an", in_2024()).as_deref(),
            Some("LA-TANAN-P4")
        );
    }

    #[test]
    fn two_units_as_deep_are_ambiguous_unless_the_text_says_which() {
        let j = jurisdiction();
        // Tân An and Kiến Tường both had a Phường 1.
        assert_eq!(area_in_text(&j, "Phường 1", in_2024()), None);
        assert_eq!(
            area_in_text(&j, "Phường 1, TP Tân An", in_2024()).as_deref(),
            Some("LA-TANAN-P1")
        );
        assert_eq!(
            area_in_text(&j, "Phường 1, thị xã Kiến Tường", in_2024()).as_deref(),
            Some("LA-KIENTUONG-P1")
        );
        // After 1/12/2024 the enlarged Phường 1 of Tân An is another record.
        assert_eq!(
            area_in_text(&j, "Phường 1, TP Tân An", date(2024, 12, 15)).as_deref(),
            Some("LA-TANAN-P1-2024")
        );
        // Two different wards named.
        assert_eq!(area_in_text(&j, "Phường 4 và Phường 5", in_2024()), None);
        // A unit named that does not contain the ward: Kiến Tường has no Phường 4.
        assert_eq!(
            area_in_text(&j, "Phường 4, thị xã Kiến Tường", in_2024()),
            None
        );
        // The parent chain named in full is fine.
        assert_eq!(
            area_in_text(&j, "Phường 4, Thành phố Tân An, Tỉnh Long An", in_2024()).as_deref(),
            Some("LA-TANAN-P4")
        );
    }

    #[test]
    fn a_higher_unit_when_nothing_deeper_is_named() {
        let j = jurisdiction();
        assert_eq!(
            area_in_text(&j, "Ở TP Tân An có nhiều ổ gà", in_2024()).as_deref(),
            Some("LA-TANAN")
        );
        assert_eq!(
            area_in_text(&j, "tỉnh Long An", in_2024()).as_deref(),
            Some("LA")
        );
        // The district tier is gone and has no successor; the province merged into Tây Ninh.
        assert_eq!(
            area_in_text(&j, "Ở TP Tân An có nhiều ổ gà", in_2026()),
            None
        );
        assert_eq!(
            area_in_text(&j, "tỉnh Long An", in_2026()).as_deref(),
            Some("TN")
        );
        assert_eq!(area_in_text(&j, "không có địa chỉ", in_2026()), None);
    }

    #[test]
    fn old_names_are_carried_to_the_unit_in_force_and_new_names_are_not_used_too_early() {
        let j = jurisdiction();
        assert_eq!(
            area_in_text(&j, "Phường Long An, tỉnh Tây Ninh", in_2026()).as_deref(),
            Some("TN-P-LONGAN")
        );
        // Before 1/7/2025 the ward did not exist: only the province in its name is read.
        assert_eq!(
            area_in_text(&j, "Phường Long An", in_2024()).as_deref(),
            Some("LA")
        );
        assert_eq!(
            area_in_text(&j, "Phường 7, TP Tân An, tỉnh Long An", in_2026()).as_deref(),
            Some("TN-P-TANAN")
        );
        // Both Phường 1 went to different new wards.
        assert_eq!(area_in_text(&j, "Phường 1", in_2026()), None);
        assert_eq!(
            area_in_text(&j, "Phường 1 TP Tân An", in_2026()).as_deref(),
            Some("TN-P-LONGAN")
        );
        // Phường 2 of Tân An (merged 1/12/2024, then into phường Long An).
        assert_eq!(
            area_in_text(&j, "Phường 2, TP. Tân An", in_2026()).as_deref(),
            Some("TN-P-LONGAN")
        );
        // "tỉnh Long An" keeps being written; it became Tây Ninh, which contains the answer.
        assert_eq!(
            area_in_text(&j, "Phường Tân An, tỉnh Long An", in_2026()).as_deref(),
            Some("TN-P-TANAN")
        );
        // Kiến Tường's wards were 1-3: "Phường 4" points at phường Long An instead.
        assert_eq!(area_in_text(&j, "Phường 4, Kiến Tường", in_2026()), None);
        assert_eq!(
            area_in_text(&j, "Phường 2, Kiến Tường", in_2026()).as_deref(),
            Some("TN-P-KIENTUONG")
        );
        // Only part of xã Bình Thạnh went into phường Long An: its name alone says nothing.
        assert_eq!(
            area_in_text(&j, "Xã Bình Thạnh", in_2024()).as_deref(),
            Some("LA-THUTHUA-BINHTHANH")
        );
        assert_eq!(area_in_text(&j, "Xã Bình Thạnh", in_2026()), None);
    }

    #[test]
    fn the_longest_name_found_wins() {
        let j = jurisdiction();
        // "xã Bến Lức" is the new xã, not also the former huyện "Bến Lức".
        assert_eq!(
            area_in_text(&j, "ấp 3 xã Bến Lức", in_2026()).as_deref(),
            Some("TN-X-BENLUC")
        );
        // "huyện Bến Lức" in 2026: the abolished district, split among new xã.
        assert_eq!(area_in_text(&j, "huyện Bến Lức", in_2026()), None);
        assert_eq!(
            area_in_text(&j, "huyện Bến Lức", in_2024()).as_deref(),
            Some("LA-BENLUC")
        );
        // Both spellings of the tone mark.
        assert_eq!(
            area_in_text(&j, "xã Đức Hoà", in_2026()).as_deref(),
            Some("TN-X-DUCHOA")
        );
    }

    #[test]
    fn text_beyond_the_cap_is_not_read() {
        let rules = rules(LIGHTS_AND_HOLES);
        let filler = "xin chào ".repeat(MAX_SCAN_CHARS / 9 + 1);
        let late = format!("{filler} đèn đường hư ở Phường 4");
        assert_eq!(category(&rules, &late, in_2024()), None);
        assert_eq!(area_in_text(&jurisdiction(), &late, in_2024()), None);
        let early = format!("Đèn đường hư ở Phường 4 {filler}");
        assert_eq!(
            category(&rules, &early, in_2024()).as_deref(),
            Some("chieu-sang.den-duong")
        );
        assert_eq!(
            area_in_text(&jurisdiction(), &early, in_2024()).as_deref(),
            Some("LA-TANAN-P4")
        );
    }

    #[test]
    fn outermost_drops_only_strictly_contained_spans() {
        let kept: Vec<(usize, usize, char)> = outermost(vec![
            (2, 3, 'c'),
            (0, 3, 'a'),
            (0, 3, 'b'),
            (1, 2, 'd'),
            (3, 5, 'e'),
            (4, 6, 'f'),
        ]);
        let values: Vec<char> = kept.iter().map(|k| k.2).collect();
        assert_eq!(values, vec!['a', 'b', 'e', 'f']);
    }
}
