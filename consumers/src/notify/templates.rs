//! Versioned Vietnamese message templates for status notifications (groundwork for #6).
//!
//! The templates live as files under `consumers/templates/v1/`, one per (message, channel):
//! `<name>.sms.j2` is a single short text; `<name>.email.j2` holds the subject on its first
//! line, an empty line, then the body. They are embedded with `include_str!` so the binary
//! carries them, parsed once by [`Templates::embedded`] (a broken template fails start-up,
//! not the first send) and rendered with `minijinja` in strict-undefined mode: a variable the
//! template uses but the context lacks is an error, never an empty string.
//!
//! The context deliberately carries **no personal data of the citizen** (no name, ID number,
//! date of birth, address): SMS, e-mail and Zalo messages travel through third-party gateways
//! and providers' logs, so they carry only the dossier code, the procedure and dates, which
//! let the citizen look the dossier up on the portal (data minimisation, domain.md §8).
//!
//! Which template a status change uses is [`template_for`]. Every status has a citizen
//! message except **`processing`** (*Đang xử lý*): entering processing (after reception, or
//! back after a supplement or a payment) is internal routine and the citizen already holds
//! the due date, so it deliberately has no template here. The national public-service portal is still informed
//! of it, by its progress sync, which needs no template.
//!
//! `overdue` is not a status but the apology for a missed due date (*thư xin lỗi*). Its
//! `new_appointment` is optional: the automatic overdue detector does not know the new date,
//! so without one the message says the agency will announce it.
//!
//! Pure: no I/O; not wired into the notify stage yet.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use dossierflow_domain::Status;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use thiserror::Error;

/// Version of the embedded template set, recorded with every rendered message.
pub const TEMPLATE_VERSION: &str = "v1";

/// A template: its name (the status or event it announces), the variables it requires,
/// and the sources of its SMS and e-mail forms.
struct Spec {
    name: &'static str,
    required: &'static [&'static str],
    sms: &'static str,
    email: &'static str,
}

macro_rules! spec {
    ($name:ident: $($req:ident),* $(,)?) => {
        Spec {
            name: stringify!($name),
            required: &[$(stringify!($req)),*],
            sms: include_str!(concat!("../../templates/v1/", stringify!($name), ".sms.j2")),
            email: include_str!(concat!("../../templates/v1/", stringify!($name), ".email.j2")),
        }
    };
}

/// Every embedded template, one per citizen-facing status (named as [`Status::as_str`]) plus
/// `overdue`. `required` lists the variables the message cannot do without; the others
/// (e.g. `agency_name`) are guarded with `is defined` in the template.
#[rustfmt::skip]
const SPECS: &[Spec] = &[
    spec!(submitted: procedure_name, status_name_vi),
    spec!(received: dossier_code, procedure_name, status_name_vi, due_date),
    spec!(refused: procedure_name, status_name_vi, reason),
    spec!(supplement_requested:
        dossier_code, procedure_name, status_name_vi, reason, supplement_deadline),
    spec!(payment_requested: dossier_code, procedure_name, status_name_vi),
    spec!(withdrawn: procedure_name, status_name_vi),
    spec!(stopped: dossier_code, procedure_name, status_name_vi, reason),
    spec!(completed: dossier_code, procedure_name, status_name_vi),
    spec!(returned: dossier_code, procedure_name, status_name_vi),
    spec!(overdue: dossier_code, procedure_name, status_name_vi),
];

/// The template announcing a change to `status`: `overdue` for a dossier past its due date
/// (the apology, whatever its status), otherwise the template named as [`Status::as_str`].
/// `None` for [`Status::Processing`], which has no citizen message (see the module docs).
pub fn template_for(status: Status, overdue: bool) -> Option<&'static str> {
    match status {
        _ if overdue => Some("overdue"),
        Status::Processing => None,
        other => Some(other.as_str()),
    }
}

/// A delivery channel of a citizen notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Text message; the short form.
    Sms,
    /// E-mail; subject and body.
    Email,
    /// Zalo message; uses the short (SMS) form until Zalo-specific templates exist.
    Zalo,
}

impl Channel {
    /// File-name suffix of the template form this channel uses.
    fn form(self) -> &'static str {
        match self {
            Channel::Sms | Channel::Zalo => "sms",
            Channel::Email => "email",
        }
    }
}

/// What a message may say. Only dossier facts — never the citizen's personal data, because
/// messages pass through third-party gateways (see the module docs). `None` fields are left
/// undefined for the template, so a template that needs one fails instead of printing blanks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageContext {
    /// Dossier code, e.g. `000.00.92.H55-230206-0001`; absent before reception.
    pub dossier_code: Option<String>,
    /// Name of the administrative procedure.
    pub procedure_name: String,
    /// Official Vietnamese status name, e.g. `Được tiếp nhận`.
    pub status_name_vi: String,
    /// Due date (*ngày hẹn trả*), printed `DD/MM/YYYY`.
    pub due_date: Option<NaiveDate>,
    /// Deadline for a requested supplement, printed `DD/MM/YYYY`.
    pub supplement_deadline: Option<NaiveDate>,
    /// Reason for a refusal, a supplement request, a stop or a delay; what to pay for a
    /// payment request.
    pub reason: Option<String>,
    /// New appointment after a delay (apology letter), printed `DD/MM/YYYY`; absent when
    /// the agency has not set one yet (e.g. the automatic overdue detector).
    pub new_appointment: Option<NaiveDate>,
    /// Name of the agency handling the dossier.
    pub agency_name: Option<String>,
}

impl MessageContext {
    /// The present fields as strings, dates printed `DD/MM/YYYY`.
    pub fn to_strings(&self) -> BTreeMap<String, String> {
        self.fields()
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect()
    }

    /// The template variables: only the fields that are present.
    fn to_vars(&self) -> BTreeMap<&'static str, Value> {
        self.fields()
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, Value::from(v))))
            .collect()
    }

    fn fields(&self) -> [(&'static str, Option<String>); 8] {
        let date = |d: &Option<NaiveDate>| d.map(|d| d.format("%d/%m/%Y").to_string());
        [
            ("dossier_code", self.dossier_code.clone()),
            ("procedure_name", Some(self.procedure_name.clone())),
            ("status_name_vi", Some(self.status_name_vi.clone())),
            ("due_date", date(&self.due_date)),
            ("supplement_deadline", date(&self.supplement_deadline)),
            ("reason", self.reason.clone()),
            ("new_appointment", date(&self.new_appointment)),
            ("agency_name", self.agency_name.clone()),
        ]
    }
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line (e-mail only).
    pub subject: Option<String>,
    /// Message text.
    pub body: String,
    /// Version of the template set that produced it, e.g. `v1`.
    pub template_version: &'static str,
}

/// Why a template could not be loaded or rendered.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// An embedded template does not parse (a bug in the release; fails start-up).
    #[error("embedded template {file} does not parse: {source:#}")]
    Parse {
        /// Template file, e.g. `received.sms.j2`.
        file: String,
        /// Parser error with location.
        source: minijinja::Error,
    },
    /// No template with this name.
    #[error("no message template named {0:?} in template set {TEMPLATE_VERSION}")]
    Unknown(String),
    /// The context lacks a variable the template requires.
    #[error("template {file} needs {variable}, which the message context does not provide")]
    MissingVariable {
        /// Template file.
        file: String,
        /// Missing variable.
        variable: &'static str,
    },
    /// Rendering failed (including an undefined variable not listed as required).
    #[error("cannot render template {file}: {source:#}")]
    Render {
        /// Template file.
        file: String,
        /// Render error with location.
        source: minijinja::Error,
    },
    /// An e-mail template's output lacks the `subject`, empty line, `body` shape.
    #[error("template {file} must render a subject line, an empty line and a body")]
    EmailShape {
        /// Template file.
        file: String,
    },
}

/// The parsed, embedded template set.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("version", &TEMPLATE_VERSION)
            .finish_non_exhaustive()
    }
}

fn file_name(name: &str, channel: Channel) -> String {
    format!("{name}.{}.j2", channel.form())
}

impl Templates {
    /// Parses every embedded template; fails if any does not parse.
    pub fn embedded() -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Plain-text messages: nothing to escape.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        for spec in SPECS {
            for (channel, source) in [(Channel::Sms, spec.sms), (Channel::Email, spec.email)] {
                let file = file_name(spec.name, channel);
                env.add_template_owned(file.clone(), source)
                    .map_err(|source| TemplateError::Parse { file, source })?;
            }
        }
        Ok(Templates { env })
    }

    /// Names of the embedded templates (`received`, `overdue`, …).
    pub fn names() -> impl Iterator<Item = &'static str> {
        SPECS.iter().map(|s| s.name)
    }

    /// Renders template `template` (e.g. `received`) for `channel`.
    pub fn render(
        &self,
        template: &str,
        channel: Channel,
        ctx: &MessageContext,
    ) -> Result<Rendered, TemplateError> {
        let spec = SPECS
            .iter()
            .find(|s| s.name == template)
            .ok_or_else(|| TemplateError::Unknown(template.to_owned()))?;
        let file = file_name(spec.name, channel);
        let vars = ctx.to_vars();
        if let Some(variable) = spec.required.iter().find(|v| !vars.contains_key(*v)) {
            return Err(TemplateError::MissingVariable { file, variable });
        }
        let text = self
            .env
            .get_template(&file)
            .and_then(|t| t.render(&vars))
            .map_err(|source| TemplateError::Render {
                file: file.clone(),
                source,
            })?;
        let (subject, body) = match channel {
            Channel::Email => match text.split_once("\n\n") {
                Some((subject, body)) if !subject.contains('\n') && !body.trim().is_empty() => {
                    (Some(subject.trim().to_owned()), body.trim().to_owned())
                }
                _ => return Err(TemplateError::EmailShape { file }),
            },
            Channel::Sms | Channel::Zalo => (None, text.trim().to_owned()),
        };
        Ok(Rendered {
            subject,
            body,
            template_version: TEMPLATE_VERSION,
        })
    }
}

#[cfg(test)]
#[path = "templates_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "templates_text_tests.rs"]
mod text_tests;
