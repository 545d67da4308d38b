//! The CSV input of `lantian aqi` and `lantian nowcast` on the command line: the library's
//! reader ([`lantian::aqi::csv::input`]) over a file, problems printed on stderr, the output
//! to a file or stdout.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use lantian::aqi::csv::input::{ColumnSpec, Header, RowProblem, read_header, reader};

/// Prints a row's problem on stderr (`line 3, column `pm25`: …`).
pub(in crate::cli) fn print_problem(problem: RowProblem) {
    eprintln!("{problem}");
}

/// Opens `path` and reads its header: the reader (at the first data row), the column names
/// as written, and the parsed header (columns and units) against `allowed`.
pub(in crate::cli) fn read_input(
    path: &Path,
    allowed: &[ColumnSpec],
) -> anyhow::Result<(csv::Reader<std::fs::File>, Vec<String>, Header)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = reader(file);
    let (names, header) =
        read_header(&mut reader, allowed).with_context(|| format!("{}", path.display()))?;
    Ok((reader, names, header))
}

/// Opens the output (file or stdout).
pub(in crate::cli) fn open_output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    let sink: Box<dyn Write> = match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    Ok(sink)
}
