//! One response model, two wire formats. GeoReport v2 documents are small trees whose
//! field order is part of what clients (and people reading them) expect; this module keeps
//! the order and renders the same tree as JSON or as XML with the spec's element names.

use std::fmt::Write as _;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A node of a response.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// Fields in order.
    Object(Vec<(&'static str, Node)>),
    /// A list; in XML each item is an element named `item` inside the list's element.
    List {
        item: &'static str,
        items: Vec<Node>,
    },
}

impl Node {
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Node {
        s.map_or(Node::Null, |s| Node::Text(s.into()))
    }

    pub fn opt_float(f: Option<f64>) -> Node {
        f.map_or(Node::Null, Node::Float)
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_none(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Int(i) => s.serialize_i64(*i),
            Node::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Node::Float(_) => s.serialize_none(),
            Node::Text(t) => s.serialize_str(t),
            Node::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::List { items, .. } => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// The JSON text of a document.
pub fn to_json(root: &Node) -> String {
    // A tree of strings, numbers and booleans always serialises.
    serde_json::to_string(root).unwrap_or_else(|_| "[]".to_owned())
}

/// The XML text of a document whose root element is `root` (for a list root, the items
/// are named by the list).
pub fn to_xml(root_name: &str, root: &Node) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    element(&mut out, root_name, root);
    out.push('\n');
    out
}

fn element(out: &mut String, name: &str, node: &Node) {
    match node {
        Node::Null => {
            let _ = write!(out, "<{name}/>");
        }
        Node::Object(fields) => {
            let _ = write!(out, "<{name}>");
            for (k, v) in fields {
                element(out, k, v);
            }
            let _ = write!(out, "</{name}>");
        }
        Node::List { item, items } => {
            if items.is_empty() {
                let _ = write!(out, "<{name}/>");
                return;
            }
            let _ = write!(out, "<{name}>");
            for i in items {
                element(out, item, i);
            }
            let _ = write!(out, "</{name}>");
        }
        scalar => {
            let text = scalar_text(scalar);
            let _ = write!(out, "<{name}>{}</{name}>", escape_text(&text));
        }
    }
}

fn scalar_text(node: &Node) -> String {
    match node {
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) if f.is_finite() => f.to_string(),
        Node::Text(t) => t.clone(),
        _ => String::new(),
    }
}

/// Escapes markup and drops the characters XML 1.0 cannot carry at all.
fn escape_text(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(&c)
                || ('\u{E000}'..='\u{FFFD}').contains(&c)
                || c >= '\u{10000}'
        })
        .collect();
    quick_xml::escape::escape(allowed.as_str()).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Node {
        Node::List {
            item: "service",
            items: vec![Node::Object(vec![
                ("service_code", Node::text("giao-thong")),
                ("metadata", Node::Bool(false)),
                ("description", Node::Null),
                ("lat", Node::Float(10.5)),
                ("name", Node::text("<Đèn & \"cột\">\u{1}")),
            ])],
        }
    }

    #[test]
    fn json_keeps_field_order_and_nulls() {
        assert_eq!(
            to_json(&sample()),
            r#"[{"service_code":"giao-thong","metadata":false,"description":null,"lat":10.5,"name":"<Đèn & \"cột\">\u0001"}]"#
        );
    }

    #[test]
    fn xml_has_declaration_escapes_and_drops_invalid_chars() {
        let xml = to_xml("services", &sample());
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service><service_code>giao-thong</service_code><metadata>false</metadata><description/><lat>10.5</lat><name>&lt;Đèn &amp; &quot;cột&quot;&gt;</name></service></services>\n"
        );
    }

    #[test]
    fn empty_lists_are_empty_elements() {
        let xml = to_xml(
            "service_requests",
            &Node::List {
                item: "request",
                items: vec![],
            },
        );
        assert!(xml.ends_with("<service_requests/>\n"));
    }
}
