//! The response format is the path suffix: `services.xml`, `requests/1022-K7Q9-3MPX.json`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

use crate::tree::{Node, to_json, to_xml};

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
pub const XML_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn parse(suffix: &str) -> Option<Format> {
        match suffix.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            _ => None,
        }
    }

    /// The format an error about `path` is written in: JSON when the client asked for
    /// `.json`, otherwise XML (the spec's required format).
    pub fn for_path(path: &str) -> Format {
        let last = path.rsplit('/').next().unwrap_or_default();
        match last.rsplit_once('.') {
            Some((_, suffix)) => Format::parse(suffix).unwrap_or(Format::Xml),
            None => Format::Xml,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_CONTENT_TYPE,
            Format::Xml => XML_CONTENT_TYPE,
        }
    }

    /// Renders `tree` (`root` is the XML root element) with `status`.
    pub fn respond(self, status: StatusCode, root: &str, tree: &Node) -> HttpResponse {
        let body = match self {
            Format::Json => to_json(tree),
            Format::Xml => to_xml(root, tree),
        };
        HttpResponse::build(status)
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type()),
            ))
            .body(body)
    }
}

/// Splits `name.format` at its last dot: `giao-thong.o-ga.json` → (`giao-thong.o-ga`, Json).
pub fn split_format(segment: &str) -> Option<(&str, Format)> {
    let (name, suffix) = segment.rsplit_once('.')?;
    if name.is_empty() {
        return None;
    }
    Some((name, Format::parse(suffix)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_dot_separates_the_format() {
        assert_eq!(
            split_format("giao-thong.o-ga.json"),
            Some(("giao-thong.o-ga", Format::Json))
        );
        assert_eq!(
            split_format("1022-K7Q9-3MPX.XML"),
            Some(("1022-K7Q9-3MPX", Format::Xml))
        );
        assert_eq!(split_format("giao-thong"), None);
        assert_eq!(split_format("x.csv"), None);
        assert_eq!(split_format(".json"), None);
    }

    #[test]
    fn errors_default_to_xml() {
        assert_eq!(Format::for_path("/open311/v2/nope.json"), Format::Json);
        assert_eq!(Format::for_path("/open311/v2/nope"), Format::Xml);
        assert_eq!(Format::for_path("/open311/v2/nope.csv"), Format::Xml);
    }
}
