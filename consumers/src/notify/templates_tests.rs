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
