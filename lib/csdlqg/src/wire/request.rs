//! The `TraCuuThongTinCongDan` request envelope: built by the client, parsed by the simulator.

use dossierflow_domain::{CsdlqgDate, IdKind};

use super::{NAMESPACE, OPERATION, WireError, all_digits, body_of, dom, push_element};
use crate::LookupRequest;

/// Who is asking: the integration, agency and officer codes sent with every lookup.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// `MaTichHop`: integration-service code (`037` in deployed code).
    pub integration: &'a str,
    /// `MaDonVi`: agency e-identifier.
    pub agency: &'a str,
    /// `MaCanBo`: officer code.
    pub officer: &'a str,
}

/// Date of birth as it travels: `NgayThangNam` (`yyyyMMdd`) or `Nam` (`yyyy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireBirth {
    /// `NgayThangNam`.
    Full(String),
    /// `Nam`.
    Year(String),
}

/// A request as the simulator reads it. No `Debug`: it holds personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// `MaYeuCau`.
    pub request_id: String,
    /// `MaDVC`.
    pub procedure_code: String,
    /// `MaTichHop` (empty when absent).
    pub integration: String,
    /// `MaDonVi` (empty when absent).
    pub agency: String,
    /// `MaCanBo` (empty when absent).
    pub officer: String,
    /// `SoDinhDanh` or `SoCMND`, digits only.
    pub id: String,
    /// Which element carried the ID.
    pub id_kind: IdKind,
    /// `HoVaTen`.
    pub name: String,
    /// `NgayThangNamSinh`.
    pub birth: WireBirth,
}

/// Builds the SOAP 1.1 envelope for one lookup.
pub fn build(req: &LookupRequest, caller: Caller<'_>) -> String {
    let mut out = String::with_capacity(768);
    super::envelope_open(&mut out);
    out.push('<');
    out.push_str(OPERATION);
    out.push_str(r#" xmlns=""#);
    out.push_str(NAMESPACE);
    out.push_str(r#"">"#);
    push_element(&mut out, "MaYeuCau", &req.request_id);
    push_element(&mut out, "MaDVC", &req.procedure_code);
    push_element(&mut out, "MaTichHop", caller.integration);
    push_element(&mut out, "MaDonVi", caller.agency);
    push_element(&mut out, "MaCanBo", caller.officer);
    let id_element = match req.id.kind() {
        IdKind::Cccd => "SoDinhDanh",
        IdKind::Cmnd => "SoCMND",
    };
    push_element(&mut out, id_element, req.id.as_str());
    push_element(&mut out, "HoVaTen", req.name.as_str());
    out.push_str("<NgayThangNamSinh>");
    match req.birth.to_csdlqg() {
        CsdlqgDate::Full(ymd) => push_element(&mut out, "NgayThangNam", &ymd),
        CsdlqgDate::Year(y) => push_element(&mut out, "Nam", &y),
    }
    out.push_str("</NgayThangNamSinh></");
    out.push_str(OPERATION);
    out.push('>');
    super::envelope_close(&mut out);
    out
}

/// Parses and validates a request envelope (the simulator's side).
pub fn parse(xml: &str) -> Result<WireRequest, WireError> {
    let root = dom::parse(xml)?;
    let op = body_of(&root)?
        .find(OPERATION)
        .ok_or(WireError::Missing(OPERATION))?;
    let required = |name: &'static str| op.child_text(name).ok_or(WireError::Missing(name));
    let optional = |name: &str| op.child_text(name).unwrap_or_default();
    let (id, id_kind) = match (op.child_text("SoDinhDanh"), op.child_text("SoCMND")) {
        (Some(id), _) if all_digits(&id, 12) => (id, IdKind::Cccd),
        (Some(_), _) => return Err(WireError::Invalid("SoDinhDanh")),
        (None, Some(id)) if all_digits(&id, 9) => (id, IdKind::Cmnd),
        (None, Some(_)) => return Err(WireError::Invalid("SoCMND")),
        (None, None) => return Err(WireError::Missing("SoDinhDanh")),
    };
    let dob = op
        .child("NgayThangNamSinh")
        .ok_or(WireError::Missing("NgayThangNamSinh"))?;
    let birth = match (dob.child_text("NgayThangNam"), dob.child_text("Nam")) {
        (Some(d), _) if all_digits(&d, 8) => WireBirth::Full(d),
        (Some(_), _) => return Err(WireError::Invalid("NgayThangNam")),
        (None, Some(y)) if all_digits(&y, 4) => WireBirth::Year(y),
        (None, Some(_)) => return Err(WireError::Invalid("Nam")),
        (None, None) => return Err(WireError::Missing("NgayThangNam")),
    };
    let request_id = required("MaYeuCau")?;
    if request_id.chars().count() > 40 {
        return Err(WireError::Invalid("MaYeuCau"));
    }
    let procedure_code = required("MaDVC")?;
    if procedure_code.chars().count() > 20 {
        return Err(WireError::Invalid("MaDVC"));
    }
    Ok(WireRequest {
        request_id,
        procedure_code,
        integration: optional("MaTichHop"),
        agency: optional("MaDonVi"),
        officer: optional("MaCanBo"),
        id,
        id_kind,
        name: required("HoVaTen")?,
        birth,
    })
}

#[cfg(test)]
mod tests {
    use dossierflow_domain::{BirthDate, CitizenName, NationalId};

    use super::*;

    const CALLER: Caller<'static> = Caller {
        integration: "037",
        agency: "000.00.92.H55",
        officer: "canbo01",
    };

    fn request(id: &str, birth: &str) -> LookupRequest {
        LookupRequest {
            request_id: "req-<1>&".into(),
            procedure_code: "1.001234".into(),
            id: NationalId::parse(id).unwrap(),
            name: CitizenName::parse("Trần Thị Bích").unwrap(),
            birth: BirthDate::parse(birth).unwrap(),
            context: Default::default(),
        }
    }

    #[test]
    fn cccd_and_full_date_round_trip() {
        let xml = build(&request("001190123456", "20/04/1990"), CALLER);
        assert!(xml.contains(r#"<TraCuuThongTinCongDan xmlns="http://dancuquocgia.bca">"#));
        assert!(xml.contains("<SoDinhDanh>001190123456</SoDinhDanh>"));
        assert!(!xml.contains("SoCMND"));
        assert!(xml.contains("req-&lt;1&gt;&amp;"), "escaped: {xml}");
        let parsed = parse(&xml).unwrap();
        assert_eq!(parsed.request_id, "req-<1>&");
        assert_eq!(parsed.procedure_code, "1.001234");
        assert_eq!(
            (
                parsed.integration.as_str(),
                parsed.agency.as_str(),
                parsed.officer.as_str()
            ),
            ("037", "000.00.92.H55", "canbo01")
        );
        assert_eq!(parsed.id, "001190123456");
        assert_eq!(parsed.id_kind, IdKind::Cccd);
        assert_eq!(parsed.name, "Trần Thị Bích");
        assert_eq!(parsed.birth, WireBirth::Full("19900420".into()));
    }

    #[test]
    fn nine_digit_id_goes_to_so_cmnd_and_year_only_to_nam() {
        let xml = build(&request("123456789", "1990"), CALLER);
        assert!(xml.contains("<SoCMND>123456789</SoCMND>"));
        assert!(!xml.contains("SoDinhDanh"));
        assert!(xml.contains("<NgayThangNamSinh><Nam>1990</Nam></NgayThangNamSinh>"));
        let parsed = parse(&xml).unwrap();
        assert_eq!(parsed.id_kind, IdKind::Cmnd);
        assert_eq!(parsed.birth, WireBirth::Year("1990".into()));
    }

    #[test]
    fn parse_rejects_bad_shapes() {
        let good = build(&request("001190123456", "20/04/1990"), CALLER);
        let no_id = good.replace("<SoDinhDanh>001190123456</SoDinhDanh>", "");
        assert_eq!(parse(&no_id).err(), Some(WireError::Missing("SoDinhDanh")));
        let short_id = good.replace("001190123456", "00119012345");
        assert_eq!(
            parse(&short_id).err(),
            Some(WireError::Invalid("SoDinhDanh"))
        );
        let no_name = good.replace("<HoVaTen>Trần Thị Bích</HoVaTen>", "");
        assert_eq!(parse(&no_name).err(), Some(WireError::Missing("HoVaTen")));
        assert_eq!(
            parse("<Envelope><Body/></Envelope>").err(),
            Some(WireError::Missing(OPERATION))
        );
        assert!(matches!(
            parse(&good[..good.len() - 5]),
            Err(WireError::Xml(_))
        ));
    }
}
