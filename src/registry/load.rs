//! Loading and validating registry and profile files.

use std::path::Path;

use super::{ConfigError, Registry};

impl Registry {
    /// Loads the network file at `path` and the profiles in `profiles/` beside it.
    pub fn load(path: &Path) -> Result<Registry, ConfigError> {
        let _ = path;
        unimplemented!("helper C")
    }
}
