//! The vocabulary every read shares: which items ([`Filter`], e.g. [`Stations`]), the time
//! span a kind of data covers ([`TimeSpan`]), and paged reads ([`PageFn`], [`PAGE_SIZE`]).

use chrono::{DateTime, TimeDelta, Utc};

use super::StoreError;

/// Which items of a kind a read selects: all of them, or only the ones listed (an empty
/// list selects nothing).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Filter<T> {
    /// Every item.
    #[default]
    All,
    /// Only these.
    Only(Vec<T>),
}

impl<T> Filter<T> {
    /// Only the items of `items`.
    pub fn only<I: Into<T>>(items: impl IntoIterator<Item = I>) -> Filter<T> {
        Filter::Only(items.into_iter().map(Into::into).collect())
    }

    /// Only `item`.
    pub fn one(item: impl Into<T>) -> Filter<T> {
        Filter::Only(vec![item.into()])
    }

    /// The listed items (`None` for [`Filter::All`]).
    pub fn listed(&self) -> Option<&[T]> {
        match self {
            Filter::All => None,
            Filter::Only(items) => Some(items),
        }
    }

    /// Whether the filter selects nothing at all (an empty list).
    pub fn selects_nothing(&self) -> bool {
        matches!(self, Filter::Only(items) if items.is_empty())
    }

    /// The same selection of other items: each listed item mapped by `f` (a code, a name).
    pub fn map<U>(&self, f: impl Fn(&T) -> U) -> Filter<U> {
        match self {
            Filter::All => Filter::All,
            Filter::Only(items) => Filter::Only(items.iter().map(f).collect()),
        }
    }

    /// Whether `item` is selected.
    pub fn contains<Q: PartialEq + ?Sized>(&self, item: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
    {
        match self {
            Filter::All => true,
            Filter::Only(items) => items.iter().any(|i| i.borrow() == item),
        }
    }
}

/// Which stations a read selects; every query of the store uses it.
pub type Stations = Filter<super::StationId>;

/// Which parameters a reading read selects.
pub type Parameters = Filter<crate::units::Parameter>;

/// Which jobs a read of job runs selects.
pub type Jobs = Filter<String>;

/// The first and last time (both inclusive) of the stored data of a kind, by the time it is
/// keyed on (a reading's label, a flag's start, a forecast's issue time…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    /// The earliest time.
    pub first: DateTime<Utc>,
    /// The latest time.
    pub last: DateTime<Utc>,
}

impl TimeSpan {
    /// The span of `times` (`None` when there are none).
    pub fn of(times: impl IntoIterator<Item = DateTime<Utc>>) -> Option<TimeSpan> {
        times.into_iter().fold(None, |span, t| {
            Some(match span {
                None => TimeSpan { first: t, last: t },
                Some(s) => TimeSpan {
                    first: s.first.min(t),
                    last: s.last.max(t),
                },
            })
        })
    }

    /// The union of two optional spans.
    pub fn union(a: Option<TimeSpan>, b: Option<TimeSpan>) -> Option<TimeSpan> {
        TimeSpan::of([a, b].into_iter().flatten().flat_map(|s| [s.first, s.last]))
    }

    /// The end of a half-open range `[first, end)` that holds the whole span (stores keep
    /// times in milliseconds).
    pub fn end(&self) -> DateTime<Utc> {
        self.last + TimeDelta::milliseconds(1)
    }
}

/// The largest page the collecting reads (`readings`, `indices`, …) ask for.
pub const PAGE_SIZE: usize = 10_000;

/// Receives the pages of a paged read, in order. An error it returns stops the read and is
/// returned by it.
pub type PageFn<'a, T> = dyn FnMut(Vec<T>) -> Result<(), StoreError> + 'a;

/// Fills pages of at most `size` items and hands each to a [`PageFn`] (for backends).
pub(crate) struct Pager<'p, 'a, T> {
    page: Vec<T>,
    size: usize,
    each: &'p mut PageFn<'a, T>,
}

impl<'p, 'a, T> Pager<'p, 'a, T> {
    /// A pager of pages of at most `size` items (at least one).
    pub(super) fn new(size: usize, each: &'p mut PageFn<'a, T>) -> Self {
        let size = size.max(1);
        Pager {
            page: Vec::with_capacity(size.min(PAGE_SIZE)),
            size,
            each,
        }
    }

    /// Adds an item, handing out the page when it is full.
    pub(super) fn push(&mut self, item: T) -> Result<(), StoreError> {
        self.page.push(item);
        if self.page.len() >= self.size {
            let page = std::mem::replace(&mut self.page, Vec::with_capacity(self.size));
            (self.each)(page)?;
        }
        Ok(())
    }

    /// Hands out the last, partial page.
    pub(super) fn finish(mut self) -> Result<(), StoreError> {
        if self.page.is_empty() {
            return Ok(());
        }
        (self.each)(std::mem::take(&mut self.page))
    }
}

/// Collects every page of a paged read into one `Vec` (for the collecting reads).
pub(crate) fn collect<T>(
    read: impl FnOnce(&mut PageFn<'_, T>) -> Result<(), StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    read(&mut |page| {
        out.extend(page);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn filters() {
        let all: Stations = Filter::All;
        assert!(all.contains("A") && !all.selects_nothing() && all.listed().is_none());
        let some: Stations = Filter::only(["A", "B"]);
        assert!(some.contains("B") && !some.contains("C"));
        assert_eq!(some.listed().map(<[_]>::len), Some(2));
        let none: Stations = Filter::Only(vec![]);
        assert!(none.selects_nothing() && !none.contains("A"));
        assert_eq!(Jobs::one("daily"), Filter::Only(vec!["daily".to_string()]));
    }

    #[test]
    fn spans() {
        let t = |h| Utc.with_ymd_and_hms(2025, 6, 1, h, 0, 0).unwrap();
        assert_eq!(TimeSpan::of([]), None);
        let s = TimeSpan::of([t(5), t(1), t(3)]).unwrap();
        assert_eq!((s.first, s.last), (t(1), t(5)));
        assert_eq!(s.end(), t(5) + TimeDelta::milliseconds(1));
        let u = TimeSpan::union(Some(s), TimeSpan::of([t(7)])).unwrap();
        assert_eq!((u.first, u.last), (t(1), t(7)));
        assert_eq!(TimeSpan::union(None, None), None);
    }

    #[test]
    fn pages_are_bounded_and_complete() {
        let mut pages: Vec<Vec<u32>> = Vec::new();
        let mut each = |p: Vec<u32>| {
            pages.push(p);
            Ok(())
        };
        let mut pager = Pager::new(3, &mut each);
        for i in 0..7 {
            pager.push(i).unwrap();
        }
        pager.finish().unwrap();
        assert_eq!(pages, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let all = collect(|each| {
            let mut pager = Pager::new(2, each);
            (0..5).try_for_each(|i| pager.push(i))?;
            pager.finish()
        })
        .unwrap();
        assert_eq!(all, [0, 1, 2, 3, 4]);
    }
}
