//! Renders the typical receipt used in the tests and prints its size per
//! profile (and the bytes as hex with `--hex`).
use kiosk_printer::{Profile, Receipt, render};

fn main() {
    let hex = std::env::args().any(|a| a == "--hex");
    let r = Receipt::new()
        .title("法律援助申请回执")
        .separator()
        .key_value("受理编号", "FY-2024-000123")
        .key_value("申请人", "张三")
        .key_value("案件类型", "劳动争议")
        .key_value("受理时间", "2024-05-01 10:23")
        .separator()
        .text("请于十五个工作日内携带身份证原件到中心窗口办理。")
        .qr("https://example.invalid/r/FY-2024-000123")
        .barcode("FY2024000123")
        .cut();
    for p in Profile::all() {
        let out = render(&r, p, None).expect("renders");
        println!("{}: {} bytes", p.id, out.len());
        if hex {
            let s: Vec<String> = out.iter().map(|b| format!("{b:02x}")).collect();
            println!("{}", s.join(" "));
        }
    }
}
