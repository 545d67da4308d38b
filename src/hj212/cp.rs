//! The CP payload: items `key=value` in groups (`;` between groups, `,` between the items of
//! a group), kept in order as sent, and a first-wins view `{code: {suffix: value}}`.
//!
//! A key with a `-` is a coded item: the factor code is everything before the **last** `-`,
//! the suffix what follows (`a34004-Rtd`, `SB1-RS`, `01-ZsRtd`). A key without `-` is a plain
//! item (`DataTime`, `QnRtn`, `ExeRtn`, `RtdInterval`, `QN` in replies).

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The plain item that dates the data (`DataTime=yyyyMMddHHmmss`).
pub const DATA_TIME: &str = "DataTime";

/// One `key=value` item of CP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpItem<'a> {
    /// The group (0-based) it belongs to: groups are separated by `;`.
    pub group: u16,
    /// The key as written (`a34004-Rtd`, `DataTime`).
    pub key: Cow<'a, str>,
    /// The value as written.
    pub value: Cow<'a, str>,
}

impl CpItem<'_> {
    /// The factor code and suffix of a coded key (`a34004-Rtd` → (`a34004`, `Rtd`)); `None`
    /// for a plain item.
    pub fn code_suffix(&self) -> Option<(&str, &str)> {
        split_key(&self.key)
    }
}

/// Code and suffix of a key: split at the last `-`.
pub(crate) fn split_key(key: &str) -> Option<(&str, &str)> {
    // `-` is ASCII: its byte position is a character boundary.
    let at = key.bytes().rposition(|b| b == b'-')?;
    Some((&key[..at], &key[at + 1..]))
}

/// The CP payload: every item in the order sent, duplicates included (see [`Cp::view`] for
/// first-wins lookups).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cp<'a> {
    items: Vec<CpItem<'a>>,
    groups: u16,
}

impl<'a> Cp<'a> {
    /// An empty payload (`CP=&&&&`).
    pub fn new() -> Cp<'a> {
        Cp::default()
    }

    /// An empty payload with room for `items` items.
    pub(crate) fn with_capacity(items: usize) -> Cp<'a> {
        Cp {
            items: Vec::with_capacity(items),
            groups: 0,
        }
    }

    /// Every item in order.
    pub fn items(&self) -> &[CpItem<'a>] {
        &self.items
    }

    /// The number of groups.
    pub fn group_count(&self) -> u16 {
        self.groups
    }

    /// True when there is no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Appends a group of items (`k1=v1,k2=v2`), after the existing ones.
    pub fn push_group<K, V>(&mut self, items: impl IntoIterator<Item = (K, V)>) -> &mut Self
    where
        K: Into<Cow<'a, str>>,
        V: Into<Cow<'a, str>>,
    {
        let group = self.groups;
        let before = self.items.len();
        self.items
            .extend(items.into_iter().map(|(key, value)| CpItem {
                group,
                key: key.into(),
                value: value.into(),
            }));
        if self.items.len() > before {
            self.groups += 1;
        }
        self
    }

    /// Appends one item as its own group (`DataTime=…`).
    pub fn push(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> &mut Self {
        self.push_group([(key.into(), value.into())])
    }

    /// Appends one item to the last group (a new group when there is none).
    pub fn push_to_group(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> &mut Self {
        let group = self.groups.saturating_sub(1);
        self.groups = group + 1;
        self.items.push(CpItem {
            group,
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a parsed item (the parser numbers the groups).
    pub(crate) fn push_parsed(&mut self, group: u16, key: &'a str, value: &'a str) {
        self.groups = self.groups.max(group + 1);
        self.items.push(CpItem {
            group,
            key: Cow::Borrowed(key),
            value: Cow::Borrowed(value),
        });
    }

    /// Appends the items of `other` as groups after these, leaving out items that are
    /// already here with the same key and value (the `DataTime` every part of a split packet
    /// repeats).
    pub(crate) fn append_parts(&mut self, other: Cp<'a>) {
        let mut last_group = None;
        for item in other.items {
            if self
                .items
                .iter()
                .any(|i| i.key == item.key && i.value == item.value)
            {
                continue;
            }
            if last_group != Some(item.group) {
                last_group = Some(item.group);
                self.groups = self.groups.saturating_add(1);
            }
            let group = self.groups - 1;
            self.items.push(CpItem { group, ..item });
        }
    }

    /// The first value of `key` (`"DataTime"`, `"a34004-Rtd"`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|i| i.key == key)
            .map(|i| i.value.as_ref())
    }

    /// The first value of a coded item (`code`, `suffix`) = `code-suffix`.
    pub fn coded(&self, code: &str, suffix: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|i| i.code_suffix() == Some((code, suffix)))
            .map(|i| i.value.as_ref())
    }

    /// `DataTime` as written.
    pub fn data_time(&self) -> Option<&str> {
        self.get(DATA_TIME)
    }

    /// The first-wins view: `{code: {suffix: value}}` for coded items, `{key: value}` for plain
    /// ones, and the items whose key already occurred.
    pub fn view(&self) -> CpView<'_> {
        let mut view = CpView::default();
        for (index, item) in self.items.iter().enumerate() {
            if self.items[..index]
                .iter()
                .any(|earlier| earlier.key == item.key)
            {
                view.duplicates.push(item);
                continue;
            }
            match item.code_suffix() {
                Some((code, suffix)) => match view.coded.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, fields)) => fields.push((suffix, &item.value)),
                    None => view.coded.push((code, vec![(suffix, &item.value)])),
                },
                None => view.plain.push((&item.key, &item.value)),
            }
        }
        view
    }

    /// The payload with its text owned.
    pub fn into_owned(self) -> Cp<'static> {
        Cp {
            items: self
                .items
                .into_iter()
                .map(|i| CpItem {
                    group: i.group,
                    key: Cow::Owned(i.key.into_owned()),
                    value: Cow::Owned(i.value.into_owned()),
                })
                .collect(),
            groups: self.groups,
        }
    }

    /// The payload as written between `CP=&&` and `&&`.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for (index, item) in self.items.iter().enumerate() {
            if index > 0 {
                let same_group = self.items[index - 1].group == item.group;
                text.push(if same_group { ',' } else { ';' });
            }
            text.push_str(&item.key);
            text.push('=');
            text.push_str(&item.value);
        }
        text
    }
}

/// A first-wins view of CP, in the order codes first occur. Serialises as
/// `{code: {suffix: value}}` (the coded items only; see [`CpView::plain`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpView<'c> {
    /// Coded items: each code with its suffixes and values, in order of first occurrence.
    pub coded: Vec<(&'c str, Vec<(&'c str, &'c str)>)>,
    /// Plain items (`DataTime`, `QnRtn`, …) with their values.
    pub plain: Vec<(&'c str, &'c str)>,
    /// Items whose key had already occurred (their values are not in `coded`/`plain`).
    pub duplicates: Vec<&'c CpItem<'c>>,
}

impl<'c> CpView<'c> {
    /// The value of `code-suffix`.
    pub fn get(&self, code: &str, suffix: &str) -> Option<&'c str> {
        let (_, fields) = self.coded.iter().find(|(c, _)| *c == code)?;
        fields.iter().find(|(s, _)| *s == suffix).map(|(_, v)| *v)
    }

    /// The value of the plain item `key`.
    pub fn plain(&self, key: &str) -> Option<&'c str> {
        self.plain.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The view of the plain items, serialisable as `{key: value}`.
    pub fn plain_map(&self) -> PairsMap<'_, 'c> {
        PairsMap(&self.plain)
    }
}

impl Serialize for CpView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.coded.len()))?;
        for (code, fields) in &self.coded {
            map.serialize_entry(code, &PairsMap(fields))?;
        }
        map.end()
    }
}

/// Pairs serialised as a JSON object in their order.
#[derive(Debug, Clone, Copy)]
pub struct PairsMap<'p, 'c>(pub &'p [(&'c str, &'c str)]);

impl Serialize for PairsMap<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_items_and_first_wins_view() {
        let mut cp = Cp::new();
        cp.push("DataTime", "20260301080000");
        cp.push_group([("01-Rtd", "1.5"), ("01-Flag", "N")]);
        cp.push_group([("01-ZsRtd", "1.2"), ("01-Flag", "D")]);
        assert_eq!(
            cp.to_text(),
            "DataTime=20260301080000;01-Rtd=1.5,01-Flag=N;01-ZsRtd=1.2,01-Flag=D"
        );
        assert_eq!(cp.group_count(), 3);
        assert_eq!(cp.data_time(), Some("20260301080000"));
        assert_eq!(cp.coded("01", "Flag"), Some("N"));
        let view = cp.view();
        assert_eq!(view.get("01", "ZsRtd"), Some("1.2"));
        assert_eq!(view.get("01", "Flag"), Some("N"));
        assert_eq!(view.duplicates.len(), 1);
        assert_eq!(view.duplicates[0].value, "D");
        assert_eq!(view.plain("DataTime"), Some("20260301080000"));
        assert_eq!(
            serde_json::to_string(&view).unwrap(),
            r#"{"01":{"Rtd":"1.5","Flag":"N","ZsRtd":"1.2"}}"#
        );
        assert_eq!(split_key("a-b-Rtd"), Some(("a-b", "Rtd")));
        assert_eq!(split_key("DataTime"), None);
    }
}
