//! The pages' own labels in Chinese and English. Names of categories, AQI terms, dates and
//! parameters are [`crate::lang`]'s; the reports' labels (towns, ranks, the comprehensive index
//! …) are [`crate::report::i18n::Text`]'s, reused here so that a page and a report call a figure
//! by the same name; alarm terms are [`crate::alarms::words`]'.

use crate::lang::Lang;

/// The labels only the web pages write, in one language.
#[derive(Debug)]
pub(crate) struct PageText {
    /// The platform's name in the title bar.
    pub(crate) platform: &'static str,
    /// Navigation: the overview.
    pub(crate) nav_overview: &'static str,
    /// Navigation: device health.
    pub(crate) nav_health: &'static str,
    /// Navigation: alarms.
    pub(crate) nav_alarms: &'static str,
    /// Navigation: rankings.
    pub(crate) nav_rankings: &'static str,
    /// Navigation: administration.
    pub(crate) nav_admin: &'static str,
    /// The other language's name, for the switch.
    pub(crate) other_lang: &'static str,
    /// "City AQI now".
    pub(crate) city_now: &'static str,
    /// "Today so far".
    pub(crate) city_today: &'static str,
    /// "Hour ending".
    pub(crate) hour_ending: &'static str,
    /// "Real-time".
    pub(crate) realtime: &'static str,
    /// "Today".
    pub(crate) today: &'static str,
    /// "This month".
    pub(crate) month: &'static str,
    /// "Year to date".
    pub(crate) ytd: &'static str,
    /// "Change against last year".
    pub(crate) vs_last_year: &'static str,
    /// "Town ranking".
    pub(crate) town_ranking: &'static str,
    /// "Open alarms".
    pub(crate) open_alarms: &'static str,
    /// "None".
    pub(crate) none: &'static str,
    /// "Tomorrow".
    pub(crate) tomorrow: &'static str,
    /// "No data yet".
    pub(crate) no_data: &'static str,
    /// "Live" (the connection indicator).
    pub(crate) live: &'static str,
    /// "Device".
    pub(crate) device: &'static str,
    /// "Online".
    pub(crate) online: &'static str,
    /// "Offline".
    pub(crate) offline: &'static str,
    /// "Since".
    pub(crate) since: &'static str,
    /// "Success ratio".
    pub(crate) success_ratio: &'static str,
    /// "Latency".
    pub(crate) latency: &'static str,
    /// "Status bits".
    pub(crate) status_bits: &'static str,
    /// "Last error".
    pub(crate) last_error: &'static str,
    /// "Only problems".
    pub(crate) only_problems: &'static str,
    /// "All devices".
    pub(crate) all_devices: &'static str,
    /// "The day".
    pub(crate) day_timeline: &'static str,
    /// "Score".
    pub(crate) score: &'static str,
    /// "Never".
    pub(crate) never: &'static str,
    /// "Opened".
    pub(crate) opened: &'static str,
    /// "Subject".
    pub(crate) subject: &'static str,
    /// "Kind".
    pub(crate) kind: &'static str,
    /// "Severity".
    pub(crate) severity: &'static str,
    /// "State".
    pub(crate) state: &'static str,
    /// "Assignee".
    pub(crate) assignee: &'static str,
    /// Button: acknowledge.
    pub(crate) acknowledge: &'static str,
    /// Button: assign.
    pub(crate) assign: &'static str,
    /// Button: comment.
    pub(crate) comment: &'static str,
    /// Button: close.
    pub(crate) close: &'static str,
    /// Placeholder: a note.
    pub(crate) note: &'static str,
    /// "Open and acknowledged" filter.
    pub(crate) active: &'static str,
    /// "Closed in the last 7 days" filter.
    pub(crate) recently_closed: &'static str,
    /// "History".
    pub(crate) history: &'static str,
    /// "Primary pollutants".
    pub(crate) primary: &'static str,
    /// "Parameter".
    pub(crate) parameter: &'static str,
    /// "Value".
    pub(crate) value: &'static str,
    /// "Flag".
    pub(crate) flag: &'static str,
    /// "Log out".
    pub(crate) log_out: &'static str,
}

/// Chinese.
static ZH: PageText = PageText {
    platform: "蓝天 · 空气质量监测平台",
    nav_overview: "总览",
    nav_health: "设备运维",
    nav_alarms: "告警",
    nav_rankings: "排名",
    nav_admin: "系统管理",
    other_lang: "English",
    city_now: "全市实时 AQI",
    city_today: "今日累计",
    hour_ending: "时段截至",
    realtime: "实时",
    today: "今日",
    month: "本月",
    ytd: "年累计",
    vs_last_year: "同比",
    town_ranking: "镇街排名",
    open_alarms: "未关闭告警",
    none: "无",
    tomorrow: "明日预报",
    no_data: "暂无数据",
    live: "实时连接",
    device: "设备",
    online: "在线",
    offline: "离线",
    since: "自",
    success_ratio: "成功率",
    latency: "延迟",
    status_bits: "状态位",
    last_error: "最近错误",
    only_problems: "仅看异常",
    all_devices: "全部设备",
    day_timeline: "当日状态",
    score: "优先级",
    never: "从未",
    opened: "开始时间",
    subject: "对象",
    kind: "类型",
    severity: "级别",
    state: "状态",
    assignee: "负责人",
    acknowledge: "确认",
    assign: "指派",
    comment: "备注",
    close: "关闭",
    note: "说明",
    active: "未关闭",
    recently_closed: "近7天已关闭",
    history: "处理记录",
    primary: "首要污染物",
    parameter: "参数",
    value: "数值",
    flag: "标记",
    log_out: "退出",
};

/// English.
static EN: PageText = PageText {
    platform: "Lantian · air-quality platform",
    nav_overview: "Overview",
    nav_health: "Device health",
    nav_alarms: "Alarms",
    nav_rankings: "Rankings",
    nav_admin: "Administration",
    other_lang: "中文",
    city_now: "City AQI now",
    city_today: "Today so far",
    hour_ending: "hour ending",
    realtime: "Now",
    today: "Today",
    month: "Month",
    ytd: "Year to date",
    vs_last_year: "vs last year",
    town_ranking: "Town ranking",
    open_alarms: "Open alarms",
    none: "none",
    tomorrow: "Tomorrow",
    no_data: "no data yet",
    live: "live",
    device: "Device",
    online: "online",
    offline: "offline",
    since: "since",
    success_ratio: "Success",
    latency: "Latency",
    status_bits: "Status bits",
    last_error: "Last error",
    only_problems: "Problems only",
    all_devices: "All devices",
    day_timeline: "The day",
    score: "Priority",
    never: "never",
    opened: "Opened",
    subject: "Subject",
    kind: "Kind",
    severity: "Severity",
    state: "State",
    assignee: "Assignee",
    acknowledge: "Acknowledge",
    assign: "Assign",
    comment: "Comment",
    close: "Close",
    note: "note",
    active: "Not closed",
    recently_closed: "Closed in 7 days",
    history: "History",
    primary: "Primary pollutants",
    parameter: "Parameter",
    value: "Value",
    flag: "Flag",
    log_out: "Log out",
};

/// The pages' labels in `lang`.
pub(crate) fn page_text(lang: Lang) -> &'static PageText {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}
