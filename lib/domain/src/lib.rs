//! Pure domain types for Vietnamese administrative-procedure dossiers: no I/O, no async.
//!
//! Everything that crosses a boundary (Kafka event, HTTP body, CSDLQG request) is parsed into
//! one of these types once, at the edge. Personal data (ID numbers, names, dates of birth,
//! phone numbers, e-mail addresses) masks or redacts itself in `Debug`, and ID numbers also in
//! `Display`.
//!
//! # Layout
//!
//! * [`id`]: CCCD / CMND numbers and their consistency with a declared birth year and gender.
//! * [`name`]: citizens' full names and the [`DiacriticPolicy`] used to compare them.
//! * [`birth`]: dates of birth, full or year-only, and their CSDLQG form.
//! * [`contact`]: mobile numbers and e-mail addresses for notifications.
//! * [`agency`]: agency e-identifiers, procedure codes and dossier codes.
//! * [`status`]: the ten national dossier statuses and the one transition table.
//! * [`codes`]: ethnicity and religion code tables (sensitive data).
//! * [`citizen`]: CSDLQG code tables (gender, blood type, marital status) and field names.
//! * [`catalog`]: procedures, agencies and administrative units (legacy 63 / current 34
//!   provinces), with an embedded sample catalogue of the new Phú Thọ province.
//! * [`calendar`]: the working calendar and due-date computation.
//! * [`province`]: the legacy 63-province codes that prefix CCCD numbers.
//! * [`portal`]: our statuses → the national portal's status codes, kept as data.

pub mod agency;
pub mod birth;
pub mod calendar;
pub mod catalog;
pub mod citizen;
pub mod codes;
pub mod contact;
pub mod id;
pub mod name;
pub mod portal;
pub mod province;
pub mod status;

pub use agency::{AgencyId, CodeError, DossierCode, ProcedureCode};
pub use birth::{BirthDate, BirthDateError, CsdlqgDate};
pub use calendar::{CalendarError, VN_OFFSET_SECONDS, WorkingCalendar, vn_offset};
pub use catalog::{
    Agency, Catalog, CatalogError, Channel, Level, Procedure, ProcessingTime, Unit, UnitLevel,
    UnitScheme,
};
pub use citizen::{BloodType, CitizenField, Gender, MaritalStatus};
pub use contact::{Email, EmailError, PhoneError, PhoneNumber};
pub use id::{IdError, IdKind, NationalId};
pub use name::{CitizenName, DiacriticPolicy, NameError};
pub use portal::{NationalStatus, NationalStatusMap, PortalMapError};
pub use status::{Status, TransitionError, UnknownStatus};
