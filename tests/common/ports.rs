//! Free loopback ports for test peers (also used by `benches/store_ingest.rs` through
//! `#[path]`, with `tsdb.rs`).

/// A free TCP port on loopback (bound and released), never one this test process was given
/// before: the kernel may hand out a just-released port again, and two peers of one test on
/// the same port make its network invalid (CI saw `free_port(), free_port()` give one port).
pub(crate) fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}
