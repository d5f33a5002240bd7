//! The SOAP 1.1 wire format of `TraCuuThongTinCongDan` (no I/O).
//!
//! `request` builds the envelope the client sends and parses it back (the
//! simulator's side); `response` writes and reads `CongdanCollection` answers
//! and SOAP faults, with `parts` for the nested names, addresses and
//! relatives of a `CongDan`; `json` is the province-gateway JSON form of the same
//! operation. Both sides share this module so the client and the
//! simulator cannot drift apart. Nothing here logs, and errors name elements,
//! never values.

pub mod dom;
pub mod json;
pub mod json_citizen;
mod parts;
pub mod request;
pub mod response;

/// XML namespace of the CSDLQG services.
pub const NAMESPACE: &str = "http://dancuquocgia.bca";
/// SOAP 1.1 envelope namespace.
pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Operation name, also the element wrapping the request fields.
pub const OPERATION: &str = "TraCuuThongTinCongDan";

/// Why a SOAP document could not be understood. Holds no document content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Not well-formed XML.
    #[error(transparent)]
    Xml(#[from] dom::DomError),
    /// A required element is absent or empty.
    #[error("required element {0} is missing")]
    Missing(&'static str),
    /// An element is present but its value has the wrong shape.
    #[error("element {0} has an invalid value")]
    Invalid(&'static str),
    /// Not a JSON document of the expected shape (serde's message is dropped:
    /// it can quote values).
    #[error("not a JSON document of the expected shape")]
    Json,
}

/// Escapes text for an XML element body.
fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// Appends `<name>text</name>` (escaped).
fn push_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&esc(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `<name>text</name>` when `text` is present.
fn push_optional(out: &mut String, name: &str, text: Option<&str>) {
    if let Some(text) = text {
        push_element(out, name, text);
    }
}

/// Opens a SOAP envelope and body.
fn envelope_open(out: &mut String) {
    out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    out.push_str(r#"<soap:Envelope xmlns:soap=""#);
    out.push_str(SOAP_ENV);
    out.push_str(r#""><soap:Body>"#);
}

/// Closes what [`envelope_open`] opened.
fn envelope_close(out: &mut String) {
    out.push_str("</soap:Body></soap:Envelope>");
}

/// Returns the `Body` of a parsed `Envelope`.
fn body_of(root: &dom::Element) -> Result<&dom::Element, WireError> {
    if root.name != "Envelope" {
        return Err(WireError::Missing("Envelope"));
    }
    root.child("Body").ok_or(WireError::Missing("Body"))
}

fn all_digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}
