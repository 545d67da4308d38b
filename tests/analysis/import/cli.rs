//! `lantian import` then `lantian query` on the command line, and its exit on a structure
//! error.

use std::process::Command;

use super::PRSA_HEADER;

#[test]
fn cli_import_then_query() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("PRSA_Data_Tiantan_excerpt.csv");
    std::fs::write(
        &input,
        format!(
            "{PRSA_HEADER}\
             1,2013,3,1,0,6,18,5,NA,800,88,0.1,1021.1,-18.6,0,NW,4.4,Tiantan\n\
             2,2013,3,1,1,6,15,5,NA,bad,88,-0.3,1021.5,-19,0,NW,4,Tiantan\n"
        ),
    )
    .expect("write");
    let store = format!("sqlite:{}", dir.path().join("x.db").display());
    let registry = concat!(env!("CARGO_MANIFEST_DIR"), "/stations/dongguan.toml");
    let lantian = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lantian"))
            .current_dir(dir.path())
            .args(["--store", &store, "--registry", registry])
            .args(args)
            .output()
            .expect("run lantian")
    };
    let out = lantian(&["import", "--format", "prsa", &input.to_string_lossy()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("rows read 2"), "{stdout}");
    assert!(stdout.contains("BJ-Tiantan"), "{stdout}");
    assert!(
        stderr.contains("PRSA_Data_Tiantan_excerpt.csv:3:") && stderr.contains("`bad`"),
        "{stderr}"
    );

    let out = lantian(&[
        "query",
        "--from",
        "2013-02-28T16:00:00Z",
        "--to",
        "2013-02-28T18:00:00Z",
        "--utc",
        "--format",
        "csv",
        "-p",
        "co",
        "-p",
        "wd",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(
        rows,
        [
            "2013-02-28 16:00:00,BJ-Tiantan,co,0.800,mg/m3,N,1",
            "2013-02-28 16:00:00,BJ-Tiantan,wd,315.000,deg,N,1",
            "2013-02-28 17:00:00,BJ-Tiantan,wd,315.000,deg,N,1",
        ]
    );

    // A structure error: non-zero exit, the column named, nothing written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "time,station,benzene\n2013-03-01 00:00,X,1\n").expect("write");
    let out = lantian(&["import", "--format", "csv", &bad.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("`benzene`"), "{stderr}");
}
