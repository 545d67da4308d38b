//! `lantian hj212 …`: HJ 212 tools. `decode` says what packets from a log say; `listen`
//! runs the ingest server (`hj212/listen.rs`).

pub(super) mod listen;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use lantian::config::Config;
use lantian::hj212::cp::{Cp, CpView, PairsMap};
use lantian::hj212::deviation::Deviation;
use lantian::hj212::{Field, Inspection, Mode, inspect};
use serde::Serialize;

/// Options of `lantian hj212`.
#[derive(Debug, Args)]
pub(super) struct Hj212Args {
    #[command(subcommand)]
    command: Hj212Command,
}

#[derive(Debug, Subcommand)]
enum Hj212Command {
    /// Decode packets, one per line (from a log), into one JSON object per packet: status
    /// (malformed, bad-length, bad-crc, valid), the header fields, DataTime, CP as
    /// {code: {suffix: value}} with every value as written, the computed CRC and length, and
    /// every deviation from the standard. Exits non-zero when a packet is not accepted.
    Decode(DecodeArgs),
    /// Receive HJ 212 data from the registry's loggers (`transport = "hj212"`) and store it
    /// (through the spool, with the index stage) until Ctrl-C: the ingest server on its own.
    Listen(listen::ListenArgs),
}

/// Options of `lantian hj212 decode`.
#[derive(Debug, Args)]
struct DecodeArgs {
    /// Accept the broken packets real loggers send (wrong length with a matching CRC,
    /// lower-case CRC, no CR LF, the 2005 layout, …) and list what is wrong; without it only
    /// packets that follow HJ 212-2017 exactly are accepted.
    #[arg(long)]
    lenient: bool,
    /// The file to read (`-` or nothing: standard input). A line ending in CR LF is a packet
    /// that ended with CR LF.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// Runs `lantian hj212 …`.
pub(super) async fn run(config: &Config, args: Hj212Args) -> anyhow::Result<()> {
    match args.command {
        Hj212Command::Decode(args) => decode(args),
        Hj212Command::Listen(args) => listen::run(config, args).await,
    }
}

fn decode(args: DecodeArgs) -> anyhow::Result<()> {
    let mode = if args.lenient {
        Mode::Lenient
    } else {
        Mode::Strict
    };
    let (name, input): (String, Box<dyn Read>) = match &args.file {
        None => ("standard input".into(), Box::new(std::io::stdin())),
        Some(path) if path.as_os_str() == "-" => {
            ("standard input".into(), Box::new(std::io::stdin()))
        }
        Some(path) => (
            path.display().to_string(),
            Box::new(
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
            ),
        ),
    };
    let mut input = BufReader::new(input);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut packets, mut rejected) = (0usize, Vec::new());
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .with_context(|| format!("{name}: reading line {number}"))?;
        if read == 0 {
            break;
        }
        // The line's own LF separates lines; a CR before it was the packet's.
        let packet = if line.ends_with(b"\r\n") {
            &line[..]
        } else {
            line.strip_suffix(b"\n").unwrap_or(&line)
        };
        if packet.is_empty() || packet == b"\r\n" {
            continue;
        }
        packets += 1;
        let inspection = inspect(packet);
        let accepted = inspection.clone().accept(mode).is_ok();
        if !accepted {
            rejected.push(number);
        }
        let view = inspection.cp.as_ref().map(Cp::view);
        let json = PacketJson::new(number, &inspection, view.as_ref(), accepted);
        serde_json::to_writer(&mut out, &json)
            .with_context(|| format!("{name}: writing line {number}"))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if !rejected.is_empty() {
        let mode = if args.lenient { "lenient" } else { "strict" };
        let lines: Vec<String> = rejected.iter().take(20).map(ToString::to_string).collect();
        let more = if rejected.len() > 20 { ", …" } else { "" };
        anyhow::bail!(
            "{name}: {} of {packets} packets not accepted in {mode} mode (line {}{more})",
            rejected.len(),
            lines.join(", ")
        );
    }
    Ok(())
}

/// One packet's JSON line.
#[derive(Serialize)]
struct PacketJson<'a> {
    line: usize,
    status: &'static str,
    accepted: bool,
    st: Option<&'a str>,
    cn: Option<&'a str>,
    mn: Option<&'a str>,
    flag: Option<&'a str>,
    qn: Option<&'a str>,
    pnum: Option<&'a str>,
    pno: Option<&'a str>,
    datatime: Option<&'a str>,
    cp: Option<&'a CpView<'a>>,
    cp_plain: Option<PairsMap<'a, 'a>>,
    crc: Option<String>,
    len: Option<usize>,
    crc_field: Option<&'a str>,
    len_field: Option<u32>,
    deviations: &'a [Deviation],
}

impl<'a> PacketJson<'a> {
    fn new(
        line: usize,
        inspection: &'a Inspection<'a>,
        view: Option<&'a CpView<'a>>,
        accepted: bool,
    ) -> PacketJson<'a> {
        PacketJson {
            line,
            status: inspection.status.as_str(),
            accepted,
            st: inspection.header_value(Field::St),
            cn: inspection.header_value(Field::Cn),
            mn: inspection.header_value(Field::Mn),
            flag: inspection.header_value(Field::Flag),
            qn: inspection.header_value(Field::Qn),
            pnum: inspection.header_value(Field::Pnum),
            pno: inspection.header_value(Field::Pno),
            datatime: inspection.data_time(),
            cp: view,
            cp_plain: view.map(CpView::plain_map),
            crc: inspection.computed_crc_text(),
            len: inspection.segment_len(),
            crc_field: inspection.crc_field,
            len_field: inspection.length_field,
            deviations: &inspection.deviations,
        }
    }
}
