use chrono::TimeDelta;

use super::*;
use crate::notify::notification::Place;
use crate::notify::notification::tests::notice;

fn cx(lang: Lang) -> Context<'static> {
    Context {
        lang,
        zone: chrono_tz::Asia::Shanghai,
        link: Some("https://aq.example.cn/alarms/{id}"),
        channel: "duty",
    }
}

fn named(event: Event) -> AlarmNotice {
    let mut a = notice(event);
    a.place = Place {
        name: Some("南城".into()),
        name_en: Some("Nancheng".into()),
        district: Some("南城街道".into()),
    };
    a
}

#[test]
fn an_opened_alarm_in_both_languages() {
    let a = named(Event::Opened);
    let id = a.key().id().to_string();
    let n = Notification::Alarm(Box::new(a));
    let zh = render(&n, "lt1-k", None, cx(Lang::Zh));
    assert_eq!(zh.title, "【较重】超标告警开启 · 南城（DG01）");
    assert_eq!(
        zh.lines,
        [
            "事件：告警开启",
            "对象：南城（DG01），南城街道",
            "规则：pm25_1h（超标）",
            "级别：较重",
            "数值：PM2.5 小时均值 186 µg/m³（阈值 150 µg/m³）",
            "时间：2025-06-01 14:00 (UTC+08:00)",
            &format!("告警编号：{id}"),
        ]
    );
    assert_eq!(
        zh.link.as_deref(),
        Some(&*format!("https://aq.example.cn/alarms/{id}"))
    );
    let en = render(&n, "lt1-k", None, cx(Lang::En));
    assert_eq!(en.title, "[MAJOR] Threshold alarm opened · Nancheng (DG01)");
    assert_eq!(
        en.lines[4],
        "Value: PM2.5 1-h mean 186 µg/m³ (threshold 150 µg/m³)"
    );
    assert!(
        en.markdown()
            .starts_with("### [MAJOR] Threshold alarm opened")
    );
    assert!(en.markdown().ends_with(&format!(
        "[Open the alarm](https://aq.example.cn/alarms/{id})"
    )));
    assert_eq!(en.data["alarm_id"], id);
    assert_eq!(en.data["notification"]["type"], "alarm");
    assert_eq!(en.data["notification"]["subject"], "station/DG01");
}

#[test]
fn a_closed_alarm_with_its_summary() {
    let mut a = named(Event::Closed {
        how: ClosedBy::Hand {
            by: "张三".into(),
            note: "校准后恢复".into(),
        },
    });
    a.at = a.opened + TimeDelta::hours(3);
    a.evidence.peak.value = 201.5;
    a.evidence.peak.time = a.opened + TimeDelta::hours(1);
    a.evidence.last.time = a.opened + TimeDelta::hours(2);
    let s = Summary {
        held: 3,
        by_event: vec![(EventKind::Opened, 2), (EventKind::Closed, 1)],
        first: a.opened + TimeDelta::minutes(2),
        last: a.opened + TimeDelta::minutes(40),
    };
    let n = Notification::Alarm(Box::new(a));
    let zh = render(&n, "lt1-k", Some(&s), cx(Lang::Zh));
    assert!(
        zh.lines
            .contains(&"峰值：201.5 µg/m³ (2025-06-01 15:00 (UTC+08:00))".to_string()),
        "{:#?}",
        zh.lines
    );
    assert!(
        zh.lines
            .contains(&"关闭：由 张三手动关闭：校准后恢复".to_string()),
        "{:#?}",
        zh.lines
    );
    assert_eq!(
        zh.lines.last().unwrap(),
        "另有 3 条同一规则与对象的通知因频率限制未单独发送，合并于此：告警开启2、告警关闭1（2025-06-01 14:02 (UTC+08:00) 至 2025-06-01 14:40 (UTC+08:00)）"
    );
    let en = render(&n, "lt1-k", Some(&s), cx(Lang::En));
    assert!(en.lines.last().unwrap().starts_with("3 more notifications about this rule and subject were held back by the rate limit and are summarised here: 2 alarm opened, 1 alarm closed"));
    assert_eq!(en.data["held_back"]["count"], 3);
    assert_eq!(en.data["held_back"]["by_event"]["opened"], 2);
}

#[test]
fn a_test_message() {
    let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
    let m = render(&Notification::Test { at }, "lt1-t", None, cx(Lang::En));
    assert_eq!(m.title, "[TEST] lantian notification channel duty");
    assert!(m.link.is_none());
    assert_eq!(m.data["notification"]["type"], "test");
}

#[test]
fn numbers_as_people_read_them() {
    assert_eq!(number(186.0), "186");
    assert_eq!(number(201.54), "201.5");
    assert_eq!(number(0.125), "0.125");
    assert_eq!(number(1.5), "1.5");
}
