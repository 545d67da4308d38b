//! `lantian jobs list` and `lantian jobs run NAME [--at TIME]`: the scheduled jobs, their next
//! and last runs, and manual runs and backfills (recorded like scheduled ones).

use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use lantian::clock::Clock;
use lantian::config::Config;
use lantian::jobs::kinds::{JobContext, OpenStore, build_jobs};
use lantian::jobs::scheduler::{RunLog, ScheduledJob, StoreRunLog, run_once};
use lantian::registry::Registry;
use lantian::store::{JobOutcome, Jobs};

use super::network::NetworkFacts;
use super::table::Table;

/// Options of `lantian jobs`.
#[derive(Debug, Args)]
pub(super) struct JobsArgs {
    #[command(subcommand)]
    command: JobsCommand,
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// List the jobs with their schedules, next run and last recorded run.
    List,
    /// Run one job now, or for the scheduled time `--at` (a backfill), and record the run.
    Run {
        /// The job's name (see `lantian jobs list`).
        name: String,
        /// The scheduled time to run for: `2026-11-01 08:00` (network time zone) or RFC 3339
        /// [default: now].
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

/// What the jobs of this configuration need.
fn job_context(config: &Config, network: NetworkFacts) -> JobContext {
    let url = config.store.clone();
    JobContext {
        network_name: network.name(config.report.lang),
        time_zone: network.time_zone,
        #[cfg(feature = "reports")]
        devices: network.devices,
        report: config.report.clone(),
        index: config.aqi,
        open_store: Arc::new(move || lantian::store::open(&url)),
    }
}

/// The configured jobs of the network in `registry`, ready to schedule.
pub(super) fn scheduled_jobs(
    config: &Config,
    registry: &Registry,
) -> anyhow::Result<Vec<ScheduledJob>> {
    let url = config.store.clone();
    let open_store: OpenStore = Arc::new(move || lantian::store::open(&url));
    let context = JobContext::new(registry, config.report.clone(), config.aqi, open_store);
    Ok(build_jobs(&config.jobs(), &context)?)
}

fn jobs_of(config: &Config, network: NetworkFacts) -> anyhow::Result<Vec<ScheduledJob>> {
    Ok(build_jobs(&config.jobs(), &job_context(config, network))?)
}

/// Runs `lantian jobs …` (from the registry when there is one, else from the store's
/// stations: jobs only read and write the store).
pub(super) async fn run(config: &Config, args: JobsArgs) -> anyhow::Result<()> {
    let network = NetworkFacts::load(config, super::open_store(config)?.as_ref())?;
    let tz = network.time_zone;
    let jobs = jobs_of(config, network)?;
    let log: Arc<Mutex<dyn RunLog>> = Arc::new(Mutex::new(StoreRunLog(super::open_store(config)?)));
    match args.command {
        JobsCommand::List => {
            let store = super::open_store(config)?;
            let now = Utc::now();
            let mut table = Table::new(
                &[
                    "job",
                    "kind",
                    "schedule",
                    "after",
                    "next run",
                    "last run for",
                    "outcome",
                ],
                &[],
            );
            for job in &jobs {
                let last = store
                    .latest_job_runs(&Jobs::one(job.name.as_str()), 1)?
                    .into_iter()
                    .next();
                let local = |t: chrono::DateTime<Utc>| {
                    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
                };
                table.push(vec![
                    job.name.clone(),
                    job.kind.name().to_string(),
                    job.schedule.expression().to_string(),
                    job.after.join(", "),
                    job.schedule.next_after(now).map(local).unwrap_or_default(),
                    last.as_ref()
                        .map(|r| local(r.scheduled))
                        .unwrap_or_else(|| "—".into()),
                    match last.map(|r| r.outcome) {
                        Some(JobOutcome::Succeeded(_)) => "ok".into(),
                        Some(JobOutcome::Failed(e)) => format!("failed: {e}"),
                        None => String::new(),
                    },
                ]);
            }
            print!("{}", table.render());
            eprintln!("times in {tz}");
        }
        JobsCommand::Run { name, at } => {
            let Some(job) = jobs.iter().find(|j| j.name == name) else {
                let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
                bail!("no job named `{name}` (jobs: {})", names.join(", "));
            };
            let scheduled = match at {
                Some(text) => super::query::parse_time(&text, tz).context("--at")?,
                None => Utc::now(),
            };
            let record = run_once(job, scheduled, &Clock::real(), &log).await;
            match record.outcome {
                JobOutcome::Succeeded(output) => {
                    println!("{name}: ok");
                    for o in output.lines() {
                        println!("  {o}");
                    }
                }
                JobOutcome::Failed(e) => bail!("{name} failed: {e}"),
            }
        }
    }
    Ok(())
}
