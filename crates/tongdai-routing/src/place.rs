//! Resolving a reported place (area code, free-text address, coordinates) to an area in
//! force on the filing date.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::text::fold;
use tongdai_domain::{AreaLevel, Jurisdiction, Validity};

use crate::RoutingError;
use crate::decision::{PlaceMethod, TriageReason};
use crate::geo::Ring;

/// Kind words (folded) that may start a name; stripped to get the bare name ("tp tan an" →
/// "tan an") used to confirm a parent named in an address.
const KIND_WORDS: &[&[&str]] = &[
    &["thanh", "pho"],
    &["thi", "xa"],
    &["thi", "tran"],
    &["huyen"],
    &["phuong"],
    &["xa"],
    &["tinh"],
    &["tp"],
    &["tx"],
    &["tt"],
    &["h"],
    &["p"],
    &["x"],
];

/// How specific an area is: province 1, district 2, commune 3 (0 is "anywhere").
pub(crate) fn level_rank(level: AreaLevel) -> u8 {
    match level {
        AreaLevel::Province => 1,
        AreaLevel::District => 2,
        AreaLevel::Commune => 3,
    }
}

type Tokens = Vec<String>;

fn tokens(text: &str) -> Tokens {
    fold(text)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains_words(haystack: &[&str], needle: &[String]) -> bool {
    !needle.is_empty()
        && haystack.len() >= needle.len()
        && haystack
            .windows(needle.len())
            .any(|w| w.iter().zip(needle).all(|(a, b)| *a == b.as_str()))
}

fn push_unique(keys: &mut Vec<Tokens>, key: Tokens) {
    if !key.is_empty() && !keys.contains(&key) {
        keys.push(key);
    }
}

pub(crate) fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[derive(Debug, Clone)]
struct SuccessionLink {
    effective: NaiveDate,
    successor: usize,
    partial: bool,
}

/// An area as it stands on a given date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AreaOnDate {
    InForce(usize),
    /// Ended, mapped through whole successions to `to`.
    Successor {
        to: usize,
    },
    /// Ended without a whole successor, or not in force yet: why, in Vietnamese.
    NotInForce(String),
}

/// A place resolved to an area in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) area: usize,
    pub(crate) method: PlaceMethod,
    pub(crate) input: String,
    pub(crate) matched: String,
    pub(crate) successor_of: Option<usize>,
    pub(crate) notes: Vec<String>,
}

/// A place that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    pub(crate) reason: TriageReason,
    pub(crate) input: Option<String>,
    /// Vietnamese detail for the explanation.
    pub(crate) detail: String,
}

#[derive(Debug, Clone)]
struct Shape {
    area: usize,
    ring: Ring,
}

/// Everything about areas that routing looks up, indexed once.
#[derive(Debug, Clone)]
pub(crate) struct AreaIndex {
    pub(crate) codes: HashMap<String, usize>,
    pub(crate) parent: Vec<Option<usize>>,
    pub(crate) rank: Vec<u8>,
    pub(crate) full_names: Vec<String>,
    area_codes: Vec<String>,
    validity: Vec<Validity>,
    /// Per area: folded names, aliases and full name, longest first.
    name_keys: Vec<Vec<Tokens>>,
    /// Per area: keys that confirm it as the parent of a candidate (names, aliases and
    /// bare names without the kind word, when those are not just a number).
    confirm_keys: Vec<Vec<Tokens>>,
    successions: HashMap<usize, Vec<SuccessionLink>>,
    shapes: Vec<Shape>,
}

impl AreaIndex {
    pub(crate) fn new(j: &Jurisdiction) -> Result<Self, RoutingError> {
        let codes: HashMap<String, usize> = j
            .areas
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.clone(), i))
            .collect();
        let lookup = |code: &str, what: &str| {
            codes.get(code).copied().ok_or_else(|| {
                RoutingError::InvalidJurisdiction(format!("{what} area {code:?} does not exist"))
            })
        };
        let mut parent = Vec::with_capacity(j.areas.len());
        let mut rank = Vec::with_capacity(j.areas.len());
        for a in &j.areas {
            let p = a
                .parent
                .as_deref()
                .map(|p| lookup(p, &format!("parent of {}:", a.code)))
                .transpose()?;
            if let Some(p) = p {
                let (child, up) = (level_rank(a.level), level_rank(j.areas[p].level));
                if up >= child {
                    return Err(RoutingError::InvalidJurisdiction(format!(
                        "area {} ({}) has parent {} at the same or a deeper level ({}); \
                         precedence by level needs parents to be shallower",
                        a.code, a.level, j.areas[p].code, j.areas[p].level
                    )));
                }
            }
            parent.push(p);
            rank.push(level_rank(a.level));
        }

        let mut full_names = Vec::with_capacity(j.areas.len());
        for i in 0..j.areas.len() {
            let mut parts = Vec::new();
            let mut cur = Some(i);
            // Levels strictly decrease along the chain, so it has at most 3 links.
            while let Some(c) = cur {
                parts.push(j.areas[c].name.as_str());
                cur = parent[c];
            }
            full_names.push(parts.join(", "));
        }

        let mut name_keys = Vec::with_capacity(j.areas.len());
        let mut confirm_keys = Vec::with_capacity(j.areas.len());
        for (i, a) in j.areas.iter().enumerate() {
            let mut names = Vec::new();
            push_unique(&mut names, tokens(&full_names[i]));
            push_unique(&mut names, tokens(&a.name));
            for alias in &a.aliases {
                push_unique(&mut names, tokens(alias));
            }
            names.sort_by_key(|k| std::cmp::Reverse(k.len()));

            let mut confirm = Vec::new();
            for key in std::iter::once(&a.name)
                .chain(&a.aliases)
                .map(|n| tokens(n))
            {
                if let Some(bare) = bare_name(&key) {
                    push_unique(&mut confirm, bare);
                }
                push_unique(&mut confirm, key);
            }
            name_keys.push(names);
            confirm_keys.push(confirm);
        }

        let mut successions: HashMap<usize, Vec<SuccessionLink>> = HashMap::new();
        for s in &j.successions {
            let successor = lookup(&s.successor, "successor")?;
            for (list, partial) in [(&s.predecessors, false), (&s.partial, true)] {
                for old in list {
                    let old = lookup(old, "predecessor")?;
                    successions.entry(old).or_default().push(SuccessionLink {
                        effective: s.effective,
                        successor,
                        partial,
                    });
                }
            }
        }
        for links in successions.values_mut() {
            links.sort_by_key(|l| (l.effective, l.partial));
        }

        let mut shapes = Vec::new();
        for (i, a) in j.areas.iter().enumerate() {
            if let Some(boundary) = &a.boundary {
                let ring = Ring::new(boundary).ok_or_else(|| {
                    RoutingError::InvalidJurisdiction(format!(
                        "area {}: boundary needs at least three distinct finite [lon, lat] points",
                        a.code
                    ))
                })?;
                shapes.push(Shape { area: i, ring });
            }
        }

        Ok(Self {
            codes,
            parent,
            rank,
            full_names,
            area_codes: j.areas.iter().map(|a| a.code.clone()).collect(),
            validity: j.areas.iter().map(Dated::validity).collect(),
            name_keys,
            confirm_keys,
            successions,
            shapes,
        })
    }

    fn describe(&self, i: usize) -> String {
        format!("{} ({})", self.area_codes[i], self.full_names[i])
    }

    /// The area `i` as it stands on `date`, following whole successions of ended units.
    pub(crate) fn on_date(&self, i: usize, date: NaiveDate) -> AreaOnDate {
        let mut cur = i;
        // Each step moves to a successor that starts after its predecessor ended, so the
        // chain is finite; the bound only guards against malformed hand-built data.
        for _ in 0..32 {
            let v = self.validity[cur];
            if v.contains(date) {
                return if cur == i {
                    AreaOnDate::InForce(cur)
                } else {
                    AreaOnDate::Successor { to: cur }
                };
            }
            if date < v.valid_from {
                return AreaOnDate::NotInForce(format!(
                    "địa bàn {} chỉ có hiệu lực từ {}",
                    self.describe(cur),
                    vn_date(v.valid_from)
                ));
            }
            let links: Vec<&SuccessionLink> = self
                .successions
                .get(&cur)
                .map(|l| l.iter().filter(|l| l.effective <= date).collect())
                .unwrap_or_default();
            if let Some(whole) = links.iter().find(|l| !l.partial) {
                cur = whole.successor;
                continue;
            }
            let ended = v
                .valid_to
                .and_then(|d| d.succ_opt())
                .map_or_else(String::new, |d| format!(" từ {}", vn_date(d)));
            return match links.first() {
                Some(split) => AreaOnDate::NotInForce(format!(
                    "địa bàn {} hết hiệu lực{ended} và đã bị chia tách (chỉ một phần nhập vào {}), \
                     không thể xác định đơn vị mới theo tên",
                    self.describe(cur),
                    self.full_names[split.successor]
                )),
                None => AreaOnDate::NotInForce(format!(
                    "địa bàn {} hết hiệu lực{ended} và không có đơn vị kế thừa",
                    self.describe(cur)
                )),
            };
        }
        AreaOnDate::NotInForce(format!(
            "chuỗi kế thừa của địa bàn {} quá dài",
            self.describe(i)
        ))
    }

    pub(crate) fn by_code(&self, code: &str, date: NaiveDate) -> Result<Resolved, Unresolved> {
        let input = code.trim();
        let Some(&i) = self.codes.get(input) else {
            return Err(Unresolved {
                reason: TriageReason::UnknownArea,
                input: Some(input.to_owned()),
                detail: format!("mã địa bàn {input:?} không có trong danh mục"),
            });
        };
        match self.on_date(i, date) {
            AreaOnDate::InForce(a) => Ok(Resolved {
                area: a,
                method: PlaceMethod::AreaCode,
                input: input.to_owned(),
                matched: input.to_owned(),
                successor_of: None,
                notes: Vec::new(),
            }),
            AreaOnDate::Successor { to } => Ok(Resolved {
                area: to,
                method: PlaceMethod::Successor,
                input: input.to_owned(),
                matched: input.to_owned(),
                successor_of: Some(i),
                notes: Vec::new(),
            }),
            AreaOnDate::NotInForce(why) => Err(Unresolved {
                reason: TriageReason::AreaNotInForce,
                input: Some(input.to_owned()),
                detail: why,
            }),
        }
    }

    /// The deepest area named in `address`; see the crate documentation for the rules.
    pub(crate) fn by_address(
        &self,
        address: &str,
        date: NaiveDate,
    ) -> Result<Resolved, Unresolved> {
        let folded = fold(address);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        // resolved area → (areas named in the address that lead to it, matched key)
        let mut found: BTreeMap<usize, (Vec<usize>, String)> = BTreeMap::new();
        let mut stale: Vec<(u8, String)> = Vec::new();
        for (i, keys) in self.name_keys.iter().enumerate() {
            let Some(key) = keys.iter().find(|k| contains_words(&words, k)) else {
                continue;
            };
            let resolved = match self.on_date(i, date) {
                AreaOnDate::InForce(a) => a,
                AreaOnDate::Successor { to } => to,
                AreaOnDate::NotInForce(why) => {
                    stale.push((self.rank[i], why));
                    continue;
                }
            };
            let entry = found
                .entry(resolved)
                .or_insert_with(|| (Vec::new(), key.join(" ")));
            // A direct match (the area itself, in force) is the one to report.
            if i == resolved {
                entry.0.insert(0, i);
                entry.1 = key.join(" ");
            } else {
                entry.0.push(i);
            }
        }
        let input = Some(address.to_owned());
        if found.is_empty() {
            stale.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
            return Err(match stale.into_iter().next() {
                Some((_, why)) => Unresolved {
                    reason: TriageReason::AreaNotInForce,
                    input,
                    detail: why,
                },
                None => Unresolved {
                    reason: TriageReason::UnknownArea,
                    input,
                    detail: "địa chỉ không chứa tên địa bàn nào trong danh mục".to_owned(),
                },
            });
        }
        let deepest = found.keys().map(|a| self.rank[*a]).max().unwrap_or(0);
        let top: Vec<usize> = found
            .keys()
            .copied()
            .filter(|a| self.rank[*a] == deepest)
            .collect();
        let chosen: Vec<usize> = if top.len() == 1 {
            top.clone()
        } else {
            top.iter()
                .copied()
                .filter(|a| {
                    found.get(a).is_some_and(|(named, _)| {
                        std::iter::once(*a)
                            .chain(named.iter().copied())
                            .any(|n| self.parent_named(n, &words))
                    })
                })
                .collect()
        };
        match chosen.as_slice() {
            [a] => {
                let (named, matched) = found.get(a).cloned().unwrap_or_default();
                let from = named.first().copied().unwrap_or(*a);
                let mut notes = Vec::new();
                if top.len() > 1 {
                    notes.push(format!(
                        "địa chỉ khớp nhiều địa bàn ({}); chọn {} vì có tên đơn vị cấp trên",
                        self.list(&top),
                        self.full_names[*a]
                    ));
                }
                Ok(Resolved {
                    area: *a,
                    method: PlaceMethod::Address,
                    input: address.to_owned(),
                    matched,
                    successor_of: (from != *a).then_some(from),
                    notes,
                })
            }
            _ => Err(Unresolved {
                reason: TriageReason::AmbiguousAddress,
                input,
                detail: format!(
                    "địa chỉ khớp với nhiều địa bàn cùng cấp: {}",
                    self.list(&top)
                ),
            }),
        }
    }

    fn list(&self, areas: &[usize]) -> String {
        areas
            .iter()
            .map(|a| format!("«{}»", self.full_names[*a]))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// True when a name of one of `area`'s ancestors appears in the address.
    fn parent_named(&self, area: usize, words: &[&str]) -> bool {
        let mut cur = self.parent[area];
        while let Some(p) = cur {
            if self.confirm_keys[p]
                .iter()
                .any(|k| contains_words(words, k))
            {
                return true;
            }
            cur = self.parent[p];
        }
        false
    }

    pub(crate) fn by_point(
        &self,
        lat: f64,
        lon: f64,
        date: NaiveDate,
    ) -> Result<Resolved, Unresolved> {
        let input = format!("{lat},{lon}");
        if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
            return Err(Unresolved {
                reason: TriageReason::OutsideBoundaries,
                input: Some(input),
                detail: "tọa độ không hợp lệ".to_owned(),
            });
        }
        let best = self
            .shapes
            .iter()
            .filter(|s| self.validity[s.area].contains(date) && s.ring.contains(lon, lat))
            .min_by(|a, b| {
                self.rank[b.area]
                    .cmp(&self.rank[a.area])
                    .then(a.ring.size.total_cmp(&b.ring.size))
                    .then(self.area_codes[a.area].cmp(&self.area_codes[b.area]))
            });
        match best {
            Some(s) => Ok(Resolved {
                area: s.area,
                method: PlaceMethod::Coordinates,
                input,
                matched: self.area_codes[s.area].clone(),
                successor_of: None,
                notes: Vec::new(),
            }),
            None => Err(Unresolved {
                reason: TriageReason::OutsideBoundaries,
                input: Some(input),
                detail: format!(
                    "tọa độ không nằm trong ranh giới của địa bàn nào có hiệu lực ngày {}",
                    vn_date(date)
                ),
            }),
        }
    }
}

/// "tp tan an" → "tan an"; `None` when there is no kind word or only a number is left.
fn bare_name(key: &[String]) -> Option<Tokens> {
    KIND_WORDS.iter().find_map(|kind| {
        let rest = key.strip_prefix(
            kind.iter()
                .map(|w| (*w).to_owned())
                .collect::<Vec<_>>()
                .as_slice(),
        )?;
        let numeric = rest.iter().all(|w| w.chars().all(|c| c.is_ascii_digit()));
        (!rest.is_empty() && !numeric).then(|| rest.to_vec())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Tokens {
        tokens(s)
    }

    #[test]
    fn whole_words_only() {
        let words = ["phuong", "14", "tan", "an"];
        assert!(contains_words(&words, &t("tan an")));
        assert!(!contains_words(&words, &t("phuong 1")));
        assert!(!contains_words(&words, &t("an tan")));
        assert!(!contains_words(&words, &[]));
    }

    #[test]
    fn bare_names_drop_the_kind_word_but_keep_numbers_out() {
        assert_eq!(bare_name(&t("TP. Tân An")), Some(t("tan an")));
        assert_eq!(bare_name(&t("Huyện Thủ Thừa")), Some(t("thu thua")));
        assert_eq!(bare_name(&t("Thị xã Kiến Tường")), Some(t("kien tuong")));
        assert_eq!(bare_name(&t("Phường 4")), None);
        assert_eq!(bare_name(&t("Tân An")), None);
    }
}
