//! `lantian alarms`: an alarm opened through the library in a SQLite store is acknowledged,
//! assigned, commented on and closed through the command line; `show` prints its evidence and
//! the whole audit log with who did what; refused steps fail naming the alarm.

use std::process::{Command, Output};

use chrono::{TimeDelta, TimeZone, Utc};
use lantian::alarms::{AlarmBook, Raise};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    AlarmKind, AlarmSubject, Averaging, Direction, Measure, Observation, Severity,
};
use lantian::units::Parameter;

fn lantian(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantian"))
        .current_dir(dir)
        .env("USER", "duty-officer")
        .args(["--store", "sqlite:alarms.db", "-q", "alarms"])
        .args(args)
        .output()
        .expect("run lantian")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(out: Output) -> String {
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    stdout
}

#[test]
fn people_work_an_alarm_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2025, 6, 1, 1, 0, 0).unwrap();
    let mut store = SqliteStore::open(dir.path().join("alarms.db")).unwrap();
    let raise = |minutes: i64, value: f64| Raise {
        rule: "pm25-1h".into(),
        subject: AlarmSubject::StationParameter("DG-GC".into(), Parameter::Pm25),
        kind: AlarmKind::Threshold,
        severity: Severity::Major,
        measure: Measure::Value {
            parameter: Parameter::Pm25,
            averaging: Averaging::Hour,
        },
        direction: Direction::Above,
        threshold: 150.0,
        clear_level: 115.0,
        value: Observation {
            time: t0 + TimeDelta::minutes(minutes),
            value,
        },
        warning: None,
        stale: false,
    };
    let mut book = AlarmBook::new(&mut store);
    let alarm = book.raise(&raise(0, 162.5), t0).unwrap().alarm().clone();
    book.raise(&raise(60, 231.0), t0 + TimeDelta::hours(1))
        .unwrap();
    drop(store);
    let id = alarm.id().to_string();

    let listed = ok(lantian(dir.path(), &["--open"]));
    assert!(listed.contains(&id), "{listed}");
    assert!(
        listed.contains("station/DG-GC/pm25") && listed.contains("231.0 µg/m³"),
        "{listed}"
    );
    assert!(listed.contains("1 h 0 min"), "duration: {listed}");
    let zh = ok(lantian(
        dir.path(),
        &["--lang", "zh", "--severity", "major"],
    ));
    assert!(
        zh.contains("较重") && zh.contains("未确认") && zh.contains("超标"),
        "{zh}"
    );
    assert!(!ok(lantian(dir.path(), &["--severity", "critical"])).contains(&id));
    // Opened on 1 June: listed since then, not since the next day.
    let since = |day: &str| ok(lantian(dir.path(), &["--open", "--since", day]));
    assert!(since("2025-06-01").contains(&id));
    assert!(!since("2025-06-02").contains(&id));

    // The actor defaults to $USER.
    let out = ok(lantian(dir.path(), &["ack", &id]));
    assert!(
        out.contains(&format!("alarm {id} acknowledged by duty-officer")),
        "{out}"
    );
    ok(lantian(
        dir.path(),
        &["assign", &id, "运维一组", "--by", "王工"],
    ));
    ok(lantian(
        dir.path(),
        &["comment", &id, "滤膜已更换", "--by", "李四"],
    ));
    let refused = lantian(dir.path(), &["ack", &id, "--by", "李四"]);
    let (_, stderr) = text(&refused);
    assert!(!refused.status.success());
    assert!(
        stderr.contains(&id) && stderr.contains("already acknowledged by duty-officer"),
        "{stderr}"
    );
    let out = ok(lantian(
        dir.path(),
        &["close", &id, "--note", "站点已处理", "--by", "王工"],
    ));
    assert!(out.contains("closed by 王工"), "{out}");
    let refused = lantian(dir.path(), &["close", &id, "--note", "again"]);
    let (_, stderr) = text(&refused);
    assert!(
        !refused.status.success() && stderr.contains(&format!("alarm {id} is closed")),
        "{stderr}"
    );

    let shown = ok(lantian(dir.path(), &["show", &id]));
    for expected in [
        "rule         pm25-1h",
        "state        closed",
        "peak         231.0 µg/m³",
        "acknowledged by duty-officer",
        "assignee     运维一组",
        "closed by hand by 王工: 站点已处理",
        "system",
        "opened, severity major, 162.5 µg/m³",
        "assigned to 运维一组",
        "comment: 滤膜已更换",
    ] {
        assert!(shown.contains(expected), "missing {expected:?}:\n{shown}");
    }
    let actions: Vec<&str> = shown
        .lines()
        .skip_while(|l| !l.starts_with("audit log"))
        .skip(3)
        .collect();
    assert_eq!(
        actions.len(),
        5,
        "opened, acknowledged, assigned, commented, closed:\n{shown}"
    );
    assert!(!ok(lantian(dir.path(), &["--open"])).contains(&id));

    // Ids that name nothing, and text that is no id.
    let (_, stderr) = text(&lantian(dir.path(), &["show", "0000"]));
    assert!(
        stderr.contains("no alarm has the id 0000") || id.starts_with("0000"),
        "{stderr}"
    );
    let bad = lantian(dir.path(), &["show", "xyz"]);
    assert!(!bad.status.success() && text(&bad).1.contains("is not an alarm id"));
}
