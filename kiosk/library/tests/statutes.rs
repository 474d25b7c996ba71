//! The shipped statute texts load and resolve citations as the content
//! README describes.

use std::path::PathBuf;

use kiosk_library::{Citation, Statutes};

fn laws_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/laws")
}

fn cite(s: &str) -> Citation {
    Citation::parse(s).unwrap()
}

#[test]
fn every_short_name_from_the_content_readme_is_registered() {
    let statutes = Statutes::load(laws_dir()).unwrap();
    for name in [
        "民法典",
        "刑法",
        "民间借贷规定",
        "婚姻家庭编解释一",
        "婚姻家庭编解释二",
        "继承编解释一",
        "法律援助法",
        "劳动合同法",
        "劳动争议调解仲裁法",
        "保障农民工工资支付条例",
        "物业管理条例",
        "道路交通安全法",
        "人民调解法",
    ] {
        assert!(statutes.law(name).is_some(), "{name} missing");
    }
}

#[test]
fn civil_code_spans_all_its_book_files_under_one_name() {
    let statutes = Statutes::load(laws_dir()).unwrap();
    let code = statutes.law("民法典").unwrap();
    assert_eq!(code.files().len(), 8);
    assert_eq!(code.title(), "中华人民共和国民法典");
    assert_eq!(code.article_count(), 1260);
    assert!(statutes.article_text(&cite("民法典第1条")).is_some());
    assert!(statutes.article_text(&cite("民法典第1260条")).is_some());
    assert!(statutes.article_text(&cite("民法典第1261条")).is_none());
}

#[test]
fn article_text_is_the_whole_article_with_its_heading() {
    let statutes = Statutes::load(laws_dir()).unwrap();
    let text = statutes.article_text(&cite("民法典第1076条")).unwrap();
    assert!(
        text.starts_with("第一千零七十六条 夫妻双方自愿离婚的"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "two paragraphs: {text}");
    assert!(!text.contains("第一千零七十七条"));
}

#[test]
fn inserted_articles_resolve_with_zhi_numbers() {
    let statutes = Statutes::load(laws_dir()).unwrap();
    let text = statutes.article_text(&cite("刑法第133条之一")).unwrap();
    assert!(text.starts_with("第一百三十三条之一"));
    assert!(text.contains("（二）醉酒驾驶机动车的；"));
    let plain = statutes.article_text(&cite("刑法第133条")).unwrap();
    assert!(!plain.contains("醉酒"), "第133条 must stop before 之一");
}

#[test]
fn full_titles_come_from_the_files_first_heading() {
    let statutes = Statutes::load(laws_dir()).unwrap();
    assert_eq!(
        statutes.law("劳动合同法").unwrap().title(),
        "中华人民共和国劳动合同法"
    );
    assert_eq!(
        statutes.law("民间借贷规定").unwrap().title(),
        "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"
    );
}

#[test]
fn arbitration_law_is_readable_but_marked_superseded() {
    let statutes = Statutes::load(laws_dir()).unwrap();
    let law = statutes.law("仲裁法").unwrap();
    assert!(law.superseded().is_some());
    assert!(statutes.article_text(&cite("仲裁法第1条")).is_some());
    for law in statutes.laws().filter(|l| l.short_name() != "仲裁法") {
        assert!(law.superseded().is_none(), "{}", law.short_name());
    }
}

#[test]
fn missing_statute_folder_is_an_error_naming_it() {
    let err = Statutes::load("/nonexistent/laws").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/laws"));
}
