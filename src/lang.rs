//! The languages of everything lantian writes for people (reports, charts, the CLI's forecast
//! tables): [`Lang`], texts in both languages ([`Bi`]), and how each language names dates, AQI
//! categories and terms, and parameters.
//!
//! It sits below every module that writes text (`chart`, `sources`, `report`), so that a
//! source-analysis chart can take a language without depending on the reports. The reports'
//! own labels and sentences stay in `report::i18n`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::aqi::span::AqiRange;
use crate::aqi::{Category, Pollutant as Term};
use crate::units::Parameter;

/// The language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Simplified Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// Error for an unknown language code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report language `{0}` (expected zh or en)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "chinese" => Ok(Lang::Zh),
            "en" | "english" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Lang {
    /// `zh` or `en`.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of the HTML `lang` attribute.
    pub const fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// `zh` or `en`, whichever this is.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A date as the language writes it: `2024年5月1日`, `1 May 2024`.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Lang::En => d.format("%-d %B %Y").to_string(),
        }
    }

    /// An AQI category's name (优 … 严重污染; excellent … severely polluted).
    pub fn category(self, c: Category) -> &'static str {
        match self {
            Lang::Zh => c.name_zh(),
            Lang::En => c.name_en(),
        }
    }

    /// One category, or two joined: 良至轻度污染, good to lightly polluted.
    pub fn category_span(self, low: Category, high: Category) -> String {
        if low == high {
            self.category(low).to_string()
        } else {
            format!(
                "{}{}{}",
                self.category(low),
                self.pick("至", " to "),
                self.category(high)
            )
        }
    }

    /// A published AQI range with its category span: `AQI 90–130 · 良至轻度污染`,
    /// `AQI 90–130 · Good to lightly polluted`.
    pub fn aqi_range(self, r: &AqiRange) -> String {
        let span = self.category_span(r.span.low, r.span.high);
        let mut chars = span.chars();
        let span = match (self, chars.next()) {
            (Lang::En, Some(first)) => first.to_uppercase().chain(chars).collect(),
            _ => span,
        };
        format!("AQI {}–{} · {span}", r.low, r.high)
    }

    /// An AQI term's name (细颗粒物(PM2.5), 臭氧8小时; PM2.5, O3 8-h).
    pub fn term(self, t: Term) -> &'static str {
        match self {
            Lang::Zh => t.name_zh(),
            Lang::En => t.name_en(),
        }
    }

    /// Primary pollutants joined (`—` for none).
    pub fn terms(self, terms: &[Term]) -> String {
        if terms.is_empty() {
            return "—".to_string();
        }
        let names: Vec<&str> = terms.iter().map(|t| self.term(*t)).collect();
        names.join(self.pick("、", ", "))
    }

    /// A parameter's short name (`PM2.5`, `NOx`); the code for non-pollutants.
    pub fn parameter(self, p: Parameter) -> &'static str {
        p.label()
    }
}

/// A text in both languages (station names, chart titles).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bi {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Bi {
    /// From both texts.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Bi {
        Bi {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_dates() {
        assert_eq!("zh".parse::<Lang>().unwrap(), Lang::Zh);
        assert_eq!("EN".parse::<Lang>().unwrap(), Lang::En);
        assert!("fr".parse::<Lang>().is_err());
        let d = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        assert_eq!(Lang::Zh.date(d), "2024年5月1日");
        assert_eq!(Lang::En.date(d), "1 May 2024");
        assert_eq!(
            Lang::Zh.terms(&[Term::Pm25, Term::O3_8h]),
            "细颗粒物(PM2.5)、臭氧8小时"
        );
        assert_eq!(Lang::En.terms(&[]), "—");
        assert_eq!(Bi::new("站", "station").get(Lang::En), "station");
    }
}
