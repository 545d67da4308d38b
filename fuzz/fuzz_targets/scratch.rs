//! A folder of this fuzzing process for the targets that read files: in memory (`/dev/shm`,
//! a tmpfs) where there is one, so that the readers' writes and fsyncs cost no disk I/O —
//! the readers run as in production, only the filesystem under them is fast.

use std::path::PathBuf;

/// `lantian-fuzz-<name>-<pid>` in `/dev/shm` (or the temporary folder), created empty.
pub fn folder(name: &str) -> PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("lantian-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}
