//! Command codes (`CN=`): the ones of the reference table as an enum, every other number kept
//! as [`Command::Other`].

use std::fmt;

/// A command code of HJ 212-2017 (`CN=2011`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// 1011: get the station's (logger's) time.
    GetTime,
    /// 1012: set the station's time.
    SetTime,
    /// 1061: get the real-time data interval (`RtdInterval`).
    GetRtdInterval,
    /// 1062: set the real-time data interval.
    SetRtdInterval,
    /// 2011: real-time data (`-Rtd`, `-Flag`); `DataTime` is the sampling moment.
    RealTimeData,
    /// 2021: device run status (`SBn-RS`).
    RunStatus,
    /// 2031: daily data (`-Cou`, `-Min`, `-Avg`, `-Max`, `-Flag`); `DataTime` starts the day.
    DailyData,
    /// 2051: minute data; `DataTime` starts the interval.
    MinuteData,
    /// 2061: hourly data; `DataTime` starts the hour.
    HourlyData,
    /// 2081: restart / uptime notice.
    Restart,
    /// 9011: request reply (`QnRtn`).
    RequestReply,
    /// 9012: execution result (`ExeRtn`).
    ExecutionResult,
    /// 9013: notice reply.
    NoticeReply,
    /// 9014: data acknowledgement.
    DataAck,
    /// Any other number (e.g. 8013 heartbeat, 9015, 2072 of older loggers).
    Other(u16),
}

impl Command {
    /// Every named command (not [`Command::Other`]).
    pub const NAMED: [Command; 14] = [
        Command::GetTime,
        Command::SetTime,
        Command::GetRtdInterval,
        Command::SetRtdInterval,
        Command::RealTimeData,
        Command::RunStatus,
        Command::DailyData,
        Command::MinuteData,
        Command::HourlyData,
        Command::Restart,
        Command::RequestReply,
        Command::ExecutionResult,
        Command::NoticeReply,
        Command::DataAck,
    ];

    /// The number written after `CN=`.
    pub const fn code(self) -> u16 {
        match self {
            Command::GetTime => 1011,
            Command::SetTime => 1012,
            Command::GetRtdInterval => 1061,
            Command::SetRtdInterval => 1062,
            Command::RealTimeData => 2011,
            Command::RunStatus => 2021,
            Command::DailyData => 2031,
            Command::MinuteData => 2051,
            Command::HourlyData => 2061,
            Command::Restart => 2081,
            Command::RequestReply => 9011,
            Command::ExecutionResult => 9012,
            Command::NoticeReply => 9013,
            Command::DataAck => 9014,
            Command::Other(code) => code,
        }
    }

    /// The command with this number (a named one when there is one).
    pub fn from_code(code: u16) -> Command {
        Command::NAMED
            .into_iter()
            .find(|c| c.code() == code)
            .unwrap_or(Command::Other(code))
    }

    /// True for the data uploads lantian stores: real-time, minute, hourly and daily data.
    pub const fn is_data(self) -> bool {
        matches!(
            self,
            Command::RealTimeData | Command::MinuteData | Command::HourlyData | Command::DailyData
        )
    }

    /// For interval data (minute, hourly, daily), whether `DataTime` is the **start** of the
    /// interval: true for 2051, 2061 and 2031 (HJ 212-2017, p. 10); real-time data (2011)
    /// carries the sampling moment.
    pub const fn data_time_starts_interval(self) -> bool {
        matches!(
            self,
            Command::MinuteData | Command::HourlyData | Command::DailyData
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// The answer in a request reply (9011, `QnRtn=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QnRtn {
    /// 1: ready to execute the request.
    Ready,
    /// 2: request rejected.
    Rejected,
    /// 3: wrong password (PW).
    BadPassword,
    /// 4: unknown MN.
    BadMn,
    /// 5: wrong ST.
    BadSt,
    /// 6: wrong Flag.
    BadFlag,
    /// 7: wrong QN.
    BadQn,
    /// 8: wrong CN.
    BadCn,
    /// 9: CRC check failed.
    BadCrc,
    /// 100: unknown error.
    Unknown,
}

impl QnRtn {
    /// Every value.
    pub const ALL: [QnRtn; 10] = [
        QnRtn::Ready,
        QnRtn::Rejected,
        QnRtn::BadPassword,
        QnRtn::BadMn,
        QnRtn::BadSt,
        QnRtn::BadFlag,
        QnRtn::BadQn,
        QnRtn::BadCn,
        QnRtn::BadCrc,
        QnRtn::Unknown,
    ];

    /// The number written after `QnRtn=`.
    pub const fn code(self) -> u16 {
        match self {
            QnRtn::Ready => 1,
            QnRtn::Rejected => 2,
            QnRtn::BadPassword => 3,
            QnRtn::BadMn => 4,
            QnRtn::BadSt => 5,
            QnRtn::BadFlag => 6,
            QnRtn::BadQn => 7,
            QnRtn::BadCn => 8,
            QnRtn::BadCrc => 9,
            QnRtn::Unknown => 100,
        }
    }

    /// The value written as `text`, if it is one of the standard's.
    pub fn from_text(text: &str) -> Option<QnRtn> {
        let code: u16 = text.parse().ok()?;
        QnRtn::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The result in an execution reply (9012, `ExeRtn=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExeRtn {
    /// 1: executed successfully.
    Success,
    /// 2: execution failed for an unspecified reason.
    Failed,
    /// 3: command error.
    CommandError,
    /// 4: communication timeout.
    Timeout,
    /// 5: the system is busy.
    Busy,
    /// 6: system fault.
    SystemError,
    /// 100: no data.
    NoData,
}

impl ExeRtn {
    /// Every value.
    pub const ALL: [ExeRtn; 7] = [
        ExeRtn::Success,
        ExeRtn::Failed,
        ExeRtn::CommandError,
        ExeRtn::Timeout,
        ExeRtn::Busy,
        ExeRtn::SystemError,
        ExeRtn::NoData,
    ];

    /// The number written after `ExeRtn=`.
    pub const fn code(self) -> u16 {
        match self {
            ExeRtn::Success => 1,
            ExeRtn::Failed => 2,
            ExeRtn::CommandError => 3,
            ExeRtn::Timeout => 4,
            ExeRtn::Busy => 5,
            ExeRtn::SystemError => 6,
            ExeRtn::NoData => 100,
        }
    }

    /// The value written as `text`, if it is one of the standard's.
    pub fn from_text(text: &str) -> Option<ExeRtn> {
        let code: u16 = text.parse().ok()?;
        ExeRtn::ALL.into_iter().find(|r| r.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Command::NAMED {
            assert_eq!(Command::from_code(c.code()), c);
        }
        assert_eq!(Command::from_code(8013), Command::Other(8013));
        assert_eq!(Command::from_code(2061).to_string(), "2061");
        assert!(Command::HourlyData.is_data() && !Command::DataAck.is_data());
        assert!(!Command::RealTimeData.data_time_starts_interval());
        assert_eq!(QnRtn::from_text("9"), Some(QnRtn::BadCrc));
        assert_eq!(ExeRtn::from_text("100"), Some(ExeRtn::NoData));
        assert_eq!(ExeRtn::from_text("7"), None);
    }
}
