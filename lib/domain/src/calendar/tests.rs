//! Unit and property tests for [`WorkingCalendar`].

use proptest::prelude::*;

use super::*;

fn cal() -> WorkingCalendar {
    WorkingCalendar::vietnam().unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn province_guide_example() {
    let due = cal().due_date(at("2023-03-06 14:27:45"), ProcessingTime::WorkingDays(15));
    assert_eq!(due, at("2023-03-27 14:27:45"));
}

#[test]
fn due_date_table() {
    use ProcessingTime::{WorkingDays as D, WorkingHours as H};
    let cases = [
        // Start-of-counting rules.
        ("2024-03-05 18:10:00", H(1), "2024-03-06 08:00:00"), // after 17:00 → next day 07:00
        ("2024-03-05 06:15:00", H(1), "2024-03-05 08:00:00"), // before 07:00 → 07:00
        ("2024-03-05 12:00:00", H(1), "2024-03-05 14:30:00"), // lunch → 13:30
        ("2024-03-09 10:00:00", H(1), "2024-03-11 08:00:00"), // Saturday → Monday 07:00
        ("2024-03-05 17:00:00", H(0), "2024-03-06 07:00:00"),
        ("2024-03-05 11:30:00", H(0), "2024-03-05 13:30:00"),
        // Crossing lunch and evenings.
        ("2024-03-05 11:00:00", H(1), "2024-03-05 14:00:00"),
        ("2024-03-05 16:30:00", H(4), "2024-03-06 10:30:00"),
        ("2024-03-05 07:00:00", D(1), "2024-03-05 17:00:00"), // ends at the close, not next 07:00
        ("2024-03-05 07:00:00", H(4), "2024-03-05 11:00:00"),
        ("2024-03-05 07:00:00", H(5), "2024-03-05 14:00:00"),
        ("2024-03-08 15:00:00", D(1), "2024-03-11 15:00:00"), // over a weekend
        // Holidays and make-up days.
        ("2024-02-07 10:00:00", D(1), "2024-02-15 10:00:00"), // Tết Giáp Thìn 08–14/02
        ("2024-04-26 09:00:00", D(2), "2024-05-03 09:00:00"), // 29/4–01/5 off
        ("2024-05-03 09:00:00", D(1), "2024-05-04 09:00:00"), // make-up Saturday counts
        ("2024-05-04 09:00:00", D(1), "2024-05-06 09:00:00"),
        ("2025-01-24 16:00:00", D(1), "2025-02-03 16:00:00"), // Tết Ất Tỵ, 27/01 swapped
        ("2025-02-07 16:00:00", D(1), "2025-02-08 16:00:00"), // make-up Saturday 08/02
        ("2025-04-25 08:00:00", D(1), "2025-04-26 08:00:00"), // make-up Saturday 26/4
        ("2025-04-29 08:00:00", D(1), "2025-05-05 08:00:00"), // 30/4–02/5 off
        ("2023-08-31 10:00:00", D(1), "2023-09-05 10:00:00"), // 01/9 and 04/9 off
        ("2023-04-28 10:00:00", D(1), "2023-05-04 10:00:00"), // 01–03/5 off
    ];
    let cal = cal();
    for (received, time, want) in cases {
        assert_eq!(
            cal.due_date(at(received), time),
            at(want),
            "{received} + {time:?}"
        );
    }
}

#[test]
fn working_day_table() {
    let cal = cal();
    let cases = [
        ("2023-03-06", true),
        ("2023-03-11", false),
        ("2023-01-02", false),
        ("2024-05-04", true),
        ("2025-02-08", true),
        ("2025-01-27", false),
        ("2025-09-01", false),
        ("2025-09-03", true),
        ("2030-01-02", true), // beyond the data: weekdays work
        ("2030-01-05", false),
    ];
    for (d, want) in cases {
        assert_eq!(cal.is_working_day(date(d)), want, "{d}");
    }
}

#[test]
fn every_year_file_has_a_source_and_statutory_days() {
    let years = data::embedded_years().unwrap();
    assert_eq!(
        years.iter().map(|y| y.year).collect::<Vec<_>>(),
        [2023, 2024, 2025, 2026, 2027]
    );
    for y in &years {
        assert!(y.source.len() > 40, "{}", y.year);
        assert!(
            y.days_off.len() >= 8,
            "{} lists only {} days off",
            y.year,
            y.days_off.len()
        );
    }
}

#[test]
fn bad_data_is_rejected() {
    let weekday_make_up = r#"{"year":2024,"source":"x","days_off":[],"working_days":[{"date":"2024-05-06","name":"x"}]}"#;
    assert!(matches!(
        CalendarYear::from_json("t.json", weekday_make_up),
        Err(CalendarError::Invalid { year: 2024, .. })
    ));
    let wrong_year = r#"{"year":2024,"source":"x","days_off":[{"date":"2025-01-01","name":"x"}],"working_days":[]}"#;
    assert!(CalendarYear::from_json("t.json", wrong_year).is_err());
    let err = CalendarYear::from_json("vn-2099.json", "{").unwrap_err();
    assert!(err.to_string().contains("vn-2099.json"), "{err}");
    let short = vec![(
        NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
    )];
    assert!(matches!(
        WorkingCalendar::new(short, &[]),
        Err(CalendarError::BadOfficeHours)
    ));
}

#[test]
fn offset_is_utc_plus_seven() {
    assert_eq!(vn_offset().local_minus_utc(), 7 * 3600);
}

fn any_received() -> impl Strategy<Value = NaiveDateTime> {
    // 2023-01-01 .. 2028-01-01, to the second.
    (0i64..(5 * 365 * 86_400)).prop_map(|s| at("2023-01-01 00:00:00") + Duration::seconds(s))
}

fn any_time() -> impl Strategy<Value = ProcessingTime> {
    prop_oneof![
        (0u32..60).prop_map(ProcessingTime::WorkingDays),
        (0u32..200).prop_map(ProcessingTime::WorkingHours)
    ]
}

proptest! {
    #[test]
    fn due_is_never_before_received_nor_on_a_day_off(received in any_received(), time in any_time()) {
        let cal = cal();
        let due = cal.due_date(received, time);
        prop_assert!(due >= received);
        prop_assert!(cal.is_working_day(due.date()), "{due} is a day off");
        let t = due.time();
        prop_assert!((hm(7, 0).unwrap()..=hm(11, 30).unwrap()).contains(&t) || (hm(13, 30).unwrap()..=hm(17, 0).unwrap()).contains(&t), "{t} outside office hours");
    }

    #[test]
    fn more_time_is_never_earlier(received in any_received(), a in 0u32..40, b in 0u32..40) {
        let cal = cal();
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(cal.due_date(received, ProcessingTime::WorkingDays(lo)) <= cal.due_date(received, ProcessingTime::WorkingDays(hi)));
        prop_assert!(cal.due_date(received, ProcessingTime::WorkingHours(lo)) <= cal.due_date(received, ProcessingTime::WorkingHours(hi)));
        prop_assert_eq!(cal.due_date(received, ProcessingTime::WorkingDays(a)), cal.due_date(received, ProcessingTime::WorkingHours(a * 8)));
    }

    #[test]
    fn days_are_additive_when_counting_from_inside_office_hours(received in any_received(), a in 1u32..20, b in 1u32..20) {
        let cal = cal();
        let first = cal.due_date(received, ProcessingTime::WorkingHours(a));
        let both = cal.due_date(received, ProcessingTime::WorkingHours(a + b));
        prop_assert_eq!(cal.due_date(first, ProcessingTime::WorkingHours(b)), both);
    }
}

#[test]
fn friday_evening_receipt_before_a_holiday_starts_after_the_holiday() {
    // Friday 26/04/2024 17:05; Mon 29/04 (swapped), 30/04 and 01/05 are days off.
    let due = cal().due_date(at("2024-04-26 17:05:00"), ProcessingTime::WorkingHours(2));
    assert_eq!(due, at("2024-05-02 09:00:00"));
    // Five working days: Thu 2, Fri 3, make-up Sat 4, Mon 6, Tue 7 May.
    let due = cal().due_date(at("2024-04-26 17:05:00"), ProcessingTime::WorkingDays(5));
    assert_eq!(due, at("2024-05-07 17:00:00"));
}

#[test]
fn supplement_pauses_extend_the_due_date_by_the_office_time_waited() {
    let c = cal();
    let received = at("2023-03-06 14:27:45");
    let base = c.due_date(received, ProcessingTime::WorkingDays(15));
    // Paused from Wed 08/03 09:00 to Mon 13/03 09:00: 3 working days of office time.
    let pause = (at("2023-03-08 09:00:00"), at("2023-03-13 09:00:00"));
    assert_eq!(
        c.working_time_between(pause.0, pause.1),
        chrono::Duration::hours(24)
    );
    let due = c.due_date_with_pauses(received, ProcessingTime::WorkingDays(15), &[pause]);
    assert_eq!(due, at("2023-03-30 14:27:45"));
    // A pause entirely over a weekend costs nothing; overlapping pauses count once.
    let weekend = (at("2023-03-11 08:00:00"), at("2023-03-12 20:00:00"));
    assert_eq!(
        c.due_date_with_pauses(received, ProcessingTime::WorkingDays(15), &[weekend]),
        base
    );
    assert_eq!(
        c.due_date_with_pauses(received, ProcessingTime::WorkingDays(15), &[pause, pause]),
        due
    );
}

proptest! {
    #[test]
    fn a_pause_never_shortens_and_lands_on_a_working_day(
        received in any_received(),
        time in any_time(),
        start_offset in 0i64..20_000,
        length in 0i64..20_000,
    ) {
        let c = cal();
        let start = received + chrono::Duration::minutes(start_offset);
        let end = start + chrono::Duration::minutes(length);
        let base = c.due_date(received, time);
        let paused = c.due_date_with_pauses(received, time, &[(start, end)]);
        prop_assert!(paused >= base);
        prop_assert!(c.is_working_day(paused.date()));
    }
}
