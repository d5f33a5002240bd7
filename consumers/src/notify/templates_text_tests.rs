//! The exact Vietnamese text of every template, SMS and e-mail, with a fixed context, and
//! what each SMS costs: Vietnamese with diacritics is always UCS-2, 70 UTF-16 units in one
//! SMS and 67 per part of a longer one (71–134 units: 2 segments, 135–201: 3).
use super::super::sms::{SmsEncoding, segments};
use super::*;

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The fixed context: a birth registration at a ward, due 27/03/2023.
fn ctx(status: Status) -> MessageContext {
    MessageContext {
        dossier_code: Some("000.00.92.H55-230206-0001".into()),
        procedure_name: "Đăng ký khai sinh".into(),
        status_name_vi: status.name_vi().into(),
        due_date: date(2023, 3, 27),
        agency_name: Some("UBND phường Bến Nghé".into()),
        ..MessageContext::default()
    }
}

fn with_reason(status: Status, reason: &str) -> MessageContext {
    MessageContext {
        reason: Some(reason.into()),
        ..ctx(status)
    }
}

/// Renders `name` for SMS and e-mail and compares both with `expected`: the SMS text, a
/// `---` line, then the e-mail exactly as sent (subject, empty line, body). The SMS must be
/// UCS-2 and cost `sms_segments`.
fn check(name: &str, ctx: &MessageContext, sms_segments: u32, expected: &str) {
    let (sms, email) = expected.split_once("\n---\n").expect("SMS --- e-mail");
    let (subject, body) = email.split_once("\n\n").expect("subject, empty line, body");
    let t = Templates::embedded().expect("templates parse");
    let got = t.render(name, Channel::Sms, ctx).expect("SMS renders");
    assert_eq!(got.body, sms, "{name} SMS");
    let cost = segments(&got.body);
    assert_eq!(cost.encoding, SmsEncoding::Ucs2, "{name}");
    assert_eq!(cost.segments, sms_segments, "{name}: {cost:?}");
    let got = t.render(name, Channel::Email, ctx).expect("e-mail renders");
    assert_eq!(got.subject.as_deref(), Some(subject), "{name} subject");
    assert_eq!(got.body, body, "{name} e-mail body");
}

#[test]
fn submitted_text() {
    let ctx = MessageContext {
        dossier_code: None,
        ..ctx(Status::Submitted)
    };
    check("submitted", &ctx, 3, "\
Hồ sơ Đăng ký khai sinh của Ông/Bà đã được gửi thành công, trạng thái: Mới đăng ký. Cơ quan sẽ kiểm tra và thông báo kết quả tiếp nhận.
---
Đã gửi hồ sơ Đăng ký khai sinh

Kính gửi Ông/Bà,

Hồ sơ thủ tục \"Đăng ký khai sinh\" của Ông/Bà đã được gửi thành công.
Trạng thái: Mới đăng ký.
Cơ quan tiếp nhận: UBND phường Bến Nghé.

Cơ quan sẽ kiểm tra hồ sơ và thông báo kết quả tiếp nhận cho Ông/Bà.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn received_text() {
    check("received", &ctx(Status::Received), 3, "\
Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã được tiếp nhận. Ngày hẹn trả kết quả: 27/03/2023. Cơ quan: UBND phường Bến Nghé.
---
Hồ sơ 000.00.92.H55-230206-0001 đã được tiếp nhận

Kính gửi Ông/Bà,

Hồ sơ thủ tục \"Đăng ký khai sinh\" đã được tiếp nhận.
Mã hồ sơ: 000.00.92.H55-230206-0001
Trạng thái: Được tiếp nhận
Ngày hẹn trả kết quả: 27/03/2023
Cơ quan giải quyết: UBND phường Bến Nghé

Ông/Bà có thể tra cứu tiến độ bằng mã hồ sơ trên Cổng Dịch vụ công.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn refused_text() {
    let ctx = with_reason(Status::Refused, "thiếu bản sao giấy chứng sinh");
    check(
        "refused",
        &ctx,
        2,
        "\
Hồ sơ Đăng ký khai sinh của Ông/Bà không được tiếp nhận. Lý do: thiếu bản sao giấy chứng sinh.
---
Hồ sơ Đăng ký khai sinh không được tiếp nhận

Kính gửi Ông/Bà,

Hồ sơ thủ tục \"Đăng ký khai sinh\" của Ông/Bà không được tiếp nhận.
Trạng thái: Không được tiếp nhận
Lý do: thiếu bản sao giấy chứng sinh
Cơ quan: UBND phường Bến Nghé

Ông/Bà có thể hoàn thiện và nộp lại hồ sơ.

Đây là thư tự động, vui lòng không trả lời.",
    );
}

#[test]
fn supplement_requested_text() {
    let ctx = MessageContext {
        supplement_deadline: date(2023, 3, 10),
        ..with_reason(Status::SupplementRequested, "bản sao giấy chứng sinh")
    };
    check("supplement_requested", &ctx, 2, "\
Hồ sơ 000.00.92.H55-230206-0001 cần bổ sung giấy tờ: bản sao giấy chứng sinh. Hạn bổ sung: 10/03/2023.
---
Hồ sơ 000.00.92.H55-230206-0001: yêu cầu bổ sung giấy tờ

Kính gửi Ông/Bà,

Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) cần bổ sung giấy tờ.
Trạng thái: Yêu cầu bổ sung giấy tờ
Nội dung cần bổ sung: bản sao giấy chứng sinh
Hạn bổ sung: 10/03/2023
Cơ quan giải quyết: UBND phường Bến Nghé

Thời gian chờ bổ sung không tính vào thời hạn giải quyết; ngày hẹn trả sẽ được lùi tương ứng.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn payment_requested_text() {
    let fee = "lệ phí cấp 2 bản sao trích lục khai sinh 16.000 đồng";
    check("payment_requested", &with_reason(Status::PaymentRequested, fee), 3, "\
Hồ sơ 000.00.92.H55-230206-0001 cần thực hiện nghĩa vụ tài chính: lệ phí cấp 2 bản sao trích lục khai sinh 16.000 đồng. Mời Ông/Bà nộp phí, lệ phí để hồ sơ được tiếp tục giải quyết.
---
Hồ sơ 000.00.92.H55-230206-0001: yêu cầu thực hiện nghĩa vụ tài chính

Kính gửi Ông/Bà,

Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) cần thực hiện nghĩa vụ tài chính.
Trạng thái: Yêu cầu thực hiện nghĩa vụ tài chính
Nội dung cần nộp: lệ phí cấp 2 bản sao trích lục khai sinh 16.000 đồng
Cơ quan giải quyết: UBND phường Bến Nghé

Mời Ông/Bà nộp phí, lệ phí theo hướng dẫn trên Cổng Dịch vụ công hoặc tại nơi tiếp nhận hồ sơ. Hồ sơ sẽ được tiếp tục giải quyết sau khi Ông/Bà hoàn thành nghĩa vụ tài chính.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn withdrawn_text_with_and_before_a_dossier_code() {
    check("withdrawn", &ctx(Status::Withdrawn), 2, "\
Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã được rút theo yêu cầu của Ông/Bà và không tiếp tục giải quyết.
---
Hồ sơ 000.00.92.H55-230206-0001 đã được rút

Kính gửi Ông/Bà,

Hồ sơ thủ tục \"Đăng ký khai sinh\" đã được rút theo yêu cầu của Ông/Bà.
Mã hồ sơ: 000.00.92.H55-230206-0001
Trạng thái: Công dân yêu cầu rút hồ sơ
Cơ quan giải quyết: UBND phường Bến Nghé

Hồ sơ không tiếp tục được giải quyết. Khi có nhu cầu, Ông/Bà có thể nộp hồ sơ mới trên Cổng Dịch vụ công.

Đây là thư tự động, vui lòng không trả lời.");
    // Withdrawn before reception: no dossier code yet (and no agency here).
    let ctx = MessageContext {
        dossier_code: None,
        agency_name: None,
        ..ctx(Status::Withdrawn)
    };
    check("withdrawn", &ctx, 2, "\
Hồ sơ Đăng ký khai sinh đã được rút theo yêu cầu của Ông/Bà và không tiếp tục giải quyết.
---
Hồ sơ Đăng ký khai sinh đã được rút

Kính gửi Ông/Bà,

Hồ sơ thủ tục \"Đăng ký khai sinh\" đã được rút theo yêu cầu của Ông/Bà.
Trạng thái: Công dân yêu cầu rút hồ sơ

Hồ sơ không tiếp tục được giải quyết. Khi có nhu cầu, Ông/Bà có thể nộp hồ sơ mới trên Cổng Dịch vụ công.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn stopped_text() {
    let ctx = with_reason(Status::Stopped, "quá hạn bổ sung giấy tờ");
    check("stopped", &ctx, 2, "\
Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã bị dừng xử lý. Lý do: quá hạn bổ sung giấy tờ. Cơ quan: UBND phường Bến Nghé.
---
Hồ sơ 000.00.92.H55-230206-0001 bị dừng xử lý

Kính gửi Ông/Bà,

Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã bị dừng xử lý.
Trạng thái: Dừng xử lý
Lý do: quá hạn bổ sung giấy tờ
Cơ quan giải quyết: UBND phường Bến Nghé

Nếu cần thêm thông tin, Ông/Bà vui lòng liên hệ cơ quan giải quyết hoặc tra cứu bằng mã hồ sơ trên Cổng Dịch vụ công.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn completed_text() {
    check("completed", &ctx(Status::Completed), 2, "\
Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã có kết quả. Mời Ông/Bà đến nhận tại UBND phường Bến Nghé.
---
Hồ sơ 000.00.92.H55-230206-0001 đã có kết quả

Kính gửi Ông/Bà,

Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã được giải quyết xong.
Trạng thái: Đã xử lý xong
Nơi nhận kết quả: UBND phường Bến Nghé

Mời Ông/Bà đến nhận kết quả hoặc theo dõi trên Cổng Dịch vụ công.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn returned_text() {
    check("returned", &ctx(Status::Returned), 2, "\
Hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã được trả kết quả. Cảm ơn Ông/Bà đã sử dụng dịch vụ công.
---
Hồ sơ 000.00.92.H55-230206-0001 đã được trả kết quả

Kính gửi Ông/Bà,

Kết quả giải quyết hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) đã được trả cho Ông/Bà.
Trạng thái: Đã trả kết quả
Cơ quan giải quyết: UBND phường Bến Nghé

Ông/Bà có thể đánh giá mức độ hài lòng về việc giải quyết hồ sơ trên Cổng Dịch vụ công.

Cảm ơn Ông/Bà đã sử dụng dịch vụ công.

Đây là thư tự động, vui lòng không trả lời.");
}

#[test]
fn overdue_text_with_and_without_a_new_appointment() {
    let ctx1 = MessageContext {
        new_appointment: date(2023, 4, 3),
        ..with_reason(Status::Processing, "cần xác minh thêm thông tin")
    };
    check("overdue", &ctx1, 3, "\
UBND phường Bến Nghé xin lỗi: hồ sơ 000.00.92.H55-230206-0001 chưa có kết quả đúng hẹn do cần xác minh thêm thông tin. Ngày hẹn trả mới: 03/04/2023.
---
Xin lỗi và hẹn lại ngày trả kết quả hồ sơ 000.00.92.H55-230206-0001

Kính gửi Ông/Bà,

UBND phường Bến Nghé thành thật xin lỗi vì hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) chưa có kết quả đúng hẹn.
Lý do: cần xác minh thêm thông tin
Trạng thái: Đang xử lý
Ngày hẹn trả kết quả mới: 03/04/2023

Mong Ông/Bà thông cảm.

Đây là thư tự động, vui lòng không trả lời.");
    // From the automatic overdue detector: no new date, no reason, no agency name.
    let ctx2 = MessageContext {
        agency_name: None,
        ..ctx(Status::Processing)
    };
    check("overdue", &ctx2, 2, "\
Cơ quan giải quyết xin lỗi: hồ sơ 000.00.92.H55-230206-0001 chưa có kết quả đúng hẹn. Cơ quan sẽ thông báo ngày hẹn trả mới.
---
Xin lỗi và hẹn lại ngày trả kết quả hồ sơ 000.00.92.H55-230206-0001

Kính gửi Ông/Bà,

Cơ quan giải quyết thành thật xin lỗi vì hồ sơ 000.00.92.H55-230206-0001 (Đăng ký khai sinh) chưa có kết quả đúng hẹn.
Trạng thái: Đang xử lý
Cơ quan giải quyết sẽ thông báo ngày hẹn trả kết quả mới.

Mong Ông/Bà thông cảm.

Đây là thư tự động, vui lòng không trả lời.");
}
