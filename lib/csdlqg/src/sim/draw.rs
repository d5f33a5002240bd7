//! Random draws shared by synthetic citizens and their relatives: names and
//! ID numbers shaped like the real ones.

use dossierflow_domain::Gender;
use rand::Rng;

use super::names;

/// One item of a non-empty slice, uniformly.
pub(super) fn pick<'a, T, R: Rng>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A family name (`Họ`), weighted by national frequency.
pub(super) fn family_name<R: Rng>(rng: &mut R) -> &'static str {
    let total: u32 = names::FAMILY.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (name, weight) in names::FAMILY {
        if roll < weight {
            return name;
        }
        roll -= weight;
    }
    names::FAMILY[0].0
}

/// `family` followed by one or two middle names and a given name usual for `gender`.
pub(super) fn full_name<R: Rng>(rng: &mut R, family: &str, gender: Gender) -> String {
    let (middles, givens): (&[&str], &[&str]) = match gender {
        Gender::Female => (&names::MIDDLE_FEMALE, &names::GIVEN_FEMALE),
        _ => (&names::MIDDLE_MALE, &names::GIVEN_MALE),
    };
    let middle = pick(rng, middles);
    let given = pick(rng, givens);
    if rng.random_bool(0.12) {
        let second = pick(rng, middles);
        format!("{family} {middle} {second} {given}")
    } else {
        format!("{family} {middle} {given}")
    }
}

/// A 12-digit CCCD: province `prefix` (3 digits), century/gender digit
/// (0/1 for the 1900s, 2/3 for the 2000s; odd = female), two-digit year and
/// a random six-digit serial.
pub(super) fn cccd<R: Rng>(rng: &mut R, prefix: &str, year: i32, gender: Gender) -> String {
    let century = if year >= 2000 { 2 } else { 0 };
    let digit = century + u8::from(gender == Gender::Female);
    let serial = rng.random_range(0..1_000_000u32);
    format!("{prefix}{digit}{:02}{serial:06}", year % 100)
}

/// A 9-digit CMND, for some (`share`) of the people born before 2000.
pub(super) fn old_id<R: Rng>(rng: &mut R, year: i32, share: f64) -> Option<String> {
    (year < 2000 && rng.random_bool(share))
        .then(|| rng.random_range(100_000_000..1_000_000_000u32).to_string())
}
