//! Opening Modbus connections: TCP, RTU on a serial port, RTU through a TCP serial gateway.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_modbus::Slave;
use tokio_modbus::client::{Context, rtu, tcp};

use crate::registry::Transport;

/// Opens a client connection for `transport`, addressed to unit `unit`, within `timeout`.
///
/// TCP connections get `TCP_NODELAY`: a Modbus request is one small segment and Nagle's
/// algorithm would hold it back waiting for an acknowledgement.
pub async fn connect(transport: &Transport, unit: u8, timeout: Duration) -> io::Result<Context> {
    let slave = Slave(unit);
    let attempt = async {
        match transport {
            Transport::Tcp { address } => {
                let stream = tcp_stream(address).await?;
                Ok(tcp::attach_slave(stream, slave))
            }
            Transport::RtuOverTcp { address } => {
                let stream = tcp_stream(address).await?;
                Ok(rtu::attach_slave(stream, slave))
            }
            Transport::Rtu { path, baud } => {
                let builder = tokio_serial::new(path.to_string_lossy(), *baud);
                let port = tokio_serial::SerialStream::open(&builder).map_err(io::Error::from)?;
                Ok(rtu::attach_slave(port, slave))
            }
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

async fn tcp_stream(address: &str) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}
