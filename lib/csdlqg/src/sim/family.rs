//! Relatives and household of a synthetic citizen, drawn deterministically
//! from the population's generator.
//!
//! Both parents are always known: the father carries the citizen's family name
//! and is born 22–40 years earlier, the mother a few years either side of him
//! but at least 18 years before the child; their CCCDs (same province prefix
//! as the citizen) are consistent with those years. Married citizens have a
//! spouse of the other gender, minors have a parent as legal representative,
//! and the head of household is the father for minors and young single
//! adults, the citizen otherwise. In `ChuHo`, `QuanHe` is the citizen's
//! relation to the head (`Con`, or `Chủ hộ` when it is the citizen).

use dossierflow_domain::{Gender, MaritalStatus};
use rand::Rng;

use super::draw;
use crate::Relative;

/// Year the simulated data is "as of", for ages.
const AS_OF: i32 = 2026;
/// Share of relatives born before 2000 who still have an old CMND on record.
const OLD_ID_SHARE: f64 = 0.4;

/// What the family is drawn from: the citizen's own facts.
pub(super) struct Subject<'a> {
    /// The citizen's CCCD.
    pub id: &'a str,
    /// The citizen's CMND, if any.
    pub old_id: Option<&'a str>,
    /// The citizen's full name.
    pub name: &'a str,
    /// The citizen's family name (first word of `name`).
    pub family_name: &'a str,
    /// CCCD province prefix of the citizen (3 digits).
    pub prefix: &'a str,
    /// Province code of the permanent residence, for the household book.
    pub residence_province: Option<&'a str>,
    /// Birth year.
    pub year: i32,
    /// Gender.
    pub gender: Gender,
    /// Marital status.
    pub marital_status: MaritalStatus,
}

/// A citizen's relatives and household book.
#[derive(Clone, Default, PartialEq, Eq)]
pub(super) struct Family {
    /// `Cha`.
    pub father: Option<Relative>,
    /// `Me`.
    pub mother: Option<Relative>,
    /// `VoChong`, for married citizens.
    pub spouse: Option<Relative>,
    /// `NguoiDaiDien`, for minors.
    pub representative: Option<Relative>,
    /// `ChuHo`.
    pub head_of_household: Option<Relative>,
    /// `SoSoHoKhau`: 9 digits, starting with the residence province code.
    pub household_book: Option<String>,
}

/// Draws the family of `s`.
pub(super) fn draw<R: Rng>(rng: &mut R, s: &Subject<'_>) -> Family {
    let father_year = s.year - rng.random_range(22..=40);
    let mother_year = (father_year + rng.random_range(-2..=8)).min(s.year - 18);
    let father = person(
        rng,
        "Cha",
        s.prefix,
        s.family_name,
        father_year,
        Gender::Male,
    );
    let mother_family = draw::family_name(rng);
    let mother = person(
        rng,
        "Mẹ",
        s.prefix,
        mother_family,
        mother_year,
        Gender::Female,
    );
    let spouse = (s.marital_status == MaritalStatus::Married).then(|| spouse(rng, s));
    let age = AS_OF - s.year;
    let representative = (age < 18).then(|| father.clone());
    let head_of_household = if age < 18 || (age < 30 && s.marital_status == MaritalStatus::Single) {
        Relative {
            relation: Some("Con".to_owned()),
            ..father.clone()
        }
    } else {
        Relative {
            relation: Some("Chủ hộ".to_owned()),
            id: Some(s.id.to_owned()),
            old_id: s.old_id.map(str::to_owned),
            full_name: Some(s.name.to_owned()),
        }
    };
    let province = s.residence_province.unwrap_or("00");
    let household_book = format!("{province:0>2}{:07}", rng.random_range(0..10_000_000u32));
    Family {
        father: Some(father),
        mother: Some(mother),
        spouse,
        representative,
        head_of_household: Some(head_of_household),
        household_book: Some(household_book),
    }
}

fn spouse<R: Rng>(rng: &mut R, s: &Subject<'_>) -> Relative {
    let (gender, relation) = match s.gender {
        Gender::Female => (Gender::Male, "Chồng"),
        _ => (Gender::Female, "Vợ"),
    };
    // Husbands are usually a few years older than their wives.
    let gap = rng.random_range(-2..=6);
    let year = match gender {
        Gender::Male => s.year - gap,
        _ => s.year + gap,
    };
    let (prefix, _) = *draw::pick(rng, &super::names::PROVINCES);
    let family = draw::family_name(rng);
    person(rng, relation, prefix, family, year.min(AS_OF - 18), gender)
}

fn person<R: Rng>(
    rng: &mut R,
    relation: &str,
    prefix: &str,
    family: &str,
    year: i32,
    gender: Gender,
) -> Relative {
    let id = draw::cccd(rng, prefix, year, gender);
    let old_id = draw::old_id(rng, year, OLD_ID_SHARE);
    Relative {
        relation: Some(relation.to_owned()),
        id: Some(id),
        old_id,
        full_name: Some(draw::full_name(rng, family, gender)),
    }
}
