//! The platform's answers to a logger: data acknowledgement (9014), request reply (9011),
//! execution result (9012). Each carries the request's own QN, `ST=91` and a Flag without the
//! A bit (HJ 212-2017, Table C.16: `QN` of the upload, `ST=91`, `Flag=4`, `CP=&&&&`).

use std::borrow::Cow;

use super::command::{Command, ExeRtn, QnRtn};
use super::cp::Cp;
use super::packet::{Edition, Packet, PacketFlag, SystemCode};

/// The answer skeleton: the request's QN, PW, MN; `ST=91`; Flag of the request's edition
/// (2017 when it has none) without D and A.
fn answer<'a>(request: &Packet<'a>, cn: Command, cp: Cp<'a>) -> Packet<'a> {
    let edition = request
        .flag
        .map(PacketFlag::edition)
        .filter(|e| *e != Edition::Unversioned)
        .unwrap_or(Edition::Hj212_2017);
    Packet {
        qn: request.qn.clone(),
        st: Some(SystemCode::SystemInteraction),
        cn,
        pw: request.pw.clone(),
        mn: request.mn.clone(),
        flag: Some(PacketFlag::new(edition, false, false)),
        split: None,
        cp,
    }
}

/// The data acknowledgement (9014) of an upload.
pub fn data_ack<'a>(request: &Packet<'a>) -> Packet<'a> {
    answer(request, Command::DataAck, Cp::new())
}

/// The request reply (9011, `QnRtn`) to a command.
pub fn request_reply<'a>(request: &Packet<'a>, rtn: QnRtn) -> Packet<'a> {
    let mut cp = Cp::new();
    cp.push("QnRtn", Cow::Owned(rtn.code().to_string()));
    answer(request, Command::RequestReply, cp)
}

/// The execution result (9012, `ExeRtn`) of a command.
pub fn execution_result<'a>(request: &Packet<'a>, rtn: ExeRtn) -> Packet<'a> {
    let mut cp = Cp::new();
    cp.push("ExeRtn", Cow::Owned(rtn.code().to_string()));
    answer(request, Command::ExecutionResult, cp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hj212::parse::{Mode, parse};

    #[test]
    fn answers_to_an_upload() {
        let upload = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
        let request = parse(upload, Mode::Strict).unwrap().packet;
        let ack = data_ack(&request).encode().unwrap();
        // Table C.16's layout; the strict parse checks length and CRC.
        assert!(ack.starts_with(
            b"##0087QN=20160801085857223;ST=91;CN=9014;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"
        ));
        parse(&ack, Mode::Strict).unwrap();
        let reply = request_reply(&request, QnRtn::Ready);
        assert_eq!(reply.cp.get("QnRtn"), Some("1"));
        let result = execution_result(&request, ExeRtn::Success)
            .encode()
            .unwrap();
        let result = parse(&result, Mode::Strict).unwrap().packet;
        assert_eq!(result.cn, Command::ExecutionResult);
        assert_eq!(result.cp.get("ExeRtn"), Some("1"));
    }
}
