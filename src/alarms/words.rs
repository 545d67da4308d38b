//! How each language names the terms of alarms: severities (提示, 一般, 较重, 严重), warning
//! colours, kinds, states, and the actions of the audit log.

use crate::lang::Lang;
use crate::store::{
    AlarmEvent, AlarmKind, AlarmState, AlarmSubject, ClosedBy, Severity, StationId, Suppression,
    SystemComponent, WarningLevel,
};

/// A severity in `lang`.
pub fn severity(lang: Lang, s: Severity) -> &'static str {
    match s {
        Severity::Info => lang.pick("提示", "info"),
        Severity::Minor => lang.pick("一般", "minor"),
        Severity::Major => lang.pick("较重", "major"),
        Severity::Critical => lang.pick("严重", "critical"),
    }
}

/// A warning colour in `lang`.
pub fn warning(lang: Lang, w: WarningLevel) -> &'static str {
    match w {
        WarningLevel::Blue => lang.pick("蓝色预警", "blue warning"),
        WarningLevel::Yellow => lang.pick("黄色预警", "yellow warning"),
        WarningLevel::Orange => lang.pick("橙色预警", "orange warning"),
        WarningLevel::Red => lang.pick("红色预警", "red warning"),
    }
}

/// A kind of alarm in `lang`.
pub fn kind(lang: Lang, k: AlarmKind) -> &'static str {
    match k {
        AlarmKind::Threshold => lang.pick("超标", "threshold"),
        AlarmKind::SuddenRise => lang.pick("陡升", "sudden rise"),
        AlarmKind::DataAnomaly => lang.pick("数据异常", "data anomaly"),
        AlarmKind::DeviceState => lang.pick("设备状态", "device state"),
        AlarmKind::System => lang.pick("系统", "system"),
        AlarmKind::NoData => lang.pick("无数据", "no data"),
        AlarmKind::HeavyPollution => lang.pick("重污染预警", "heavy-pollution warning"),
    }
}

/// What an alarm is about, in `lang`, its station named by `station` (`南城（DG01）`):
/// `南城（DG01） PM2.5`, `device DG01-PM at Nancheng (DG01)`, `the spool`.
pub fn subject(lang: Lang, s: &AlarmSubject, station: impl Fn(&StationId) -> String) -> String {
    match s {
        AlarmSubject::Network => lang.pick("全网", "the network").to_string(),
        AlarmSubject::District(d) => d.clone(),
        AlarmSubject::Station(id) => station(id),
        AlarmSubject::StationParameter(id, p) => format!("{} {}", station(id), lang.parameter(*p)),
        AlarmSubject::Device {
            station: id,
            device,
        } => match lang {
            Lang::Zh => format!("{} 设备 {device}", station(id)),
            Lang::En => format!("device {device} at {}", station(id)),
        },
        AlarmSubject::System(c) => match c {
            SystemComponent::Store => lang.pick("存储", "the store").to_string(),
            SystemComponent::Spool => lang.pick("缓存队列", "the spool").to_string(),
            SystemComponent::Disk => lang.pick("磁盘", "the disk").to_string(),
            SystemComponent::Job(n) => format!("{} {n}", lang.pick("任务", "job")),
            SystemComponent::Uplink(n) => format!("{} {n}", lang.pick("上传目标", "uplink")),
        },
    }
}

/// A state in `lang`.
pub fn state(lang: Lang, s: AlarmState) -> &'static str {
    match s {
        AlarmState::Open => lang.pick("未确认", "open"),
        AlarmState::Acknowledged => lang.pick("已确认", "acknowledged"),
        AlarmState::Closed => lang.pick("已关闭", "closed"),
    }
}

/// What an action of the audit log did, in a line (`assigned to 王工`, `closed by hand: …`);
/// values with `unit` (the alarm's measure's, empty for none).
pub fn event(lang: Lang, e: &AlarmEvent, unit: &str) -> String {
    let value = |v: f64| format!("{v:.1} {unit}").trim_end().to_string();
    match e {
        AlarmEvent::Opened {
            severity: s,
            value: first,
            stale,
        } => {
            let stale = if *stale {
                lang.pick("（回放数据，未通知）", " (replayed data, not paged)")
            } else {
                ""
            };
            format!(
                "{} {}, {}{stale}",
                lang.pick("打开，级别", "opened, severity"),
                severity(lang, *s),
                value(first.value)
            )
        }
        AlarmEvent::Updated {
            severity: s,
            peak,
            stale,
        } => format!(
            "{} {}, {} {}{}",
            lang.pick("更新，级别", "updated, severity"),
            severity(lang, *s),
            lang.pick("峰值", "peak"),
            value(peak.value),
            if *stale {
                ""
            } else {
                lang.pick("（实时数据）", " (live data)")
            }
        ),
        AlarmEvent::Acknowledged => lang.pick("确认", "acknowledged").to_string(),
        AlarmEvent::Assigned { to } => format!("{} {to}", lang.pick("指派给", "assigned to")),
        AlarmEvent::Commented { text } => format!("{}: {text}", lang.pick("备注", "comment")),
        AlarmEvent::Escalated { level } => match lang {
            Lang::Zh => format!("升级至第 {level} 级"),
            Lang::En => format!("escalated to level {level}"),
        },
        AlarmEvent::Suppressed { why, channel, .. } => {
            let why = match why {
                Suppression::Silence { name } => format!("{} {name}", lang.pick("静默", "silence")),
                Suppression::Maintenance { name } => {
                    format!("{} {name}", lang.pick("维护窗口", "maintenance window"))
                }
                Suppression::Stale => lang.pick("回放数据", "replayed data").to_string(),
                Suppression::RateLimit { summarised_in } => {
                    let limit = lang.pick("频率限制", "rate limit");
                    match summarised_in {
                        Some(key) => {
                            format!("{limit}, {} {key}", lang.pick("汇总于", "summarised in"))
                        }
                        None => limit.to_string(),
                    }
                }
            };
            format!(
                "{} {channel}: {why}",
                lang.pick("未发送通知，渠道", "notification held back on")
            )
        }
        AlarmEvent::Notified { channel, message } => format!(
            "{} {channel} ({message})",
            lang.pick("已通知，渠道", "notified via")
        ),
        AlarmEvent::Undelivered {
            channel,
            message,
            reason,
        } => format!(
            "{} {channel} ({message}): {reason}",
            lang.pick("通知被拒收，渠道", "notification refused by")
        ),
        AlarmEvent::Closed { how } => closed(lang, how),
    }
}

/// How an alarm was closed, in a line.
pub fn closed(lang: Lang, how: &ClosedBy) -> String {
    match how {
        ClosedBy::Cleared { since } => format!(
            "{} {}",
            lang.pick(
                "自动关闭：条件已消除，自",
                "closed automatically: clear since"
            ),
            since.format("%Y-%m-%d %H:%M UTC")
        ),
        ClosedBy::Hand { by, note } => format!(
            "{} {by}: {note}",
            lang.pick("人工关闭，", "closed by hand by")
        ),
    }
}
