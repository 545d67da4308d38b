//! Configuration errors and warnings that name the file, line and field.

use std::path::PathBuf;

/// A configuration error, located. Displayed as `file:line:column: field: message` (the
/// field is left out when the error concerns no particular field, the line and column when
/// the error concerns the whole file, e.g. one that cannot be read).
#[derive(Debug, Clone, thiserror::Error)]
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
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Something in a configuration file that loads but is probably a mistake (an address that
/// looks 1-based, a range that does not fit its unit …): located, and displayed, like a
/// [`ConfigError`] (the message says how to fix it, or how to say that it is meant). Loading
/// keeps them in [`Registry::warnings`](super::Registry::warnings); the commands that load a
/// registry log them and `lantian stations` lists them.
#[derive(Debug, Clone)]
pub struct ConfigWarning(pub ConfigError);

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
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
        let w = ConfigWarning(ConfigError {
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
