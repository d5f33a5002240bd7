//! A tiny read-only XML tree, enough for SOAP envelopes.
//!
//! Element names are kept as *local* names (namespace prefixes dropped) because
//! deployed CSDLQG gateways differ in the prefixes they emit (`soap:`, `S:`,
//! `ns2:` …) while the local names are stable. Errors never quote document
//! content: they may be rendered in logs, and the document carries personal data.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// Why a document could not be read as XML. Holds no document content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomError {
    /// The bytes are not well-formed XML.
    #[error("XML syntax error near byte {position}")]
    Syntax {
        /// Byte offset where the reader gave up.
        position: u64,
    },
    /// The document has no root element.
    #[error("XML document has no root element")]
    Empty,
}

/// One element: its local name, concatenated text and child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name, without namespace prefix.
    pub name: String,
    /// Text directly inside this element (entities resolved, not trimmed).
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// First child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of the first child with this name, `None` when absent or blank.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    }

    /// Depth-first search (including `self`) for the first element with this name.
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

fn local_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

/// Parses a whole document into its root element.
pub fn parse(xml: &str) -> Result<Element, DomError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let syntax = |r: &Reader<&[u8]>| DomError::Syntax {
            position: r.error_position(),
        };
        let event = reader.read_event().map_err(|_| syntax(&reader))?;
        match event {
            Event::Start(start) => stack.push(Element {
                name: local_name(&start),
                ..Element::default()
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: local_name(&start),
                    ..Element::default()
                };
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| syntax(&reader))?;
                attach(&mut stack, &mut root, element);
            }
            Event::Text(text) => {
                let decoded = text.xml_content().map_err(|_| syntax(&reader))?;
                push_text(&mut stack, &decoded);
            }
            Event::CData(data) => {
                let decoded = data.decode().map_err(|_| syntax(&reader))?;
                push_text(&mut stack, &decoded);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => {
                        let name = reference.decode().map_err(|_| syntax(&reader))?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| syntax(&reader))?
                            .to_owned()
                    }
                    Err(_) => return Err(syntax(&reader)),
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(DomError::Syntax {
            position: reader.buffer_position(),
        });
    }
    root.ok_or(DomError::Empty)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        // A second root is not well-formed; keep the first one.
        None => {
            if root.is_none() {
                *root = Some(element);
            }
        }
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_prefixes_and_resolves_entities() {
        let root = parse(
            r#"<?xml version="1.0"?><s:Envelope xmlns:s="x"><s:Body><a>Tom &amp; Jerry &#272;</a><b/></s:Body></s:Envelope>"#,
        )
        .unwrap();
        assert_eq!(root.name, "Envelope");
        let body = root.child("Body").unwrap();
        assert_eq!(body.child_text("a").as_deref(), Some("Tom & Jerry Đ"));
        assert!(body.child("b").is_some());
        assert_eq!(body.child_text("b"), None);
        assert_eq!(root.find("b").map(|e| e.name.as_str()), Some("b"));
    }

    #[test]
    fn rejects_malformed_documents() {
        assert!(matches!(parse("<a><b></a>"), Err(DomError::Syntax { .. })));
        assert!(matches!(parse("<a>"), Err(DomError::Syntax { .. })));
        assert_eq!(parse("   "), Err(DomError::Empty));
        assert!(parse("not xml at all").is_err());
    }

    #[test]
    fn error_display_has_no_content() {
        let err = parse("<a>012345678901</b>").unwrap_err();
        assert!(!err.to_string().contains("012345678901"));
    }
}
