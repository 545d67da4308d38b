//! `lantian run` with an `[[uplink]]`: the simulator and `lantian run` as two processes on
//! one accelerated clock, the Python peer as the provincial platform. What the platform
//! received is compared with what the collectors stored: every minute and hour up to the
//! last one sent arrived once, in order, complete (never sent before all its values were in
//! the store), with the store's values and flags.

use std::collections::BTreeMap;
use std::path::Path;

use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingQuery, ReadingStore, Resolution};

use super::platform::{PW, TZ, check, duplicates, expected_packets, order, platform_at, received};
use crate::common::hj212_peer::python3;
use crate::common::peers::free_port;
use crate::common::sim_run::run_beside_simulator;

const MNS: [(&str, &str); 2] = [("T-A", "MNTESTA"), ("T-B", "MNTESTB")];

#[test]
fn lantian_run_sends_what_it_collects() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.path().join("scenario.toml"), "seed = 5\n").unwrap();
    let port = free_port();
    let start = "2026-03-01T16:00:00Z"; // 00:00 on 2 March in Shanghai
    let mut toml = format!(
        "registry = \"{}\"\nstore = \"sqlite:run.db\"\nscenario = \"scenario.toml\"\n\
         [collect]\ntimeout_ms = 300\n\
         [[job]]\nname = \"hourly-indices\"\nschedule = \"5 * * * *\"\nkind = \"indices\"\n\
         [[uplink]]\nname = \"prov\"\naddress = \"127.0.0.1:{port}\"\ndata = [2051, 2061]\n\
         start = \"{start}\"\npw_env = \"LT_UPLINK_PW\"\ndelay_s = 60\n",
        root.join("tests/fixtures/two-stations/network.toml")
            .display()
    );
    for (id, mn) in MNS {
        toml.push_str(&format!("[uplink.station.{id}]\nmn = \"{mn}\"\n"));
    }
    let config = dir.path().join("lantian.toml");
    std::fs::write(&config, toml).unwrap();
    let out = dir.path().join("received.jsonl");
    let _platform = platform_at(port, &out, &[], &MNS.map(|m| m.1));
    // 10 simulated minutes per real second, both processes on the same time line.
    let clock = ["--speed", "600", "--start", start];
    let log = dir.path().join("run.log");
    let run = run_beside_simulator(&config, &clock, &["-v"], 9, |run| {
        run.env("LT_UPLINK_PW", PW)
            .stderr(std::fs::File::create(&log).unwrap());
    });
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(run.success(), "{logs}");

    let store = SqliteStore::open(dir.path().join("run.db")).unwrap();
    let t0 = start.parse().unwrap();
    let mut records = Vec::new();
    for resolution in [Resolution::Minute, Resolution::Hour] {
        records.extend(
            store
                .readings(&ReadingQuery::new(
                    resolution,
                    t0,
                    t0 + chrono::TimeDelta::days(1),
                ))
                .unwrap(),
        );
    }
    let mn = |station: &str| MNS.iter().find(|m| m.0 == station).map(|m| m.1.to_string());
    let expected = expected_packets(&records, &[2051, 2061], mn, TZ);
    let got = received(&out);
    // What was due while it ran: up to the last packet sent, per station.
    let mut last = BTreeMap::new();
    for r in &got {
        let o = order(r.cn, &r.datatime);
        let entry = last.entry(r.mn.clone()).or_insert(o);
        *entry = (*entry).max(o);
    }
    for (_, m) in MNS {
        let cns: Vec<u16> = got.iter().filter(|r| r.mn == m).map(|r| r.cn).collect();
        assert!(
            cns.contains(&2051) && cns.contains(&2061),
            "{m}: {} packets, CNs {cns:?}\n{}",
            cns.len(),
            logs.lines()
                .filter(|l| l.contains("uplink"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let due = expected
        .into_iter()
        .filter(|((mn, cn, datatime), _)| last.get(mn).is_some_and(|l| order(*cn, datatime) <= *l))
        .collect();
    let counts = check(&got, &due, &logs);
    assert!(duplicates(&counts).is_empty(), "{:?}", duplicates(&counts));
    eprintln!("lantian run: {} packets sent and acknowledged", got.len());
}
