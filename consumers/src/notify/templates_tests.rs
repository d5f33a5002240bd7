//! Tests of the message templates.
use super::*;

const CHANNELS: [Channel; 3] = [Channel::Sms, Channel::Email, Channel::Zalo];

fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day)
}

fn full() -> MessageContext {
    MessageContext {
        dossier_code: Some("000.00.92.H55-230206-0001".into()),
        procedure_name: "Đăng ký khai sinh".into(),
        status_name_vi: "Được tiếp nhận".into(),
        due_date: d(2023, 3, 27),
        supplement_deadline: d(2023, 3, 10),
        reason: Some("thiếu bản sao giấy chứng sinh".into()),
        new_appointment: d(2023, 4, 3),
        agency_name: Some("UBND phường Bến Nghé".into()),
    }
}

/// A context with only the variables `spec` requires.
fn minimal(spec: &Spec) -> MessageContext {
    let f = full();
    let has = |v: &str| spec.required.contains(&v);
    MessageContext {
        dossier_code: f.dossier_code.filter(|_| has("dossier_code")),
        due_date: f.due_date.filter(|_| has("due_date")),
        supplement_deadline: f.supplement_deadline.filter(|_| has("supplement_deadline")),
        reason: f.reason.filter(|_| has("reason")),
        new_appointment: f.new_appointment.filter(|_| has("new_appointment")),
        agency_name: None,
        ..f
    }
}

#[test]
fn every_template_renders_on_every_channel_with_a_full_and_a_minimal_context() {
    let t = Templates::embedded().expect("must succeed");
    for spec in SPECS {
        for ctx in [full(), minimal(spec)] {
            for ch in CHANNELS {
                let r = t.render(spec.name, ch, &ctx).expect("must succeed");
                assert_eq!(r.template_version, "v1");
                assert!(
                    !r.body.is_empty() && !r.body.contains("{{"),
                    "{}",
                    spec.name
                );
                assert_eq!(r.subject.is_some(), ch == Channel::Email, "{}", spec.name);
            }
        }
    }
}

#[test]
fn a_missing_required_variable_is_a_clear_error() {
    let t = Templates::embedded().expect("must succeed");
    for spec in SPECS {
        for &var in spec.required {
            let mut ctx = full();
            match var {
                "dossier_code" => ctx.dossier_code = None,
                "due_date" => ctx.due_date = None,
                "supplement_deadline" => ctx.supplement_deadline = None,
                "reason" => ctx.reason = None,
                "new_appointment" => ctx.new_appointment = None,
                // Always present in the context type; nothing to remove.
                _ => continue,
            }
            for ch in CHANNELS {
                let err = t.render(spec.name, ch, &ctx).expect_err("must fail");
                assert!(
                    matches!(err, TemplateError::MissingVariable { variable, .. } if variable == var),
                    "{} {var}: {err}",
                    spec.name
                );
                assert!(err.to_string().contains(var), "{err}");
            }
        }
    }
}

#[test]
fn undefined_variables_are_errors_not_empty_strings() {
    let t = Templates::embedded().expect("must succeed");
    let empty: BTreeMap<&str, Value> = BTreeMap::new();
    for spec in SPECS {
        for ch in [Channel::Sms, Channel::Email] {
            let err = t
                .env
                .get_template(&file_name(spec.name, ch))
                .expect("must succeed")
                .render(&empty);
            assert_eq!(
                err.expect_err("must fail").kind(),
                minijinja::ErrorKind::UndefinedError
            );
        }
    }
}

#[test]
fn receipt_sms_has_the_dossier_code_and_the_due_date_as_dd_mm_yyyy() {
    let t = Templates::embedded().expect("must succeed");
    let r = t
        .render("received", Channel::Sms, &full())
        .expect("must succeed");
    assert!(r.body.contains("000.00.92.H55-230206-0001"), "{}", r.body);
    assert!(r.body.contains("27/03/2023"), "{}", r.body);
    let e = t
        .render("received", Channel::Email, &full())
        .expect("must succeed");
    assert_eq!(
        e.subject.as_deref(),
        Some("Hồ sơ 000.00.92.H55-230206-0001 đã được tiếp nhận")
    );
}

#[test]
fn overdue_apology_carries_the_new_appointment() {
    let t = Templates::embedded().expect("must succeed");
    let r = t
        .render("overdue", Channel::Sms, &full())
        .expect("must succeed");
    assert!(
        r.body.contains("xin lỗi") && r.body.contains("03/04/2023"),
        "{}",
        r.body
    );
}

#[test]
fn an_unknown_template_is_an_error() {
    let t = Templates::embedded().expect("must succeed");
    let err = t
        .render("nope", Channel::Sms, &full())
        .expect_err("must fail");
    assert!(matches!(err, TemplateError::Unknown(_)), "{err}");
}

#[test]
fn template_for_every_status() {
    use Status::*;
    let want = [
        (Submitted, Some("submitted")),
        (Received, Some("received")),
        (Refused, Some("refused")),
        (Processing, None),
        (SupplementRequested, Some("supplement_requested")),
        (PaymentRequested, Some("payment_requested")),
        (Withdrawn, Some("withdrawn")),
        (Stopped, Some("stopped")),
        (Completed, Some("completed")),
        (Returned, Some("returned")),
    ];
    assert_eq!(want.len(), Status::ALL.len());
    for (status, name) in want {
        assert_eq!(template_for(status, false), name, "{status:?}");
        // Overdue is the apology whatever the status.
        assert_eq!(template_for(status, true), Some("overdue"), "{status:?}");
    }
    // Every name it returns is an embedded template, and every template is reachable.
    let t = Templates::embedded().expect("must succeed");
    let reachable: Vec<&str> = Status::ALL
        .into_iter()
        .flat_map(|s| [template_for(s, false), template_for(s, true)])
        .flatten()
        .collect();
    for name in &reachable {
        t.render(name, Channel::Sms, &full()).expect("must succeed");
    }
    assert!(Templates::names().all(|n| reachable.contains(&n)));
}

#[test]
fn every_sms_with_a_full_context_stays_within_three_segments() {
    use super::super::sms::{SmsEncoding, segments};
    let t = Templates::embedded().expect("must succeed");
    let long_agency = MessageContext {
        agency_name: Some("Ủy ban nhân dân phường Bến Nghé".into()),
        ..full()
    };
    let no_appointment = MessageContext {
        new_appointment: None,
        ..long_agency.clone()
    };
    for spec in SPECS {
        for ctx in [full(), long_agency.clone(), no_appointment.clone()] {
            let body = t.render(spec.name, Channel::Sms, &ctx).expect("ok").body;
            let cost = segments(&body);
            assert_eq!(cost.encoding, SmsEncoding::Ucs2, "{body}");
            assert!(cost.segments <= 3, "{}: {cost:?} {body}", spec.name);
        }
    }
}

#[test]
fn overdue_apology_without_a_new_appointment_says_one_will_follow() {
    let t = Templates::embedded().expect("must succeed");
    let ctx = MessageContext {
        new_appointment: None,
        ..full()
    };
    for ch in CHANNELS {
        let r = t.render("overdue", ch, &ctx).expect("must succeed");
        assert!(r.body.contains("sẽ thông báo ngày hẹn trả"), "{}", r.body);
        assert!(!r.body.contains("03/04/2023"), "{}", r.body);
    }
}
