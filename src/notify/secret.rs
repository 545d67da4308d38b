//! The channels' secrets (a DingTalk robot's access token and signing secret, a WeCom robot's
//! key, a webhook's URL or bearer token, an SMTP password): never in `lantian.toml`, always
//! from an environment variable (`*_env`) or a file (`*_file`), read when the notifier starts,
//! as the InfluxDB token is.

use std::fmt;
use std::path::PathBuf;

use super::config::Located;

/// A secret that never shows in `Debug` output or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself (for the request that needs it, never for a message).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable (`…_env = "NAME"`).
    Env(String),
    /// A file (`…_file = "PATH"`, relative to the configuration's folder); surrounding white
    /// space is ignored.
    File(PathBuf),
}

/// Why a secret cannot be read; the message names the configuration file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The variable is not set (or empty).
    #[error("{at}: environment variable {name} is not set or empty")]
    Env {
        /// Where the key is.
        at: Located,
        /// The variable.
        name: String,
    },
    /// The file cannot be read.
    #[error("{at}: cannot read {}: {source}", path.display())]
    File {
        /// Where the key is.
        at: Located,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file holds nothing but white space.
    #[error("{at}: {} is empty", path.display())]
    EmptyFile {
        /// Where the key is.
        at: Located,
        /// The file.
        path: PathBuf,
    },
}

impl SecretSource {
    /// Reads the secret; `at` is where the configuration names its source.
    pub fn read(&self, at: &Located) -> Result<Secret, SecretError> {
        match self {
            SecretSource::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                _ => Err(SecretError::Env {
                    at: at.clone(),
                    name: name.clone(),
                }),
            },
            SecretSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
                    at: at.clone(),
                    path: path.clone(),
                    source,
                })?;
                let text = text.trim();
                if text.is_empty() {
                    return Err(SecretError::EmptyFile {
                        at: at.clone(),
                        path: path.clone(),
                    });
                }
                Ok(Secret(text.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Located {
        Located {
            file: "lantian.toml".into(),
            line: 7,
            field: "notify.channel[0].secret_env".into(),
        }
    }

    #[test]
    fn reads_files_and_names_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "  SECabc\n").unwrap();
        let s = SecretSource::File(path.clone()).read(&at()).unwrap();
        assert_eq!(s.expose(), "SECabc");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        std::fs::write(&path, "\n").unwrap();
        let e = SecretSource::File(path)
            .read(&at())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("lantian.toml:7: notify.channel[0].secret_env:"),
            "{e}"
        );
        assert!(e.contains("is empty"), "{e}");
        let e = SecretSource::Env("LANTIAN_TEST_NO_SUCH_VARIABLE".into())
            .read(&at())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("LANTIAN_TEST_NO_SUCH_VARIABLE is not set"),
            "{e}"
        );
    }
}
