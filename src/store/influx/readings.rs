//! Readings and indices (the `readings` and `indices` measurements, see [`super::schema`]).

use super::query::{self, field_list, ident, literal, time_range};
use super::schema::{self, INDICES, READINGS};
use super::{InfluxError, InfluxStore, push_filter};
use crate::store::readings::sort_series;
use crate::store::select::PageFn;
use crate::store::{
    DataKind, IndexQuery, IndexRecord, IndexStore, Operation, ReadingQuery, ReadingStore, Record,
    Resolution, Stations, StoreError, TimeSpan,
};

const PUT: Operation = Operation::Put(DataKind::Readings);
const READ: Operation = Operation::Read(DataKind::Readings);
const PUT_INDICES: Operation = Operation::Put(DataKind::Indices);
const READ_INDICES: Operation = Operation::Read(DataKind::Indices);

/// `SELECT first(field) …` and `SELECT last(field) …` of `measurement` at `resolution`,
/// whose `time` is that of the earliest and latest point.
fn span_queries(
    measurement: &str,
    field: &str,
    resolution: Resolution,
) -> [(String, &'static str); 2] {
    ["first", "last"].map(|f| {
        let q = format!(
            "SELECT {f}({}) FROM {} WHERE {} = {}",
            ident(field),
            ident(measurement),
            ident("resolution"),
            literal(resolution.code())
        );
        (q, "time")
    })
}

impl InfluxStore {
    fn count_records(&self, resolution: Resolution) -> Result<u64, InfluxError> {
        let q = format!(
            "SELECT count({}) FROM {} WHERE {} = {}",
            ident("flag"),
            ident(READINGS),
            ident("resolution"),
            literal(resolution.code())
        );
        let series = self.select(&q)?;
        let Some(s) = series.first() else {
            return Ok(0);
        };
        let c = s.column("count")?;
        let mut total = 0u64;
        for row in &s.values {
            let n = query::Row::new(s, row).at(c).i64()?;
            total += u64::try_from(n).map_err(|_| InfluxError::Corrupt {
                reason: format!("count {n}"),
            })?;
        }
        Ok(total)
    }
}

impl ReadingStore for InfluxStore {
    fn put_readings(&mut self, records: &[Record]) -> Result<usize, StoreError> {
        self.send(records, schema::encode_record)
            .map_err(self.fail(PUT))?;
        Ok(records.len())
    }

    fn readings_paged(
        &self,
        query: &ReadingQuery,
        page_size: usize,
        each: &mut PageFn<'_, Record>,
    ) -> Result<(), StoreError> {
        if query.is_empty() {
            return Ok(());
        }
        let mut q = format!(
            "SELECT {} FROM {} WHERE {} = {} AND {}",
            field_list(&schema::READING_FIELDS),
            ident(READINGS),
            ident("resolution"),
            literal(query.resolution.code()),
            time_range(query.from, query.to)
        );
        push_filter(&mut q, "station", &query.stations);
        if let Some(parameters) = query.parameters.listed() {
            let codes: Vec<&str> = parameters.iter().map(|p| p.code()).collect();
            query::push_any_of(&mut q, "parameter", &codes);
        }
        q.push_str(" GROUP BY \"station\", \"parameter\"");
        let resolution = query.resolution;
        self.select_paged(
            READ,
            &q,
            page_size,
            |series, out| schema::decode_records(series, resolution, out),
            each,
        )
    }

    fn latest_readings(
        &self,
        resolution: Resolution,
        stations: &Stations,
    ) -> Result<Vec<Record>, StoreError> {
        if stations.selects_nothing() {
            return Ok(Vec::new());
        }
        let mut q = format!(
            "SELECT {} FROM {} WHERE {} = {}",
            field_list(&schema::READING_FIELDS),
            ident(READINGS),
            ident("resolution"),
            literal(resolution.code()),
        );
        push_filter(&mut q, "station", stations);
        q.push_str(" GROUP BY \"station\", \"parameter\" ORDER BY time DESC LIMIT 1");
        let mut out = Vec::new();
        self.select(&q)
            .and_then(|series| schema::decode_records(&series, resolution, &mut out))
            .map_err(self.fail(READ))?;
        sort_series(&mut out);
        Ok(out)
    }

    fn count_readings(&self, resolution: Resolution) -> Result<u64, StoreError> {
        self.count_records(resolution).map_err(self.fail(READ))
    }

    fn readings_span(&self, resolution: Resolution) -> Result<Option<TimeSpan>, StoreError> {
        self.span(span_queries(READINGS, "flag", resolution), READ)
    }
}

/// InfluxDB keeps no write counts: what is computed from its data is never kept.
impl crate::store::WriteCounter for InfluxStore {}

impl IndexStore for InfluxStore {
    fn put_indices(&mut self, records: &[IndexRecord]) -> Result<usize, StoreError> {
        self.send(records, schema::encode_index)
            .map_err(self.fail(PUT_INDICES))?;
        Ok(records.len())
    }

    fn indices_paged(
        &self,
        query: &IndexQuery,
        page_size: usize,
        each: &mut PageFn<'_, IndexRecord>,
    ) -> Result<(), StoreError> {
        if query.is_empty() {
            return Ok(());
        }
        let fields = schema::index_fields();
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        let mut q = format!(
            "SELECT {} FROM {} WHERE {} = {} AND {}",
            field_list(&names),
            ident(INDICES),
            ident("resolution"),
            literal(query.resolution.code()),
            time_range(query.from, query.to)
        );
        push_filter(&mut q, "station", &query.stations);
        q.push_str(" GROUP BY \"station\"");
        let resolution = query.resolution;
        self.select_paged(
            READ_INDICES,
            &q,
            page_size,
            |series, out| schema::decode_indices(series, resolution, out),
            each,
        )
    }

    fn indices_span(&self, resolution: Resolution) -> Result<Option<TimeSpan>, StoreError> {
        self.span(span_queries(INDICES, "aqi", resolution), READ_INDICES)
    }
}
