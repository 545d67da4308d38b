//! The messages, in Chinese and English: a title (severity, kind, change, subject) and one
//! line per fact — the change, the subject with its station name and district, the rule, the
//! severity, the value against the threshold (and the peak), the time in the network's zone,
//! the alarm's id, the link to its page — and, when the per-alarm rate limit held messages
//! back, the summary of those this one stands for.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::channel::Outgoing;
use super::notification::{AlarmNotice, Event, EventKind, Notification};
use crate::alarms::words;
use crate::lang::Lang;
use crate::store::{Averaging, ClosedBy, Direction, Lasting, Measure};

/// Messages the per-alarm rate limit held back, which the message carrying this summary
/// stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// How many.
    pub held: u32,
    /// How many of each change, in order.
    pub by_event: Vec<(EventKind, u32)>,
    /// The first one's time.
    pub first: DateTime<Utc>,
    /// The last one's time.
    pub last: DateTime<Utc>,
}

/// What the message needs besides the notification.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The language.
    pub lang: Lang,
    /// The network's time zone.
    pub zone: Tz,
    /// The link template (`{id}` for the alarm's id).
    pub link: Option<&'a str>,
    /// The channel (named in a test message).
    pub channel: &'a str,
}

/// The message for `n` with idempotency key `key`.
pub fn render(n: &Notification, key: &str, summary: Option<&Summary>, cx: Context<'_>) -> Outgoing {
    let lang = cx.lang;
    let (title, mut lines, link, id) = match n {
        Notification::Test { at } => (
            format!(
                "{} {}",
                lang.pick(
                    "【测试】lantian 通知通道",
                    "[TEST] lantian notification channel"
                ),
                cx.channel
            ),
            vec![
                lang.pick(
                    "这是一条测试消息，由 lantian alarms test-notify 发送，无需处理。",
                    "A test message sent by `lantian alarms test-notify`; nothing to do.",
                )
                .to_string(),
                fact(lang, "时间", "Time", &local_time(*at, cx.zone)),
            ],
            None,
            None,
        ),
        Notification::Alarm(a) => {
            let id = a.key().id().to_string();
            let link = cx.link.map(|l| l.replace("{id}", &id));
            (title(a, lang), alarm_lines(a, &id, cx), link, Some(id))
        }
    };
    if let Some(s) = summary {
        lines.push(summary_line(s, lang, cx.zone));
    }
    let data = json!({
        "alarm_id": id,
        "local_time": local_time(n.at(), cx.zone),
        "notification": n,
        "held_back": summary.map(|s| json!({
            "count": s.held,
            "by_event": s.by_event.iter().map(|(k, n)| (event_code(*k), *n)).collect::<std::collections::BTreeMap<_, _>>(),
            "first": s.first,
            "last": s.last,
        })),
    });
    Outgoing {
        key: key.to_string(),
        lang,
        title,
        lines,
        link,
        data,
    }
}

fn fact(lang: Lang, zh: &str, en: &str, value: &str) -> String {
    format!("{}{}{value}", lang.pick(zh, en), lang.pick("：", ": "))
}

fn title(a: &AlarmNotice, lang: Lang) -> String {
    let subject = subject(a, lang, false);
    match lang {
        Lang::Zh => format!(
            "【{}】{}{} · {subject}",
            words::severity(lang, a.severity),
            words::kind(lang, a.kind),
            event(&a.event, lang)
        ),
        Lang::En => format!(
            "[{}] {} {} · {subject}",
            words::severity(lang, a.severity).to_uppercase(),
            capitalised(words::kind(lang, a.kind)),
            event(&a.event, lang)
        ),
    }
}

fn alarm_lines(a: &AlarmNotice, id: &str, cx: Context<'_>) -> Vec<String> {
    let (lang, zone) = (cx.lang, cx.zone);
    let e = &a.evidence;
    let unit = e.measure.unit().display();
    let with_unit = |v: f64| {
        if unit.is_empty() {
            number(v)
        } else {
            format!("{} {unit}", number(v))
        }
    };
    let shown = match a.event {
        Event::Opened => e.first,
        _ => e.last,
    };
    let limit = match e.direction {
        Direction::Above => lang.pick("阈值", "threshold"),
        Direction::Below => lang.pick("下限", "lower limit"),
    };
    let mut lines = vec![
        fact(lang, "事件", "Event", &event(&a.event, lang)),
        fact(lang, "对象", "Subject", &subject(a, lang, true)),
        fact(
            lang,
            "规则",
            "Rule",
            &format!(
                "{}{}{}{}",
                a.rule,
                lang.pick("（", " ("),
                words::kind(lang, a.kind),
                lang.pick("）", ")")
            ),
        ),
        fact(lang, "级别", "Severity", words::severity(lang, a.severity)),
        fact(
            lang,
            "数值",
            "Value",
            &format!(
                "{} {}{}{limit} {}{}",
                measure(&e.measure, lang),
                with_unit(shown.value),
                lang.pick("（", " ("),
                with_unit(e.threshold),
                lang.pick("）", ")")
            ),
        ),
    ];
    if e.peak.time != shown.time {
        lines.push(fact(
            lang,
            "峰值",
            "Peak",
            &format!(
                "{} ({})",
                with_unit(e.peak.value),
                local_time(e.peak.time, zone)
            ),
        ));
    }
    if let Some(w) = e.warning {
        lines.push(fact(lang, "预警", "Warning", words::warning(lang, w)));
    }
    lines.push(fact(lang, "时间", "Time", &local_time(a.at, zone)));
    if let Event::Closed { how } = &a.event {
        lines.push(fact(lang, "开始", "Opened", &local_time(a.opened, zone)));
        let how = match how {
            ClosedBy::Cleared { since } => format!(
                "{} {}",
                lang.pick("条件已解除，自", "the condition cleared at"),
                local_time(*since, zone)
            ),
            ClosedBy::Hand { by, note } => format!(
                "{} {by}{}{note}",
                lang.pick("由", "by"),
                lang.pick("手动关闭：", ": ")
            ),
        };
        lines.push(fact(lang, "关闭", "Closed", &how));
    }
    lines.push(fact(lang, "告警编号", "Alarm", id));
    lines
}

fn summary_line(s: &Summary, lang: Lang, zone: Tz) -> String {
    let parts: Vec<String> = s
        .by_event
        .iter()
        .map(|(k, n)| match lang {
            Lang::Zh => format!("{}{n}", event_kind(*k, lang)),
            Lang::En => format!("{n} {}", event_kind(*k, lang)),
        })
        .collect();
    let span = format!(
        "{}{}{}",
        local_time(s.first, zone),
        lang.pick(" 至 ", " to "),
        local_time(s.last, zone)
    );
    match lang {
        Lang::Zh => format!(
            "另有 {} 条同一规则与对象的通知因频率限制未单独发送，合并于此：{}（{span}）",
            s.held,
            parts.join("、")
        ),
        Lang::En => format!(
            "{} more notifications about this rule and subject were held back by the rate limit and are summarised here: {} ({span})",
            s.held,
            parts.join(", ")
        ),
    }
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `2025-06-01 14:00 (UTC+08:00)`.
fn local_time(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M (UTC%:z)")
        .to_string()
}

/// A value as people read it: whole numbers without decimals, others to three significant
/// figures or one decimal.
fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

fn event(c: &Event, lang: Lang) -> String {
    match c {
        Event::Escalated { level } => match lang {
            Lang::Zh => format!("告警升级（第 {level} 级，未确认）"),
            Lang::En => format!("alarm escalated (level {level}, not acknowledged)"),
        },
        other => event_kind(other.kind(), lang).to_string(),
    }
}

fn event_kind(k: EventKind, lang: Lang) -> &'static str {
    match k {
        EventKind::Opened => lang.pick("告警开启", "alarm opened"),
        EventKind::Updated => lang.pick("告警更新", "alarm updated"),
        EventKind::Escalated => lang.pick("告警升级", "alarm escalated"),
        EventKind::Closed => lang.pick("告警关闭", "alarm closed"),
    }
}

fn event_code(k: EventKind) -> &'static str {
    match k {
        EventKind::Opened => "opened",
        EventKind::Updated => "updated",
        EventKind::Escalated => "escalated",
        EventKind::Closed => "closed",
    }
}

fn averaging(a: Averaging, lang: Lang) -> &'static str {
    match a {
        Averaging::Sample => lang.pick("瞬时值", "sample"),
        Averaging::Minute => lang.pick("分钟均值", "1-min mean"),
        Averaging::Hour => lang.pick("小时均值", "1-h mean"),
        Averaging::Running8h => lang.pick("8小时滑动均值", "8-h running mean"),
        Averaging::Running24h => lang.pick("24小时滑动均值", "24-h running mean"),
        Averaging::Day => lang.pick("日均值", "daily mean"),
    }
}

fn lasting(l: Lasting, lang: Lang) -> &'static str {
    match l {
        Lasting::NoData => lang.pick("无数据时长", "no data for"),
        Lasting::Offline => lang.pick("离线时长", "offline for"),
        Lasting::Calibration => lang.pick("校准时长", "in calibration for"),
        Lasting::Maintenance => lang.pick("维护时长", "in maintenance for"),
        Lasting::Fault => lang.pick("故障时长", "in fault for"),
        Lasting::SpoolBacklog => lang.pick("缓存积压时长", "oldest spooled reading waiting for"),
    }
}

fn measure(m: &Measure, lang: Lang) -> String {
    match m {
        Measure::Value {
            parameter,
            averaging: a,
        } => format!("{} {}", lang.parameter(*parameter), averaging(*a, lang)),
        Measure::Aqi { averaging: a } => format!("AQI {}", averaging(*a, lang)),
        Measure::Rise { parameter, hours } => match lang {
            Lang::Zh => format!("{} {hours}小时升幅", lang.parameter(*parameter)),
            Lang::En => format!("{} rise over {hours} h", lang.parameter(*parameter)),
        },
        Measure::AboveMedian {
            parameter,
            averaging: a,
        } => match lang {
            Lang::Zh => format!(
                "{} {}高于中位数",
                lang.parameter(*parameter),
                averaging(*a, lang)
            ),
            Lang::En => format!(
                "{} {} above the median",
                lang.parameter(*parameter),
                averaging(*a, lang)
            ),
        },
        Measure::Ratio {
            numerator,
            denominator,
        } => format!(
            "{}/{}",
            lang.parameter(*numerator),
            lang.parameter(*denominator)
        ),
        Measure::ValidMinutes { parameter } => format!(
            "{} {}",
            lang.parameter(*parameter),
            lang.pick("有效分钟数", "valid minutes")
        ),
        Measure::Repeats { parameter } => format!(
            "{} {}",
            lang.parameter(*parameter),
            lang.pick("连续相同值", "repeated values")
        ),
        Measure::FailedPolls => lang.pick("连续轮询失败", "failed polls").to_string(),
        Measure::FailedAttempts => lang.pick("失败次数", "failed attempts").to_string(),
        Measure::Lasting { what } => lasting(*what, lang).to_string(),
        Measure::DiskUsed => lang.pick("磁盘占用", "disk used").to_string(),
        Measure::ForecastDays { above } => match lang {
            Lang::Zh => format!("预报日AQI>{above}连续天数"),
            Lang::En => format!("forecast days with AQI > {above}"),
        },
    }
}

/// The subject with its names: `南城（DG01）`, `Nancheng (DG01)`; with `district` the
/// station's district after it.
fn subject(a: &AlarmNotice, lang: Lang, district: bool) -> String {
    let name = |station: &str| {
        let name = match lang {
            Lang::Zh => a.place.name.as_deref(),
            Lang::En => a.place.name_en.as_deref().or(a.place.name.as_deref()),
        };
        match name.filter(|n| !n.is_empty() && *n != station) {
            Some(n) => format!(
                "{n}{}{station}{}",
                lang.pick("（", " ("),
                lang.pick("）", ")")
            ),
            None => station.to_string(),
        }
    };
    let text = words::subject(lang, &a.subject, |s| name(s));
    match (&a.place.district, a.subject.station()) {
        (Some(d), Some(_)) if district && !d.is_empty() => {
            format!("{text}{}{d}", lang.pick("，", ", "))
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests;
