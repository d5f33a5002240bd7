//! Pure core of the route stage.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dossierflow_domain::{AgencyId, Catalog, Level, Procedure, WorkingCalendar, vn_offset};

/// Where a dossier goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The responsible agency.
    Agency(AgencyId),
    /// No automatic choice: an officer decides. The reason is for that officer.
    Triage(String),
}

/// Chooses the responsible agency.
pub fn choose(
    procedure: &Procedure,
    receiving_unit: Option<&str>,
    residence_commune: Option<&str>,
    catalog: &Catalog,
) -> Target {
    if let Some(unit) = receiving_unit {
        return match AgencyId::parse(unit)
            .ok()
            .and_then(|id| catalog.agency(&id))
        {
            None => Target::Triage(format!("receiving unit {unit} is not a known agency")),
            Some(a) if a.level != procedure.level => Target::Triage(format!(
                "receiving unit {unit} is not at the procedure's level"
            )),
            Some(a)
                if procedure.level == Level::Province && !procedure.agencies.contains(&a.id) =>
            {
                Target::Triage(format!(
                    "receiving unit {unit} does not execute procedure {}",
                    procedure.code
                ))
            }
            Some(a) => Target::Agency(a.id.clone()),
        };
    }
    match procedure.level {
        Level::Province => match procedure.agencies.first() {
            Some(a) => Target::Agency(a.clone()),
            None => Target::Triage(format!(
                "procedure {} lists no executing agency",
                procedure.code
            )),
        },
        Level::Commune => match residence_commune {
            None => Target::Triage(
                "permanent residence unknown: commune-level procedure needs it".into(),
            ),
            Some(c) => match catalog
                .current_commune(c)
                .and_then(|u| catalog.commune_agency(&u.code))
            {
                Some(a) => Target::Agency(a.id.clone()),
                None => Target::Triage(format!("no commune agency for residence commune {c}")),
            },
        },
    }
}

/// The local (Asia/Ho_Chi_Minh) day of reception: the day in the dossier code.
pub fn reception_day(received: DateTime<Utc>) -> NaiveDate {
    received.with_timezone(&vn_offset()).date_naive()
}

/// The due date of a dossier received at `received`, from the procedure's processing
/// time and the working calendar.
pub fn due_date(
    procedure: &Procedure,
    received: DateTime<Utc>,
    calendar: &WorkingCalendar,
) -> Result<DateTime<Utc>, String> {
    let local = received.with_timezone(&vn_offset()).naive_local();
    let due_local = calendar.due_date(local, procedure.processing);
    vn_offset()
        .from_local_datetime(&due_local)
        .single()
        .map(|due| due.with_timezone(&Utc))
        .ok_or_else(|| "due date is not a valid local time".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossierflow_domain::Catalog;

    fn catalog() -> Catalog {
        Catalog::embedded().expect("embedded catalogue is valid")
    }

    fn of_level(c: &Catalog, level: Level) -> Procedure {
        c.procedures()
            .iter()
            .find(|p| p.level == level)
            .cloned()
            .expect("a procedure of that level")
    }

    #[test]
    fn province_procedures_go_to_their_executing_agency() {
        let c = catalog();
        let p = of_level(&c, Level::Province);
        assert_eq!(
            choose(&p, None, None, &c),
            Target::Agency(p.agencies[0].clone())
        );
    }

    #[test]
    fn commune_procedures_follow_residence_including_legacy_units() {
        let c = catalog();
        let p = of_level(&c, Level::Commune);
        let current = c.current_communes()[0].code.clone();
        let agency = c.commune_agency(&current).expect("agency").id.clone();
        assert_eq!(choose(&p, None, Some(&current), &c), Target::Agency(agency));
        let legacy = c.legacy_communes()[0].code.clone();
        let mapped = c.current_commune(&legacy).expect("mapped").code.clone();
        let expected = c.commune_agency(&mapped).expect("agency").id.clone();
        assert_eq!(
            choose(&p, None, Some(&legacy), &c),
            Target::Agency(expected)
        );
    }

    #[test]
    fn unroutable_dossiers_go_to_triage_with_a_reason() {
        let c = catalog();
        let p = of_level(&c, Level::Commune);
        assert!(matches!(choose(&p, None, None, &c), Target::Triage(r) if r.contains("residence")));
        assert!(
            matches!(choose(&p, None, Some("99999"), &c), Target::Triage(r) if r.contains("99999"))
        );
        assert!(
            matches!(choose(&p, Some("000.00.00.Z99"), None, &c), Target::Triage(r) if r.contains("not a known agency"))
        );
    }

    #[test]
    fn receiving_unit_wins_when_it_executes_the_procedure() {
        let c = catalog();
        let p = of_level(&c, Level::Commune);
        let other = c.current_communes()[1].code.clone();
        let chosen = c.commune_agency(&other).expect("agency").id.clone();
        let first = c.current_communes()[0].code.clone();
        assert_eq!(
            choose(&p, Some(chosen.as_str()), Some(&first), &c),
            Target::Agency(chosen.clone())
        );
        let province = of_level(&c, Level::Province);
        assert!(matches!(
            choose(&province, Some(chosen.as_str()), None, &c),
            Target::Triage(_)
        ));
    }

    #[test]
    fn reception_reproduces_the_guide_example() {
        let c = catalog();
        let cal = WorkingCalendar::vietnam().expect("calendar");
        let mut p = of_level(&c, Level::Province);
        p.processing = dossierflow_domain::ProcessingTime::WorkingDays(15);
        // 06/03/2023 14:27:45 in Hà Nội time is 07:27:45 UTC.
        let received = DateTime::parse_from_rfc3339("2023-03-06T07:27:45Z")
            .expect("t")
            .with_timezone(&Utc);
        let due = due_date(&p, received, &cal).expect("due date");
        assert_eq!(due.to_rfc3339(), "2023-03-27T07:27:45+00:00");
        // 23:30 UTC is already the next morning in Hà Nội: the code carries that day.
        let late = DateTime::parse_from_rfc3339("2023-03-06T23:30:00Z")
            .expect("t")
            .with_timezone(&Utc);
        assert_eq!(reception_day(late).to_string(), "2023-03-07");
    }
}
