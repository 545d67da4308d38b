//! `lantian jobs list` as a user runs it: the jobs with their order within a day, and the
//! configuration errors of `after` and of options of another kind.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_lantian");

/// Runs `lantian jobs list` with a configuration holding `jobs` (`[[job]]` tables).
fn jobs_list(dir: &Path, jobs: &str) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nstore = \"sqlite:jobs.db\"\n{jobs}",
            root.join("tests/fixtures/two-stations/network.toml")
                .display()
        ),
    )
    .unwrap();
    Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .args(["-q", "jobs", "list"])
        .output()
        .unwrap()
}

#[test]
fn the_list_shows_what_each_job_runs_after() {
    let dir = tempfile::tempdir().unwrap();
    let out = jobs_list(dir.path(), "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    // The "after" cell of a job's row (the columns before it are ASCII).
    let header = stdout.lines().next().unwrap();
    let (from, to) = (
        header.find("after").unwrap(),
        header.find("next run").unwrap(),
    );
    let after = |job: &str| {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{job} ")))
            .unwrap_or_else(|| panic!("no {job} in {stdout}"));
        row[from..to].trim().to_string()
    };
    assert_eq!(
        after("daily-report"),
        "indices, sources, forecast",
        "{stdout}"
    );
    assert_eq!(after("monthly-ranking"), "indices", "{stdout}");
    assert_eq!(after("sources"), "", "{stdout}");
}

#[test]
fn unknown_names_cycles_and_foreign_options_are_refused() {
    let job = |name: &str, kind: &str, extra: &str| {
        format!("[[job]]\nname = \"{name}\"\nschedule = \"0 8 * * *\"\nkind = \"{kind}\"\n{extra}")
    };
    let cases = [
        (
            job("report", "daily-report", "after = [\"flags\"]\n"),
            "job `report` runs after `flags`, which is not a job (jobs: report)".to_string(),
        ),
        (
            job("report", "daily-report", "after = [\"flags\"]\n")
                + &job("flags", "sources", "after = [\"report\"]\n"),
            "jobs run after each other in a cycle: flags → report → flags".to_string(),
        ),
        (
            job("report", "daily-report", "")
                + &job("ranking", "monthly-ranking", "weather = \"w.csv\"\n"),
            "`weather` is an option of `forecast` jobs, not of `monthly-ranking` jobs".to_string(),
        ),
    ];
    for (jobs, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = jobs_list(dir.path(), &jobs);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains(&expected), "{stderr}");
        if expected.contains("weather") {
            // The file and the line of the option.
            assert!(
                stderr.contains("lantian.toml") && stderr.contains("line 11"),
                "{stderr}"
            );
        }
    }
}
