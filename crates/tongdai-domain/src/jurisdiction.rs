//! The jurisdiction as data: administrative areas, agencies, the 1022 categories and the
//! routing rules, each dated. Loaded from `config/jurisdiction/*.toml` (the caller reads
//! the files) and checked as a whole, so a broken reference or a record that outlives the
//! record it points at is reported at load time with the file and code at fault, never
//! discovered when a citizen files a report.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::text::normalize;
use crate::ticket::coded_enum;
use crate::validity::{Validity, toml_date};
use std::fmt;
use std::str::FromStr;

coded_enum!(
    /// The tier of an administrative unit. The district tier ends on 1/7/2025 (two-tier
    /// local government), but old tickets still point at district-era units.
    AreaLevel, "area level" {
        Province => ("province", "Cấp tỉnh"),
        District => ("district", "Cấp huyện"),
        Commune => ("commune", "Cấp xã"),
    }
);

coded_enum!(
    AreaKind, "area kind" {
        Tinh => ("tinh", "Tỉnh"),
        ThanhPho => ("thanh_pho", "Thành phố"),
        ThiXa => ("thi_xa", "Thị xã"),
        Huyen => ("huyen", "Huyện"),
        Phuong => ("phuong", "Phường"),
        Xa => ("xa", "Xã"),
        ThiTran => ("thi_tran", "Thị trấn"),
    }
);

coded_enum!(
    AgencyKind, "agency kind" {
        Ioc => ("ioc", "Trung tâm IOC"),
        Department => ("department", "Sở, ngành"),
        DistrictCommittee => ("district_committee", "UBND cấp huyện"),
        CommuneCommittee => ("commune_committee", "UBND cấp xã"),
        Utility => ("utility", "Doanh nghiệp dịch vụ"),
        Police => ("police", "Công an"),
    }
);

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionInfo {
    pub code: String,
    pub name: String,
    pub open311_jurisdiction_id: String,
    /// The agency whose queue receives what no rule routes (the IOC triage queue).
    pub triage_agency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub level: AreaLevel,
    pub kind: AreaKind,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Optional outline as a closed ring of `[longitude, latitude]` points (WGS 84), for
    /// routing reports that come with coordinates.
    #[serde(default)]
    pub boundary: Option<Vec<[f64; 2]>>,
    #[serde(with = "toml_date")]
    pub valid_from: NaiveDate,
    #[serde(default, with = "toml_date::option")]
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default = "default_true")]
    pub confirmed: bool,
}

/// Old units merged into a new one. `partial` predecessors were split, so an address in
/// them cannot be mapped to the successor by name alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Succession {
    #[serde(with = "toml_date")]
    pub effective: NaiveDate,
    pub successor: String,
    pub predecessors: Vec<String>,
    #[serde(default)]
    pub partial: Vec<String>,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default = "default_true")]
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub kind: AgencyKind,
    #[serde(default)]
    pub area: Option<String>,
    #[serde(with = "toml_date")]
    pub valid_from: NaiveDate,
    #[serde(default, with = "toml_date::option")]
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default = "default_true")]
    pub confirmed: bool,
}

/// One allowed answer of a list-type attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// An extra question a category asks (Open311 service-definition attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryAttribute {
    pub code: String,
    pub datatype: String,
    #[serde(default)]
    pub required: bool,
    pub description: String,
    #[serde(default)]
    pub order: i32,
    #[serde(default)]
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, rename = "attribute")]
    pub attributes: Vec<CategoryAttribute>,
    #[serde(with = "toml_date")]
    pub valid_from: NaiveDate,
    #[serde(default, with = "toml_date::option")]
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default = "default_true")]
    pub confirmed: bool,
}

/// category × area → agency. `None` means "any category" / "anywhere".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub id: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub area: Option<String>,
    pub agency: String,
    #[serde(with = "toml_date")]
    pub valid_from: NaiveDate,
    #[serde(default, with = "toml_date::option")]
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default = "default_true")]
    pub confirmed: bool,
}

/// Records that are in force on some days and not others.
pub trait Dated {
    fn validity(&self) -> Validity;
    fn valid_on(&self, date: NaiveDate) -> bool {
        self.validity().contains(date)
    }
}

macro_rules! impl_dated {
    ($($t:ty),+) => {$(
        impl Dated for $t {
            fn validity(&self) -> Validity {
                Validity::new(self.valid_from, self.valid_to)
            }
        }
    )+};
}
impl_dated!(Area, Agency, Category, RoutingRule);

/// The text of each file of a jurisdiction folder.
#[derive(Debug, Clone, Copy)]
pub struct JurisdictionFiles<'a> {
    pub jurisdiction: &'a str,
    pub areas: &'a str,
    pub agencies: &'a str,
    pub categories: &'a str,
    pub routing: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreasFile {
    #[serde(default)]
    area: Vec<Area>,
    #[serde(default)]
    succession: Vec<Succession>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgenciesFile {
    #[serde(default)]
    agency: Vec<Agency>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    #[serde(default)]
    category: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile {
    #[serde(default)]
    rule: Vec<RoutingRule>,
}

/// A whole, checked jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Jurisdiction {
    pub info: JurisdictionInfo,
    pub areas: Vec<Area>,
    pub successions: Vec<Succession>,
    pub agencies: Vec<Agency>,
    pub categories: Vec<Category>,
    pub rules: Vec<RoutingRule>,
}

fn parse<T: serde::de::DeserializeOwned>(file: &'static str, text: &str) -> Result<T, DomainError> {
    toml::from_str(text).map_err(|e| DomainError::Jurisdiction {
        file,
        message: e.to_string(),
    })
}

fn problem(file: &'static str, message: String) -> DomainError {
    DomainError::Jurisdiction { file, message }
}

fn is_upper_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

fn is_category_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// Checks that codes are well-formed and unique and dates well-ordered.
fn check_records<T: Dated>(
    file: &'static str,
    what: &str,
    items: &[T],
    code_of: impl Fn(&T) -> &str,
    well_formed: fn(&str) -> bool,
) -> Result<(), DomainError> {
    let mut seen = HashSet::new();
    for item in items {
        let code = code_of(item);
        if !well_formed(code) {
            return Err(problem(
                file,
                format!("{what} code {code:?} has characters that are not allowed"),
            ));
        }
        if !seen.insert(code) {
            return Err(problem(file, format!("{what} code {code:?} is used twice")));
        }
        if !item.validity().is_well_formed() {
            return Err(problem(
                file,
                format!("{what} {code}: valid_to is before valid_from"),
            ));
        }
    }
    Ok(())
}

/// Checks that `referrer` points at an existing record that is in force whenever it is.
fn check_reference<T: Dated>(
    file: &'static str,
    referrer: &str,
    key: &str,
    target_code: &str,
    targets: &HashMap<&str, &T>,
    during: Validity,
) -> Result<(), DomainError> {
    let target = targets.get(target_code).ok_or_else(|| {
        problem(
            file,
            format!("{referrer}: {key} {target_code:?} does not exist"),
        )
    })?;
    if !target.validity().covers(&during) {
        return Err(problem(
            file,
            format!(
                "{referrer}: {key} {target_code:?} is not in force over the whole validity of {referrer}"
            ),
        ));
    }
    Ok(())
}

impl Jurisdiction {
    /// Parses and checks a whole jurisdiction. Names are stored in NFC.
    pub fn parse(files: JurisdictionFiles<'_>) -> Result<Self, DomainError> {
        let mut info: JurisdictionInfo = parse("jurisdiction.toml", files.jurisdiction)?;
        let AreasFile {
            area: mut areas,
            succession: successions,
        } = parse("areas.toml", files.areas)?;
        let AgenciesFile {
            agency: mut agencies,
        } = parse("agencies.toml", files.agencies)?;
        let CategoriesFile {
            category: mut categories,
        } = parse("categories.toml", files.categories)?;
        let rules = match files.routing {
            Some(text) => parse::<RoutingFile>("routing.toml", text)?.rule,
            None => Vec::new(),
        };

        info.name = normalize(&info.name);
        for a in &mut areas {
            a.name = normalize(&a.name);
            a.aliases = a.aliases.iter().map(|s| normalize(s)).collect();
        }
        for a in &mut agencies {
            a.name = normalize(&a.name);
        }
        for c in &mut categories {
            c.name = normalize(&c.name);
            c.description = c.description.as_deref().map(normalize);
        }

        let jurisdiction = Self {
            info,
            areas,
            successions,
            agencies,
            categories,
            rules,
        };
        jurisdiction.check()?;
        Ok(jurisdiction)
    }

    fn check(&self) -> Result<(), DomainError> {
        check_records(
            "areas.toml",
            "area",
            &self.areas,
            |a| &a.code,
            is_upper_code,
        )?;
        check_records(
            "agencies.toml",
            "agency",
            &self.agencies,
            |a| &a.code,
            is_upper_code,
        )?;
        check_records(
            "categories.toml",
            "category",
            &self.categories,
            |c| &c.code,
            is_category_code,
        )?;
        check_records(
            "routing.toml",
            "rule",
            &self.rules,
            |r| &r.id,
            is_upper_code,
        )?;

        let areas: HashMap<&str, &Area> = self.areas.iter().map(|a| (a.code.as_str(), a)).collect();
        let agencies: HashMap<&str, &Agency> =
            self.agencies.iter().map(|a| (a.code.as_str(), a)).collect();
        let categories: HashMap<&str, &Category> = self
            .categories
            .iter()
            .map(|c| (c.code.as_str(), c))
            .collect();

        for area in &self.areas {
            if let Some(parent) = &area.parent {
                check_reference(
                    "areas.toml",
                    &area.code,
                    "parent",
                    parent,
                    &areas,
                    area.validity(),
                )?;
            } else if area.level != AreaLevel::Province {
                return Err(problem(
                    "areas.toml",
                    format!("{}: only a province may have no parent", area.code),
                ));
            }
        }
        for s in &self.successions {
            let successor = areas.get(s.successor.as_str()).ok_or_else(|| {
                problem(
                    "areas.toml",
                    format!("succession: successor {:?} does not exist", s.successor),
                )
            })?;
            if !successor.valid_on(s.effective) {
                return Err(problem(
                    "areas.toml",
                    format!(
                        "succession to {}: the successor is not in force on {}",
                        s.successor, s.effective
                    ),
                ));
            }
            let day_before = s.effective.pred_opt().unwrap_or(s.effective);
            for old in s.predecessors.iter().chain(&s.partial) {
                let pred = areas.get(old.as_str()).ok_or_else(|| {
                    problem(
                        "areas.toml",
                        format!(
                            "succession to {}: predecessor {old:?} does not exist",
                            s.successor
                        ),
                    )
                })?;
                if !pred.valid_on(day_before) {
                    return Err(problem(
                        "areas.toml",
                        format!(
                            "succession to {}: predecessor {old} is not in force on {day_before}",
                            s.successor
                        ),
                    ));
                }
            }
        }
        for agency in &self.agencies {
            if let Some(area) = &agency.area {
                check_reference(
                    "agencies.toml",
                    &agency.code,
                    "area",
                    area,
                    &areas,
                    agency.validity(),
                )?;
            }
        }
        for category in &self.categories {
            if let Some(parent) = &category.parent {
                check_reference(
                    "categories.toml",
                    &category.code,
                    "parent",
                    parent,
                    &categories,
                    category.validity(),
                )?;
            }
        }
        for rule in &self.rules {
            check_reference(
                "routing.toml",
                &rule.id,
                "agency",
                &rule.agency,
                &agencies,
                rule.validity(),
            )?;
            if let Some(area) = &rule.area {
                check_reference(
                    "routing.toml",
                    &rule.id,
                    "area",
                    area,
                    &areas,
                    rule.validity(),
                )?;
            }
            if let Some(category) = &rule.category {
                check_reference(
                    "routing.toml",
                    &rule.id,
                    "category",
                    category,
                    &categories,
                    rule.validity(),
                )?;
            }
        }
        let triage = agencies
            .get(self.info.triage_agency.as_str())
            .ok_or_else(|| {
                problem(
                    "jurisdiction.toml",
                    format!(
                        "triage_agency {:?} is not an agency in agencies.toml",
                        self.info.triage_agency
                    ),
                )
            })?;
        if triage.valid_to.is_some() {
            return Err(problem(
                "jurisdiction.toml",
                format!(
                    "triage_agency {} must stay in force (it has a valid_to)",
                    triage.code
                ),
            ));
        }
        Ok(())
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code == code)
    }

    /// "Phường 4, Thành phố Tân An, Tỉnh Long An": the name with its parents, as people
    /// write an address.
    pub fn full_area_name(&self, code: &str) -> Option<String> {
        let mut parts = Vec::new();
        let mut current = self.area(code);
        while let Some(area) = current {
            parts.push(area.name.as_str());
            current = area.parent.as_deref().and_then(|p| self.area(p));
            if parts.len() > 8 {
                break;
            }
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JURISDICTION: &str = r#"
code = "TEST"
name = "Thử nghiệm"
open311_jurisdiction_id = "test.example"
triage_agency = "IOC"
"#;
    const AREAS: &str = r#"
[[area]]
code = "LA"
name = "Tỉnh Long An"
level = "province"
kind = "tinh"
valid_from = 1900-01-01
valid_to = 2025-06-30

[[area]]
code = "LA-TANAN"
name = "Thành phố Tân An"
level = "district"
kind = "thanh_pho"
parent = "LA"
valid_from = 1900-01-01
valid_to = 2025-06-30

[[area]]
code = "LA-TANAN-P4"
name = "Phường 4"
level = "commune"
kind = "phuong"
parent = "LA-TANAN"
valid_from = 1900-01-01
valid_to = 2025-06-30

[[area]]
code = "TN"
name = "Tỉnh Tây Ninh"
level = "province"
kind = "tinh"
valid_from = 2025-07-01

[[area]]
code = "TN-P-LONGAN"
name = "Phường Long An"
level = "commune"
kind = "phuong"
parent = "TN"
valid_from = 2025-07-01

[[succession]]
effective = 2025-07-01
successor = "TN-P-LONGAN"
predecessors = ["LA-TANAN-P4"]
"#;
    const AGENCIES: &str = r#"
[[agency]]
code = "IOC"
name = "Trung tâm IOC"
kind = "ioc"
valid_from = 2022-01-01

[[agency]]
code = "UBND-LA-TANAN-P4"
name = "UBND Phường 4"
kind = "commune_committee"
area = "LA-TANAN-P4"
valid_from = 2022-01-01
valid_to = 2025-06-30
"#;
    const CATEGORIES: &str = r#"
[[category]]
code = "chieu-sang"
name = "Chiếu sáng"
valid_from = 2022-06-01

[[category]]
code = "chieu-sang.den-duong"
name = "Đèn đường hư"
parent = "chieu-sang"
valid_from = 2022-06-01

[[category.attribute]]
code = "ma-cot"
datatype = "string"
description = "Mã số cột đèn"
"#;

    fn files<'a>(areas: &'a str, agencies: &'a str) -> JurisdictionFiles<'a> {
        JurisdictionFiles {
            jurisdiction: JURISDICTION,
            areas,
            agencies,
            categories: CATEGORIES,
            routing: None,
        }
    }

    #[test]
    fn a_consistent_jurisdiction_loads_with_full_names() {
        let j = Jurisdiction::parse(files(AREAS, AGENCIES));
        let j = match j {
            Ok(j) => j,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(j.areas.len(), 5);
        assert_eq!(j.categories[1].attributes.len(), 1);
        assert_eq!(
            j.full_area_name("LA-TANAN-P4").as_deref(),
            Some("Phường 4, Thành phố Tân An, Tỉnh Long An")
        );
    }

    #[test]
    fn an_agency_outliving_its_area_is_rejected_with_its_code() {
        let agencies = AGENCIES.replace("valid_to = 2025-06-30", "");
        let err = Jurisdiction::parse(files(AREAS, &agencies))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("agencies.toml"), "{err}");
        assert!(err.contains("UBND-LA-TANAN-P4"), "{err}");
    }

    #[test]
    fn unknown_keys_and_duplicate_codes_are_rejected() {
        let typo = AGENCIES.replace("kind = \"ioc\"", "kind = \"ioc\"\nemial = \"x\"");
        let err = Jurisdiction::parse(files(AREAS, &typo))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("emial"), "{err}");

        let twice = format!(
            "{AREAS}\n[[area]]\ncode = \"TN\"\nname = \"X\"\nlevel = \"province\"\nkind = \"tinh\"\nvalid_from = 2025-07-01\n"
        );
        let err = Jurisdiction::parse(files(&twice, AGENCIES))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("\"TN\" is used twice"), "{err}");
    }

    #[test]
    fn a_succession_must_join_records_in_force_on_either_side() {
        let bad = AREAS.replace("effective = 2025-07-01", "effective = 2025-08-01");
        let err = Jurisdiction::parse(files(&bad, AGENCIES))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("predecessor LA-TANAN-P4 is not in force"),
            "{err}"
        );
    }

    #[test]
    fn triage_agency_must_exist() {
        let j = JURISDICTION.replace("triage_agency = \"IOC\"", "triage_agency = \"NOPE\"");
        let f = JurisdictionFiles {
            jurisdiction: &j,
            ..files(AREAS, AGENCIES)
        };
        let err = Jurisdiction::parse(f)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("NOPE"), "{err}");
    }
}
