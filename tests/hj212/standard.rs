//! The standard's own worked examples (HJ 212-2017): the CRC test vector packet, and packets in
//! the style of Appendix C — a real-time upload, an hourly upload that asks for an answer, the
//! platform's acknowledgement (Table C.16), request reply and execution result.

use lantian::hj212::command::{ExeRtn, QnRtn};
use lantian::hj212::crc::crc16;
use lantian::hj212::packet::Edition;
use lantian::hj212::reply::{data_ack, execution_result, request_reply};
use lantian::hj212::{Command, Cp, Mode, Packet, Status, SystemCode, inspect, parse};

use super::corpus::corpus;

const SEGMENT: &str = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";

#[test]
fn the_crc_test_vector_packet() {
    assert_eq!(SEGMENT.len(), 101);
    assert_eq!(crc16(SEGMENT.as_bytes()), 0x1C80);
    let packet = format!("##0101{SEGMENT}1C80\r\n");
    // It is the corpus's packet hj212-shared-0350.
    let record = corpus()
        .iter()
        .find(|r| r["id"] == "hj212-shared-0350")
        .unwrap();
    assert_eq!(record["text"].as_str(), Some(packet.as_str()));
    let decoded = parse(packet.as_bytes(), Mode::Strict).unwrap();
    assert_eq!(decoded.packet.cn, Command::SetRtdInterval);
    assert_eq!(decoded.packet.cp.get("RtdInterval"), Some("30"));
    assert_eq!(decoded.packet.encode().unwrap(), packet.as_bytes());
    // The CRC-16/MODBUS value of the same bytes is a CRC mismatch.
    let modbus = format!("##0101{SEGMENT}0759\r\n");
    assert_eq!(inspect(modbus.as_bytes()).status, Status::BadCrc);
}

/// A logger's upload of the 2017 layout.
fn upload(cn: Command, reply: bool, data_time: &str, suffix: &str) -> Packet<'static> {
    let mut cp = Cp::new();
    cp.push("DataTime", data_time.to_string());
    for (code, value) in [("a34004", "35"), ("a21026", "8.1"), ("a21005", "0.712")] {
        cp.push_group([
            (format!("{code}-{suffix}"), value.to_string()),
            (format!("{code}-Flag"), "N".to_string()),
        ]);
    }
    Packet::new(
        "20260301090000123",
        SystemCode::AirQuality,
        cn,
        "123456",
        "010000A8900016F000169DC0",
        reply,
        cp,
    )
}

#[test]
fn appendix_c_style_uploads_and_answers() {
    let realtime = upload(Command::RealTimeData, false, "20260301085930", "Rtd");
    let bytes = realtime.encode().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    // Length and CRC computed apart, from the standard's text (in Python, with the
    // algorithm as the standard prints it): 198 bytes, CRC 8D01.
    assert_eq!(
        text,
        "##0198QN=20260301090000123;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;\
         CP=&&DataTime=20260301085930;a34004-Rtd=35,a34004-Flag=N;a21026-Rtd=8.1,a21026-Flag=N;\
         a21005-Rtd=0.712,a21005-Flag=N&&8D01\r\n"
    );
    assert_eq!(parse(&bytes, Mode::Strict).unwrap().packet, realtime);

    // An hourly upload that asks for an answer (Flag 5): the platform answers 9014 with the
    // upload's QN, ST=91, Flag=4 and an empty CP.
    let hourly = upload(Command::HourlyData, true, "20260301080000", "Avg");
    let received = hourly.encode().unwrap();
    let request = parse(&received, Mode::Strict).unwrap().packet;
    assert!(request.needs_reply());
    assert_eq!(request.flag.unwrap().edition(), Edition::Hj212_2017);
    let ack = data_ack(&request).encode().unwrap();
    let ack = parse(&ack, Mode::Strict).unwrap().packet;
    assert_eq!(
        (ack.qn.as_deref(), ack.st, ack.cn, ack.flag.unwrap().bits()),
        (
            Some("20260301090000123"),
            Some(SystemCode::SystemInteraction),
            Command::DataAck,
            4
        )
    );
    assert!(ack.cp.is_empty());

    // A command from the platform is answered with 9011 (QnRtn) and 9012 (ExeRtn).
    let reply = request_reply(&request, QnRtn::Ready).encode().unwrap();
    assert!(String::from_utf8(reply).unwrap().contains(";CN=9011;"));
    let result = execution_result(&request, ExeRtn::Success)
        .encode()
        .unwrap();
    let result = parse(&result, Mode::Strict).unwrap().packet;
    assert_eq!(
        ExeRtn::from_text(result.cp.get("ExeRtn").unwrap()),
        Some(ExeRtn::Success)
    );
}
