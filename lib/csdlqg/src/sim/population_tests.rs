//! Tests of the synthetic population.

use dossierflow_domain::IdKind;
use dossierflow_domain::{CitizenName, NationalId};

use super::*;

#[test]
fn same_seed_same_people_other_seed_other_people() {
    let a = Population::synthetic(42, 200, Vec::new());
    let b = Population::synthetic(42, 200, Vec::new());
    let c = Population::synthetic(43, 200, Vec::new());
    assert_eq!(a.len(), 200);
    assert!(a.people() == b.people());
    assert!(a.people() != c.people());
}

#[test]
fn ids_are_consistent_with_birth_year_gender_and_province() {
    let pop = Population::synthetic(7, 1000, Vec::new());
    for p in pop.people() {
        let id = p.id.as_str();
        assert_eq!(p.id.kind(), IdKind::Cccd);
        assert_eq!(id.len(), 12);
        let digit = id.as_bytes()[3] - b'0';
        let year = p.birth.year();
        let century = if year >= 2000 { 2 } else { 0 };
        assert_eq!(digit - digit % 2, century, "century digit for {year}");
        assert_eq!(digit % 2 == 1, p.gender == Gender::Female);
        assert_eq!(id[4..6].parse::<i32>().unwrap(), year % 100);
        assert!((1940..=2010).contains(&year));
        let province = p.birth_registration.province.as_deref().unwrap();
        assert_eq!(&id[1..3], province, "CCCD prefix is the birth province");
        assert!(pop.find(id).is_some_and(|q| q.id == p.id));
        assert_eq!(p.id.check_consistency(&p.birth, Some(p.gender)), Ok(()));
    }
}

#[test]
fn mix_of_old_ids_year_only_dates_and_diacritics() {
    let pop = Population::synthetic(1, 1000, Vec::new());
    let old: Vec<&Person> = pop.people().iter().filter(|p| p.old_id.is_some()).collect();
    assert!(old.len() > 100, "some people have a CMND: {}", old.len());
    for p in &old {
        let cmnd = p.old_id.as_deref().unwrap();
        assert_eq!(cmnd.len(), 9);
        assert!(p.birth.year() < 2000);
        assert!(pop.find(cmnd).is_some_and(|q| q.id == p.id));
    }
    let year_only = pop
        .people()
        .iter()
        .filter(|p| matches!(p.birth, BirthDate::YearOnly(_)))
        .count();
    assert!(
        (5..150).contains(&year_only),
        "a few year-only dates: {year_only}"
    );
    let nguyen = pop
        .people()
        .iter()
        .filter(|p| p.name.as_str().starts_with("Nguyễn "))
        .count();
    assert!(
        nguyen > 200,
        "Nguyễn is the most common family name: {nguyen}"
    );
    assert!(
        pop.people()
            .iter()
            .all(|p| p.name.as_str().split(' ').count() >= 3)
    );
    assert!(pop.find("000000000000").is_none());
}

#[test]
fn permanent_addresses_come_from_the_given_communes() {
    let commune = Address {
        province: Some("25".into()),
        commune: Some("09999".into()),
        ..Address::default()
    };
    let pop = Population::synthetic(3, 50, vec![commune]);
    for p in pop.people() {
        assert_eq!(p.permanent.commune.as_deref(), Some("09999"));
        assert!(p.permanent.detail.is_some());
    }
    let record = pop.record(pop.person(0));
    let p = pop.person(0);
    assert_eq!(record.id.as_deref(), Some(p.id.as_str()));
    assert_eq!(record.full_name, p.name.as_str());
    assert_eq!(record.birth, p.birth);
    assert_eq!(record.permanent.as_ref(), Some(&p.permanent));
    assert!(!format!("{p:?}").contains(p.id.as_str()));
}

#[test]
fn relatives_are_plausible_and_consistent() {
    let pop = Population::synthetic(11, 2000, Vec::new());
    let (mut adults, mut married_adults) = (0, 0);
    for p in pop.people() {
        let year = p.birth.year();
        let family = p.name.as_str().split(' ').next().unwrap();
        let father = p.father.as_ref().expect("father");
        let mother = p.mother.as_ref().expect("mother");
        assert_eq!(father.relation.as_deref(), Some("Cha"));
        assert_eq!(mother.relation.as_deref(), Some("Mẹ"));
        let father_name = father.full_name.as_deref().unwrap();
        assert_eq!(father_name.split(' ').next(), Some(family), "father's Họ");
        for (parent, gender) in [(father, Gender::Male), (mother, Gender::Female)] {
            let id = NationalId::parse(parent.id.as_deref().unwrap()).unwrap();
            assert_eq!(id.kind(), IdKind::Cccd);
            assert_eq!(id.gender(), Some(gender));
            let parent_year = id.birth_year().unwrap();
            assert!(parent_year + 18 <= year, "{parent_year} vs {year}");
            assert!(parent_year >= 1900);
            assert!(parent.old_id.as_ref().is_none_or(|o| o.len() == 9));
            assert!(CitizenName::parse(parent.full_name.as_deref().unwrap()).is_ok());
        }
        let adult = 2026 - year >= 18;
        adults += usize::from(adult);
        let married = p.marital_status == MaritalStatus::Married;
        married_adults += usize::from(adult && p.spouse.is_some());
        assert_eq!(p.spouse.is_some(), married);
        if let Some(spouse) = &p.spouse {
            let id = NationalId::parse(spouse.id.as_deref().unwrap()).unwrap();
            assert_ne!(id.gender(), Some(p.gender), "spouse of the other gender");
            assert!(id.birth_year().is_some_and(|y| y <= 2008));
        }
        assert_eq!(p.representative.is_some(), !adult);
        let head = p.head_of_household.as_ref().expect("head of household");
        let self_head = head.id.as_deref() == Some(p.id.as_str());
        assert!(self_head || head.id == father.id, "head is father or self");
        let relation = if self_head { "Chủ hộ" } else { "Con" };
        assert_eq!(head.relation.as_deref(), Some(relation));
        let book = p.household_book.as_deref().expect("household book");
        assert!(book.len() == 9 && book.bytes().all(|b| b.is_ascii_digit()));
        let province = p.permanent.province.as_deref().unwrap();
        assert!(
            book.starts_with(province),
            "book numbered in the residence province"
        );
        let record = pop.record(p);
        assert_eq!(record.mother.as_ref(), Some(mother));
        assert_eq!(record.household_book.as_deref(), Some(book));
    }
    let share = married_adults as f64 / adults as f64;
    assert!(
        (0.4..0.7).contains(&share),
        "spouse for about half the adults: {share}"
    );
}

/// Run with `--ignored --nocapture` in debug and release to measure generation time.
#[test]
#[ignore = "timing measurement, run by hand"]
fn time_one_hundred_thousand() {
    let started = std::time::Instant::now();
    let pop = Population::synthetic(2023, 100_000, Vec::new());
    let elapsed = started.elapsed();
    assert_eq!(pop.len(), 100_000);
    println!("Population::synthetic(100_000) took {elapsed:?}");
}
