//! Configuration errors and warnings that name the file, line and field.

use std::path::{Path, PathBuf};

/// A configuration error, located. Displayed as `file:line:column: field: message` (the
/// field is left out when the error concerns no particular field, the line and column when
/// the error concerns the whole file, e.g. one that cannot be read).
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line (0 when the error concerns the whole file).
    pub line: usize,
    /// 1-based column (0 when the error concerns the whole file).
    pub column: usize,
    /// The field path, e.g. `station[3].device[1].profile`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_located(
            f,
            &self.file,
            self.line,
            self.column,
            &self.field,
            &self.message,
        )
    }
}

/// Something in a configuration file that loads but is probably a mistake (an address that
/// looks 1-based, a range that does not fit its unit …), located and displayed like a
/// [`ConfigError`]. Loading keeps them in [`Registry::warnings`](super::Registry::warnings);
/// the commands that load a registry log them as warnings and `lantian stations` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field path, e.g. `value[0].range`.
    pub field: String,
    /// What looks wrong, and what to do about it.
    pub message: String,
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_located(
            f,
            &self.file,
            self.line,
            self.column,
            &self.field,
            &self.message,
        )
    }
}

impl From<ConfigError> for ConfigWarning {
    fn from(e: ConfigError) -> Self {
        ConfigWarning {
            file: e.file,
            line: e.line,
            column: e.column,
            field: e.field,
            message: e.message,
        }
    }
}

fn write_located(
    f: &mut std::fmt::Formatter<'_>,
    file: &Path,
    line: usize,
    column: usize,
    field: &str,
    message: &str,
) -> std::fmt::Result {
    write!(f, "{}", file.display())?;
    if line > 0 {
        write!(f, ":{line}:{column}")?;
    }
    f.write_str(": ")?;
    if !field.is_empty() {
        write!(f, "{field}: ")?;
    }
    f.write_str(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_about_a_whole_file_have_no_line_and_column() {
        let e = ConfigError {
            file: "stations/dongguan.toml".into(),
            line: 0,
            column: 0,
            field: String::new(),
            message: "cannot read the file: No such file or directory (os error 2)".into(),
        };
        assert_eq!(
            e.to_string(),
            "stations/dongguan.toml: cannot read the file: No such file or directory (os error 2)"
        );
        let w = ConfigWarning::from(ConfigError {
            line: 3,
            column: 7,
            field: "value[0].range".into(),
            message: "m".into(),
            ..e
        });
        assert_eq!(
            w.to_string(),
            "stations/dongguan.toml:3:7: value[0].range: m"
        );
    }
}
