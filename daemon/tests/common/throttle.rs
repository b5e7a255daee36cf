//! A relay in front of moto that throttles: the first `fail` requests whose body names
//! `action` get EC2's 503 RequestLimitExceeded, everything else goes to moto. moto
//! cannot throttle by itself; this is how the retry path meets a real API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub struct Throttle {
    pub endpoint: String,
    /// Requests answered with RequestLimitExceeded so far.
    pub throttled: Arc<AtomicUsize>,
}

const BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>throttle</RequestID></Response>";

pub fn read_request(stream: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Forwards one request to `upstream` on a fresh connection, closed after one exchange,
/// and writes the answer back to `conn`.
pub fn relay(head: &str, body: &[u8], upstream: &str, conn: &mut TcpStream) {
    let Ok(mut up) = TcpStream::connect(upstream) else { return };
    let head: String = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect::<String>()
        .trim_end_matches("\r\n")
        .to_string();
    let request = format!("{head}\r\nConnection: close\r\n\r\n");
    if up.write_all(request.as_bytes()).and_then(|_| up.write_all(body)).is_err() {
        return;
    }
    let mut response = Vec::new();
    if up.read_to_end(&mut response).is_ok() {
        let _ = conn.write_all(&response);
    }
}

impl Throttle {
    /// `fail`: how many matching requests to throttle (usize::MAX: all of them).
    pub fn start(upstream: &str, action: &'static str, fail: usize) -> Throttle {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let throttled = Arc::new(AtomicUsize::new(0));
        let count = throttled.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (upstream, count) = (upstream.clone(), count.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut conn = conn;
                    while let Some((head, body)) = read_request(&mut reader) {
                        let matches = String::from_utf8_lossy(&body).contains(&format!("Action={action}"));
                        if matches && count.load(Ordering::SeqCst) < fail {
                            count.fetch_add(1, Ordering::SeqCst);
                            let resp = format!(
                                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{BODY}",
                                BODY.len()
                            );
                            if conn.write_all(resp.as_bytes()).is_err() {
                                return;
                            }
                            continue;
                        }
                        // Close after relaying: the client reconnects for the next request.
                        relay(&head, &body, &upstream, &mut conn);
                        return;
                    }
                });
            }
        });
        Throttle { endpoint, throttled }
    }
}
