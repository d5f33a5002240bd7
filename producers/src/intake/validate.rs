//! Parsing an intake body into a submission, collecting every bad field at once.

use dossierflow_domain::{
    AgencyId, BirthDate, Catalog, CitizenName, Email, NationalId, PhoneNumber, ProcedureCode,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One rejected field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `applicant.id_number`.
    pub field: String,
    /// Machine-readable code, e.g. `invalid_id`.
    pub code: &'static str,
    /// English explanation.
    pub message: String,
    /// Vietnamese explanation.
    pub message_vi: &'static str,
}

/// A fully parsed submission.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Procedure.
    pub procedure_code: ProcedureCode,
    /// Applicant ID.
    pub id: NationalId,
    /// Applicant name.
    pub name: CitizenName,
    /// Applicant date of birth.
    pub birth: BirthDate,
    /// Mobile number.
    pub phone: Option<PhoneNumber>,
    /// E-mail.
    pub email: Option<Email>,
    /// Receiving unit chosen on the form.
    pub receiving_unit: Option<AgencyId>,
}

const TOP: [&str; 3] = ["procedure_code", "applicant", "receiving_unit"];
const APPLICANT: [&str; 5] = ["full_name", "id_number", "birth_date", "phone", "email"];

/// The Vietnamese message for an error code.
pub fn vi_message(code: &str) -> &'static str {
    match code {
        "missing" => "Thiếu trường bắt buộc",
        "not_a_string" => "Giá trị phải là chuỗi ký tự",
        "not_an_object" => "Giá trị phải là một đối tượng JSON",
        "unknown_field" => "Trường không được hỗ trợ",
        "invalid_id" => "Số CMND/CCCD gồm 9 số hoặc 12 số hợp lệ",
        "id_birth_mismatch" => "Số CCCD không khớp với năm sinh",
        "invalid_name" => "Họ và tên không hợp lệ",
        "invalid_birth_date" => "Ngày sinh không hợp lệ (DD/MM/YYYY hoặc YYYY)",
        "invalid_phone" => "Số điện thoại di động không hợp lệ",
        "invalid_email" => "Địa chỉ thư điện tử không hợp lệ",
        "unknown_procedure" => "Thủ tục hành chính không có trong danh mục",
        "invalid_agency" => "Đơn vị tiếp nhận không hợp lệ",
        "invalid_actor" => "Mã cán bộ không hợp lệ",
        "invalid_body" => "Nội dung yêu cầu không đúng định dạng",
        _ => "Giá trị không hợp lệ",
    }
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
            message_vi: vi_message(code),
        });
    }

    /// A string field; records `missing` / `not_a_string` as needed.
    fn string<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<&'a str> {
        let field = format!("{path}{key}");
        match obj.get(key) {
            None | Some(Value::Null) if required => {
                self.push(&field, "missing", "this field is required");
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.push(&field, "not_a_string", "must be a string");
                None
            }
        }
    }

    fn unknown(&mut self, obj: &Map<String, Value>, path: &str, known: &[&str]) {
        for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
            self.push(
                &format!("{path}{key}"),
                "unknown_field",
                "unknown field (typo?)",
            );
        }
    }
}

fn parsed<T, E: std::fmt::Display>(
    errs: &mut Errors,
    field: &str,
    code: &'static str,
    r: Result<T, E>,
) -> Option<T> {
    r.map_err(|e| errs.push(field, code, e.to_string())).ok()
}

/// Parses a JSON body. Unknown fields are rejected, so that a typo in an optional field
/// name is reported rather than silently ignored.
pub fn parse(body: &Value, catalog: &Catalog) -> Result<Submission, Vec<FieldError>> {
    let mut e = Errors(vec![]);
    let Some(top) = body.as_object() else {
        e.push("", "not_an_object", "the body must be a JSON object");
        return Err(e.0);
    };
    e.unknown(top, "", &TOP);
    let procedure = e.string(top, "", "procedure_code", true).and_then(|s| {
        let code = parsed(
            &mut e,
            "procedure_code",
            "unknown_procedure",
            ProcedureCode::parse(s),
        )?;
        if catalog.procedure(&code).is_none() {
            e.push(
                "procedure_code",
                "unknown_procedure",
                format!("procedure {code} is not in the catalogue"),
            );
            return None;
        }
        Some(code)
    });
    let unit = e.string(top, "", "receiving_unit", false).and_then(|s| {
        parsed(
            &mut e,
            "receiving_unit",
            "invalid_agency",
            AgencyId::parse(s),
        )
    });
    let empty = Map::new();
    let applicant = match top.get("applicant") {
        Some(Value::Object(a)) => a,
        None | Some(Value::Null) => {
            e.push("applicant", "missing", "this field is required");
            &empty
        }
        Some(_) => {
            e.push("applicant", "not_an_object", "must be an object");
            &empty
        }
    };
    let p = "applicant.";
    // Report the applicant's own fields only when the block itself is there.
    let required = matches!(top.get("applicant"), Some(Value::Object(_)));
    e.unknown(applicant, p, &APPLICANT);
    let name = e.string(applicant, p, "full_name", required).and_then(|s| {
        parsed(
            &mut e,
            "applicant.full_name",
            "invalid_name",
            CitizenName::parse(s),
        )
    });
    let id = e.string(applicant, p, "id_number", required).and_then(|s| {
        parsed(
            &mut e,
            "applicant.id_number",
            "invalid_id",
            NationalId::parse(s),
        )
    });
    let birth = e
        .string(applicant, p, "birth_date", required)
        .and_then(|s| {
            parsed(
                &mut e,
                "applicant.birth_date",
                "invalid_birth_date",
                BirthDate::parse(s),
            )
        });
    let phone = e.string(applicant, p, "phone", false).and_then(|s| {
        parsed(
            &mut e,
            "applicant.phone",
            "invalid_phone",
            PhoneNumber::parse(s),
        )
    });
    let email = e
        .string(applicant, p, "email", false)
        .and_then(|s| parsed(&mut e, "applicant.email", "invalid_email", Email::parse(s)));
    if let (Some(id), Some(birth)) = (&id, &birth)
        && let Err(err) = id.check_consistency(birth, None)
    {
        e.push("applicant.id_number", "id_birth_mismatch", err.to_string());
    }
    match (procedure, id, name, birth) {
        (Some(procedure_code), Some(id), Some(name), Some(birth)) if e.0.is_empty() => {
            Ok(Submission {
                procedure_code,
                id,
                name,
                birth,
                phone,
                email,
                receiving_unit: unit,
            })
        }
        _ => Err(e.0),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
