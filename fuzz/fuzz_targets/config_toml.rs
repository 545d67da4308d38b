//! Any text as one of the configuration files, read from a file as `lantian` reads them: the
//! main configuration (`lantian.toml`), a network file (with the repository's instrument
//! profiles beside it) or an instrument profile. The first byte chooses which. Each answers a
//! configuration or an error that names the file, never a panic. The files are in a folder on
//! tmpfs (`scratch`), written in place: the profiles once, the fuzzed file per input.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lantian::config::Config;
use lantian::registry::{Profile, Registry};
use lantian::units::ReferenceState;
use libfuzzer_sys::fuzz_target;

mod scratch;

/// A folder of this process with `profiles/` holding copies of stations/profiles.
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let dir = scratch::folder("config");
        let profiles = dir.join("profiles");
        std::fs::create_dir_all(&profiles).expect("a profiles folder");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stations/profiles");
        for entry in std::fs::read_dir(source).expect("stations/profiles") {
            let path = entry.expect("a profile").path();
            std::fs::copy(&path, profiles.join(path.file_name().unwrap())).unwrap();
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    let dir = folder();
    let (file, error) = match which % 3 {
        0 => {
            let file = dir.join("lantian.toml");
            std::fs::write(&file, text).unwrap();
            (
                file.clone(),
                Config::load(&file).err().map(|e| e.to_string()),
            )
        }
        1 => {
            let file = dir.join("network.toml");
            std::fs::write(&file, text).unwrap();
            (
                file.clone(),
                Registry::load(&file).err().map(|e| e.to_string()),
            )
        }
        _ => {
            let file = dir.join("fuzzed.toml");
            std::fs::write(&file, text).unwrap();
            let loaded = Profile::load(&file, &ReferenceState::default());
            (file, loaded.err().map(|e| e.to_string()))
        }
    };
    if let Some(error) = error {
        // The file, or a profile the network file names.
        assert!(error.contains(&*dir.to_string_lossy()), "{file:?}: {error}");
    }
});
