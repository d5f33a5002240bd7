//! Parsing an intake body into a submission, collecting every bad field at once.

use dossierflow_domain::{
    AgencyId, BirthDate, Catalog, CitizenName, Email, NationalId, PhoneNumber, ProcedureCode,
};
use serde::{Deserialize, Serialize};
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
    /// Channels the citizen chose for messages: `None` for the default (SMS when a phone is
    /// given, e-mail when an address is given, never Zalo); `Some(vec![])` for none at all.
    pub notify_channels: Option<Vec<NotifyChannel>>,
}

/// A channel the citizen may choose for messages about the dossier; its wire name is
/// `sms`, `email` or `zalo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyChannel {
    /// Text message to the phone.
    Sms,
    /// E-mail to the address.
    Email,
    /// Zalo message to the phone.
    Zalo,
}

/// Most channels a submission may list.
const MAX_CHANNELS: usize = 3;

const TOP: [&str; 3] = ["procedure_code", "applicant", "receiving_unit"];
const APPLICANT: [&str; 6] = [
    "full_name",
    "id_number",
    "birth_date",
    "phone",
    "email",
    "notify_channels",
];

/// The Vietnamese message for an error code.
pub fn vi_message(code: &str) -> &'static str {
    match code {
        "missing" => "Thiếu trường bắt buộc",
        "not_a_string" => "Giá trị phải là chuỗi ký tự",
        "not_an_object" => "Giá trị phải là một đối tượng JSON",
        "not_an_array" => "Giá trị phải là một danh sách",
        "unknown_field" => "Trường không được hỗ trợ",
        "invalid_id" => "Số CMND/CCCD gồm 9 số hoặc 12 số hợp lệ",
        "id_birth_mismatch" => "Số CCCD không khớp với năm sinh",
        "invalid_name" => "Họ và tên không hợp lệ",
        "invalid_birth_date" => "Ngày sinh không hợp lệ (DD/MM/YYYY hoặc YYYY)",
        "invalid_phone" => "Số điện thoại di động không hợp lệ",
        "invalid_email" => "Địa chỉ thư điện tử không hợp lệ",
        "unknown_channel" => "Kênh nhận thông báo phải là sms, email hoặc zalo",
        "duplicate_channel" => "Kênh nhận thông báo bị trùng lặp",
        "channel_needs_phone" => "Kênh SMS hoặc Zalo cần số điện thoại di động",
        "channel_needs_email" => "Kênh thư điện tử cần địa chỉ thư điện tử",
        "too_many_channels" => "Chỉ được chọn tối đa 3 kênh nhận thông báo",
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

    /// A string field parsed by `parse`; records `code` with the parser's message if it fails.
    fn field<T, E: std::fmt::Display>(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
        code: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let r = parse(self.string(obj, path, key, required)?);
        parsed(self, &format!("{path}{key}"), code, r)
    }

    /// `applicant.notify_channels`: `None` when absent or null (the default channels). A
    /// channel needs its phone or e-mail field given; a malformed one is reported there.
    fn channels(&mut self, applicant: &Map<String, Value>) -> Option<Vec<NotifyChannel>> {
        const FIELD: &str = "applicant.notify_channels";
        let given = |key: &str| matches!(applicant.get(key), Some(Value::String(_)));
        let (phone, email) = (given("phone"), given("email"));
        let items = match applicant.get("notify_channels") {
            None | Some(Value::Null) => return None,
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.push(FIELD, "not_an_array", "must be a list of channel names");
                return None;
            }
        };
        if items.len() > MAX_CHANNELS {
            let msg = format!("at most {MAX_CHANNELS} channels, got {}", items.len());
            self.push(FIELD, "too_many_channels", msg);
        }
        let mut channels = Vec::new();
        for item in items {
            let Ok(c) = NotifyChannel::deserialize(item) else {
                let msg = format!("{item} is not one of sms, email, zalo");
                self.push(FIELD, "unknown_channel", msg);
                continue;
            };
            let problem = match c {
                _ if channels.contains(&c) => Some(("duplicate_channel", "is listed twice")),
                NotifyChannel::Sms | NotifyChannel::Zalo if !phone => {
                    Some(("channel_needs_phone", "needs applicant.phone"))
                }
                NotifyChannel::Email if !email => {
                    Some(("channel_needs_email", "needs applicant.email"))
                }
                _ => None,
            };
            if let Some((code, msg)) = problem {
                self.push(FIELD, code, format!("{item} {msg}"));
            }
            if !channels.contains(&c) {
                channels.push(c);
            }
        }
        Some(channels)
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
    let unit = e.field(
        top,
        "",
        "receiving_unit",
        false,
        "invalid_agency",
        AgencyId::parse,
    );
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
    let (a, req) = (applicant, required);
    let name = e.field(a, p, "full_name", req, "invalid_name", CitizenName::parse);
    let id = e.field(a, p, "id_number", req, "invalid_id", NationalId::parse);
    let birth = e.field(
        a,
        p,
        "birth_date",
        req,
        "invalid_birth_date",
        BirthDate::parse,
    );
    let phone = e.field(a, p, "phone", false, "invalid_phone", PhoneNumber::parse);
    let email = e.field(a, p, "email", false, "invalid_email", Email::parse);
    let notify_channels = e.channels(applicant);
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
                notify_channels,
            })
        }
        _ => Err(e.0),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
