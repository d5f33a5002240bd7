//! Realistic synthetic submissions drawn from the CSDLQG simulator's population.
//!
//! Deterministic for a seed, so a test or a benchmark knows the expected verification
//! outcome of every dossier it sends.

use dossierflow_csdlqg::Address;
use dossierflow_csdlqg::sim::{Person, Population};
use dossierflow_domain::{BirthDate, Catalog};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The verification outcome a generated dossier should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The applicant is in the population with these exact details.
    Verified,
    /// The ID is unknown to the population.
    NotFound,
    /// The ID is known but the date of birth differs (same year, other day).
    Mismatch,
}

impl Expected {
    /// The outcome name stored by the verify stage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::NotFound => "not_found",
            Self::Mismatch => "mismatch",
        }
    }
}

/// One generated submission.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The JSON body for `POST /v1/dossiers`.
    pub body: Value,
    /// The outcome it should get.
    pub expected: Expected,
    /// A unique idempotency key.
    pub idempotency_key: String,
}

/// Share of applicants with a phone who list their `notify_channels` (SMS, Zalo and, with
/// an e-mail address, e-mail); the others rely on the default channels.
const CHOOSE_CHANNELS: f64 = 0.3;

/// Shares of each kind (the rest verifies).
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    /// Share of applicants unknown to CSDLQG.
    pub unknown: f64,
    /// Share of applicants with a wrong date of birth.
    pub wrong_birth: f64,
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            unknown: 0.1,
            wrong_birth: 0.1,
        }
    }
}

/// Generates `n` submissions.
pub fn generate(
    pop: &Population,
    catalog: &Catalog,
    n: usize,
    seed: u64,
    mix: Mix,
) -> Vec<Generated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let procedures = catalog.procedures();
    (0..n)
        .map(|i| {
            let person = pop.person(rng.random_range(0..pop.len()));
            let roll: f64 = rng.random();
            let (expected, id, birth) = if roll < mix.unknown {
                (
                    Expected::NotFound,
                    unknown_id(pop, person, &mut rng),
                    person.birth.to_string(),
                )
            } else if roll < mix.unknown + mix.wrong_birth {
                match other_day(&person.birth, &mut rng) {
                    Some(b) => (Expected::Mismatch, person.id.as_str().to_owned(), b),
                    None => (
                        Expected::Verified,
                        person.id.as_str().to_owned(),
                        person.birth.to_string(),
                    ),
                }
            } else {
                (
                    Expected::Verified,
                    person.id.as_str().to_owned(),
                    person.birth.to_string(),
                )
            };
            let procedure = &procedures[rng.random_range(0..procedures.len())];
            let mut applicant = json!({
                "full_name": person.name.as_str(),
                "id_number": id,
                "birth_date": birth,
            });
            let phone = rng.random_bool(0.8);
            if phone {
                applicant["phone"] = json!(format!("09{:08}", rng.random_range(0..100_000_000u32)));
            }
            let email = rng.random_bool(0.5);
            if email {
                applicant["email"] = json!(format!("congdan{i}@example.vn"));
            }
            // About 30% of those with a phone choose their channels, Zalo included; the
            // others leave `notify_channels` out and get the default channels.
            if phone && rng.random_bool(CHOOSE_CHANNELS) {
                let mut channels = vec!["sms", "zalo"];
                channels.extend(email.then_some("email"));
                applicant["notify_channels"] = json!(channels);
            }
            Generated {
                body: json!({ "procedure_code": procedure.code.as_str(), "applicant": applicant }),
                expected,
                idempotency_key: format!("gen-{seed}-{i}"),
            }
        })
        .collect()
}

/// A CCCD with the person's prefix (so it stays consistent with the birth year) and a
/// random serial that nobody in the population has.
fn unknown_id(pop: &Population, person: &Person, rng: &mut StdRng) -> String {
    let prefix = &person.id.as_str()[..6.min(person.id.as_str().len())];
    loop {
        let candidate = if person.id.as_str().len() == 12 {
            format!("{prefix}{:06}", rng.random_range(0..1_000_000u32))
        } else {
            format!("{:09}", rng.random_range(100_000_000..1_000_000_000u32))
        };
        if pop.find(&candidate).is_none() {
            return candidate;
        }
    }
}

/// Another day of the same year (a CCCD encodes the year, so the intake would reject
/// another year outright); `None` for a year-only date, which matches on the year.
fn other_day(birth: &BirthDate, rng: &mut StdRng) -> Option<String> {
    use chrono::Datelike;
    let BirthDate::Full(d) = birth else {
        return None;
    };
    let days = if d.leap_year() { 366 } else { 365 };
    let shift = rng.random_range(1..days);
    let ordinal = (d.ordinal() - 1 + shift) % days + 1;
    let other = d.with_ordinal(ordinal)?;
    (other <= chrono::Local::now().date_naive()).then(|| BirthDate::Full(other).to_string())
}

/// The simulator population whose residences are the catalogue's communes, current and
/// legacy codes alike, so that routing meets both. The same seed and size give the same
/// citizens in the simulator and in the generator.
pub fn population(seed: u64, size: usize, catalog: &Catalog) -> Population {
    let province_of = |code: &str| {
        let mut unit = catalog.unit(code);
        while let Some(u) = unit {
            match u.parent.as_deref() {
                Some(p) if p != u.code => unit = catalog.unit(p),
                _ => return Some(u.code.clone()),
            }
        }
        None
    };
    let communes = catalog
        .current_communes()
        .into_iter()
        .chain(catalog.legacy_communes())
        .enumerate()
        .map(|(i, u)| Address {
            province: province_of(&u.code),
            district: None,
            commune: Some(u.code.clone()),
            detail: Some(format!("Số {} đường {}", 1 + i % 97, u.name)),
            country: Some("VN".into()),
        })
        .collect();
    Population::synthetic(seed, size, communes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_30_percent_with_a_phone_choose_channels_and_all_bodies_validate() {
        let catalog = Catalog::embedded().expect("catalogue");
        let pop = population(7, 300, &catalog);
        let generated = generate(&pop, &catalog, 1000, 7, Mix::default());
        let again = generate(&pop, &catalog, 1000, 7, Mix::default());
        let (mut with_phone, mut chose) = (0, 0);
        for (g, h) in generated.iter().zip(&again) {
            assert_eq!(g.body, h.body, "deterministic for a seed");
            let a = &g.body["applicant"];
            let channels = a.get("notify_channels");
            if a.get("phone").is_none() {
                assert!(channels.is_none(), "{a}");
                continue;
            }
            with_phone += 1;
            if let Some(channels) = channels {
                chose += 1;
                let mut want = vec!["sms", "zalo"];
                want.extend(a.get("email").map(|_| "email"));
                assert_eq!(channels, &json!(want));
            }
            if g.expected != Expected::Mismatch {
                crate::intake::validate::parse(&g.body, &catalog).expect("valid body");
            }
        }
        let share = f64::from(chose) / f64::from(with_phone);
        assert!((0.25..0.35).contains(&share), "{chose} of {with_phone}");
    }
}
