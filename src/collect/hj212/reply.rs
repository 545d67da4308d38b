//! What the ingest server writes to a logger: data acknowledgements (9014), request replies
//! (9011) and the platform's commands (1012 set time, 1062 set the real-time interval), built
//! with the codec.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::hj212::time::{format_data_time, format_qn};
use crate::hj212::{Command, Cp, EncodeError, Packet, QnRtn, SystemCode};

/// A command the platform sends a logger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoggerCommand {
    /// 1012: set the logger's clock to this time (sent as local time of its station).
    SetTime(DateTime<Utc>),
    /// 1062: send real-time data (2011) every this many seconds (30–3600).
    SetRtdInterval(u32),
}

impl LoggerCommand {
    /// Its command code.
    pub const fn command(self) -> Command {
        match self {
            LoggerCommand::SetTime(_) => Command::SetTime,
            LoggerCommand::SetRtdInterval(_) => Command::SetRtdInterval,
        }
    }
}

/// Who a reply or command is for: the logger's MN and PW, as its packets carry them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Addressee<'a> {
    pub mn: &'a str,
    pub pw: &'a str,
}

/// The data acknowledgement (9014) of the upload `qn`: its own QN, `ST=91`, `Flag=4`,
/// `CP=&&&&` (HJ 212-2017, Table C.16).
pub(super) fn data_ack(qn: &str, to: Addressee<'_>) -> Result<Vec<u8>, EncodeError> {
    reply(qn, Command::DataAck, to, Cp::new())
}

/// The request reply (9011) of the request `qn` with `QnRtn`.
pub(super) fn request_reply(
    qn: &str,
    rtn: QnRtn,
    to: Addressee<'_>,
) -> Result<Vec<u8>, EncodeError> {
    let mut cp = Cp::new();
    cp.push("QnRtn", rtn.code().to_string());
    reply(qn, Command::RequestReply, to, cp)
}

fn reply(qn: &str, cn: Command, to: Addressee<'_>, cp: Cp<'_>) -> Result<Vec<u8>, EncodeError> {
    Packet::new(qn, SystemCode::SystemInteraction, cn, to.pw, to.mn, false, cp).encode()
}

/// The request packet of `command` to a logger of system `st` whose station keeps time in
/// `zone`, numbered `qn`, asking for replies (Flag A bit: 9011, then 9012).
pub(super) fn command_packet(
    command: LoggerCommand,
    qn: &str,
    st: SystemCode,
    zone: Tz,
    to: Addressee<'_>,
) -> Result<Vec<u8>, EncodeError> {
    let mut cp = Cp::new();
    match command {
        LoggerCommand::SetTime(time) => cp.push("SystemTime", format_data_time(time, zone)),
        LoggerCommand::SetRtdInterval(seconds) => cp.push("RtdInterval", seconds.to_string()),
    };
    Packet::new(qn, st, command.command(), to.pw, to.mn, true, cp).encode()
}

/// A new QN (request number) for a command sent at `now`.
pub(super) fn new_qn(now: DateTime<Utc>, zone: Tz) -> String {
    format_qn(now, zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hj212::{Mode, parse};

    #[test]
    fn the_ack_echoes_the_uploads_qn_with_st_91_and_flag_4() {
        let to = Addressee {
            mn: "010000A8900016F000169DC0",
            pw: "100000",
        };
        let ack = data_ack("20160801085857223", to).unwrap();
        let text = String::from_utf8(ack.clone()).unwrap();
        assert!(
            text.starts_with(
                "##0081QN=20160801085857223;ST=91;CN=9014;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"
            ),
            "{text}"
        );
        assert!(text.ends_with("\r\n"));
        let decoded = parse(&ack, Mode::Strict).unwrap();
        assert_eq!(decoded.packet.cn, Command::DataAck);
        let reply = request_reply("20160801085857223", QnRtn::Rejected, to).unwrap();
        let decoded = parse(&reply, Mode::Strict).unwrap();
        assert_eq!(decoded.packet.cp.get("QnRtn"), Some("2"));
    }

    #[test]
    fn commands_carry_local_time_and_ask_for_replies() {
        let to = Addressee {
            mn: "8888800000001",
            pw: "123456",
        };
        let at: DateTime<Utc> = "2026-03-01T00:30:15Z".parse().unwrap();
        let zone = chrono_tz::Asia::Shanghai;
        let qn = new_qn(at, zone);
        assert_eq!(qn, "20260301083015000");
        let packet = command_packet(LoggerCommand::SetTime(at), &qn, SystemCode::AirQuality, zone, to)
            .unwrap();
        let decoded = parse(&packet, Mode::Strict).unwrap().packet;
        assert_eq!(decoded.cn, Command::SetTime);
        assert_eq!(decoded.cp.get("SystemTime"), Some("20260301083015"));
        assert!(decoded.needs_reply());
        let packet = command_packet(
            LoggerCommand::SetRtdInterval(60),
            &qn,
            SystemCode::AirQuality,
            zone,
            to,
        )
        .unwrap();
        let decoded = parse(&packet, Mode::Strict).unwrap().packet;
        assert_eq!(decoded.cn, Command::SetRtdInterval);
        assert_eq!(decoded.cp.get("RtdInterval"), Some("60"));
    }
}
