//! A deterministic synthetic population: same seed, same people (and the
//! same relatives, see `family`).

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use dossierflow_domain::{BirthDate, BloodType, CitizenName, Gender, MaritalStatus, NationalId};
use rand::rngs::{SmallRng, StdRng};
use rand::{Rng, SeedableRng};

use super::draw::{self, pick};
use super::family::{self, Family, Subject};
use super::names;
use crate::{Address, CitizenRecord, Relative};

/// One synthetic citizen, as CSDLQG would hold them.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    /// 12-digit CCCD, consistent with birth year, gender and birth province.
    pub id: NationalId,
    /// 9-digit old CMND, for some people born before 2000.
    pub old_id: Option<String>,
    /// Full name with diacritics.
    pub name: CitizenName,
    /// Date of birth (a few are year-only).
    pub birth: BirthDate,
    /// Male or female.
    pub gender: Gender,
    /// Ethnicity catalogue code.
    pub ethnicity: String,
    /// Religion catalogue code.
    pub religion: String,
    /// Marital status.
    pub marital_status: MaritalStatus,
    /// Blood type.
    pub blood_type: BloodType,
    /// Nationality code (`VN`).
    pub nationality: String,
    /// Province of birth registration (matches the CCCD prefix).
    pub birth_registration: Address,
    /// Hometown (same province as birth registration).
    pub hometown: Address,
    /// Permanent residence, one of the communes given to [`Population::synthetic`].
    pub permanent: Address,
    /// Current residence (the permanent one).
    pub current: Address,
    /// Father: same family name, born 22–40 years earlier.
    pub father: Option<Relative>,
    /// Mother.
    pub mother: Option<Relative>,
    /// Spouse, for married people.
    pub spouse: Option<Relative>,
    /// Legal representative (a parent), for minors.
    pub representative: Option<Relative>,
    /// Head of household: the father, or the person themself.
    pub head_of_household: Option<Relative>,
    /// Household book number (`SoSoHoKhau`).
    pub household_book: Option<String>,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Person")
            .field("id", &self.id.masked())
            .finish_non_exhaustive()
    }
}

/// The simulator's citizens, indexed by `SoDinhDanh` and `SoCMND`.
#[derive(Clone)]
pub struct Population {
    people: Vec<Person>,
    index: HashMap<String, usize>,
}

impl fmt::Debug for Population {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Population")
            .field("len", &self.people.len())
            .finish()
    }
}

impl Population {
    /// Generates `size` people deterministically from `seed`, living in `communes`
    /// (a small built-in list when empty).
    pub fn synthetic(seed: u64, size: usize, communes: Vec<Address>) -> Population {
        let communes = if communes.is_empty() {
            names::builtin_communes()
        } else {
            communes
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let mut population = Population {
            people: Vec::with_capacity(size),
            index: HashMap::with_capacity(size * 2),
        };
        // Bounded so a domain rule rejecting our IDs cannot loop forever.
        let mut attempts = size.saturating_mul(20).max(100);
        while population.people.len() < size && attempts > 0 {
            attempts -= 1;
            if let Some(person) = generate(&mut rng, &communes, &population.index) {
                population.insert(person);
            }
        }
        population
    }

    fn insert(&mut self, person: Person) {
        let i = self.people.len();
        self.index.insert(person.id.as_str().to_owned(), i);
        if let Some(old) = &person.old_id {
            self.index.insert(old.clone(), i);
        }
        self.people.push(person);
    }

    /// Number of people.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether there is nobody.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The `i`-th person.
    ///
    /// # Panics
    /// When `i >= self.len()`, like slice indexing.
    pub fn person(&self, i: usize) -> &Person {
        &self.people[i]
    }

    /// All people in generation order.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// The person with this `SoDinhDanh` or `SoCMND`.
    pub fn find(&self, id: &str) -> Option<&Person> {
        self.index.get(id).map(|&i| &self.people[i])
    }

    /// What CSDLQG returns for this person.
    pub fn record(&self, p: &Person) -> CitizenRecord {
        CitizenRecord {
            id: Some(p.id.as_str().to_owned()),
            old_id: p.old_id.clone(),
            full_name: p.name.as_str().to_owned(),
            gender: p.gender,
            ethnicity: Some(p.ethnicity.clone()),
            religion: Some(p.religion.clone()),
            marital_status: p.marital_status,
            blood_type: p.blood_type,
            birth: p.birth,
            nationality: Some(p.nationality.clone()),
            birth_registration: Some(p.birth_registration.clone()),
            hometown: Some(p.hometown.clone()),
            permanent: Some(p.permanent.clone()),
            current: Some(p.current.clone()),
            father: p.father.clone(),
            mother: p.mother.clone(),
            spouse: p.spouse.clone(),
            representative: p.representative.clone(),
            head_of_household: p.head_of_household.clone(),
            household_book: p.household_book.clone(),
        }
    }
}

fn birth(rng: &mut StdRng) -> BirthDate {
    let year = rng.random_range(1940..=2010);
    if rng.random_bool(0.04) {
        return BirthDate::YearOnly(year);
    }
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=31);
    // Fall back to the 28th for days the month lacks.
    NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(year, month, 28))
        .map_or(BirthDate::YearOnly(year), BirthDate::Full)
}

fn generate(
    rng: &mut StdRng,
    communes: &[Address],
    taken: &HashMap<String, usize>,
) -> Option<Person> {
    let gender = if rng.random_bool(0.5) {
        Gender::Male
    } else {
        Gender::Female
    };
    let birth = birth(rng);
    let year = birth.year();
    let (prefix, province) = *pick(rng, &names::PROVINCES);
    let id = draw::cccd(rng, prefix, year, gender);
    let old_id = draw::old_id(rng, year, 0.35);
    if taken.contains_key(&id) || old_id.as_ref().is_some_and(|o| taken.contains_key(o)) {
        return None;
    }
    let family_name = draw::family_name(rng);
    let name = draw::full_name(rng, family_name, gender);
    let age_in_2026 = 2026 - year;
    let marital_status = match (age_in_2026, rng.random_range(0..10)) {
        (..18, _) | (_, 0..=2) => MaritalStatus::Single,
        (_, 3..=8) => MaritalStatus::Married,
        _ => MaritalStatus::DivorcedOrWidowed,
    };
    let blood_type = *pick(
        rng,
        &[
            BloodType::O,
            BloodType::O,
            BloodType::A,
            BloodType::B,
            BloodType::AB,
            BloodType::Unknown,
        ],
    );
    let origin = Address {
        province: Some(province.to_owned()),
        country: Some("VN".to_owned()),
        ..Address::default()
    };
    let mut permanent = pick(rng, communes).clone();
    if permanent.detail.is_none() {
        let street = pick(rng, &names::STREETS);
        permanent.detail = Some(format!("Số {} {street}", rng.random_range(1..200)));
    }
    let ethnicity = if rng.random_bool(0.85) {
        "01"
    } else {
        pick(rng, &names::ETHNICITIES)
    };
    let religion = if rng.random_bool(0.8) {
        "00"
    } else {
        pick(rng, &names::RELIGIONS)
    };
    // Relatives come from a per-person generator seeded from the main one:
    // cheaper per draw, and adding a relative does not reshuffle the people.
    let mut family_rng = SmallRng::seed_from_u64(rng.random());
    let family = family::draw(
        &mut family_rng,
        &Subject {
            id: &id,
            old_id: old_id.as_deref(),
            name: &name,
            family_name,
            prefix,
            residence_province: permanent.province.as_deref(),
            year,
            gender,
            marital_status,
        },
    );
    let Family {
        father,
        mother,
        spouse,
        representative,
        head_of_household,
        household_book,
    } = family;
    Some(Person {
        id: NationalId::parse(&id).ok()?,
        old_id,
        name: CitizenName::parse(&name).ok()?,
        birth,
        gender,
        ethnicity: ethnicity.to_owned(),
        religion: religion.to_owned(),
        marital_status,
        blood_type,
        nationality: "VN".to_owned(),
        birth_registration: origin.clone(),
        hometown: origin,
        current: permanent.clone(),
        permanent,
        father,
        mother,
        spouse,
        representative,
        head_of_household,
        household_book,
    })
}

#[cfg(test)]
#[path = "population_tests.rs"]
mod tests;
