//! The commands that run until stopped run with glibc's malloc tunables (`cli::malloc`): once
//! `lantian sim` serves, its process (the same PID: the program ran itself again) has
//! `GLIBC_TUNABLES` in its environment and malloc has no arena but the main one (one arena) —
//! unless the deployment set `GLIBC_TUNABLES` itself, which is then left as it was.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::served_sim::two_stations_on_free_ports;
use crate::common::sim_run::BIN;

/// What `cli::malloc::TUNABLES` sets (the binary's constant, written out: a test that read it
/// from the source could not notice it changed).
const TUNABLES: &str = "glibc.malloc.mmap_threshold=131072:glibc.malloc.arena_max=1";

/// `lantian sim` of the two-station network with `GLIBC_TUNABLES` as given (`None`: unset);
/// returns the environment of the process and its number of malloc arenas besides the main
/// one, once it accepts connections on its first gateway.
fn once_serving(tunables: Option<&str>) -> (Vec<String>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let network = two_stations_on_free_ports(dir.path());
    let text = std::fs::read_to_string(&network).unwrap();
    let at = text.find("127.0.0.1:").expect("a gateway address") + "127.0.0.1:".len();
    let digits = text[at..].chars().take_while(char::is_ascii_digit).count();
    let gateway = format!("127.0.0.1:{}", &text[at..at + digits]);
    std::fs::write(dir.path().join("scenario.toml"), "seed = 5\n").unwrap();
    let config = dir.path().join("lantian.toml");
    std::fs::write(
        &config,
        "registry = \"network.toml\"\nscenario = \"scenario.toml\"\n",
    )
    .unwrap();
    let mut command = Command::new(BIN);
    command
        .arg("--config")
        .arg(&config)
        .args(["sim", "--speed", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match tunables {
        Some(value) => command.env("GLIBC_TUNABLES", value),
        None => command.env_remove("GLIBC_TUNABLES"),
    };
    let mut child = KillOnDrop(command.spawn().expect("start the simulator"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&gateway).is_err() {
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "the simulator ended before serving"
        );
        assert!(
            Instant::now() < deadline,
            "the simulator never served {gateway}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.0.id();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let environment = environ
        .split(|&b| b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    (environment, thread_arenas(&maps))
}

/// glibc's arenas other than the main one in `/proc/PID/maps`: each is an anonymous heap
/// aligned to 64 MiB whose read-write part and the reserved rest after it (`---p`) make
/// 64 MiB.
fn thread_arenas(maps: &str) -> usize {
    const HEAP: u64 = 64 << 20;
    let regions: Vec<(u64, u64, bool, bool)> = maps
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (start, end) = fields.next()?.split_once('-')?;
            let permissions = fields.next()?;
            let anonymous = fields.nth(3).is_none();
            let start = u64::from_str_radix(start, 16).ok()?;
            let end = u64::from_str_radix(end, 16).ok()?;
            Some((start, end, permissions.starts_with("rw"), anonymous))
        })
        .collect();
    regions
        .iter()
        .enumerate()
        .filter(|&(i, &(start, end, writable, anonymous))| {
            let reserved_rest = regions
                .get(i + 1)
                .filter(|&&(next, _, writable, anonymous)| next == end && !writable && anonymous)
                .map_or(end, |&(_, rest_end, _, _)| rest_end);
            writable && anonymous && start % HEAP == 0 && reserved_rest - start == HEAP
        })
        .count()
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_service_without_glibc_tunables_runs_with_one_malloc_arena() {
    let (environment, arenas) = once_serving(None);
    // glibc 2.36 cuts the variable at each `:` in place as it reads it, so the environment
    // shows the first tunable in the variable and the rest as an entry of its own.
    let set: Vec<_> = environment
        .iter()
        .filter(|v| v.starts_with("GLIBC_TUNABLES="))
        .collect();
    assert_eq!(set.len(), 1, "{environment:?}");
    assert!(
        format!("GLIBC_TUNABLES={TUNABLES}").starts_with(set[0].as_str()),
        "{environment:?}"
    );
    assert_eq!(arenas, 0, "arenas besides the main one");
}

#[test]
fn a_deployments_own_glibc_tunables_are_kept() {
    let own = "glibc.malloc.arena_max=8";
    let (environment, _) = once_serving(Some(own));
    let set: Vec<_> = environment
        .iter()
        .filter(|v| v.starts_with("GLIBC_TUNABLES="))
        .collect();
    assert_eq!(set, [&format!("GLIBC_TUNABLES={own}")]);
}
