//! A relay in front of moto's SQS that holds the first request of one operation (by its
//! `X-Amz-Target`, `AmazonSQS.DeleteMessageBatch` say) without answering, so that a test
//! can kill the caller at exactly that point; every other request goes to moto.

use super::throttle::{read_request, relay};
use std::io::BufReader;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct SqsGate {
    pub url: String,
    held: Arc<AtomicBool>,
    released: Arc<AtomicBool>,
}

impl SqsGate {
    pub fn start(upstream: &str, target: &'static str) -> SqsGate {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let (held, released) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (h, r) = (held.clone(), released.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (upstream, held, released) = (upstream.clone(), h.clone(), r.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut conn = conn;
                    let Some((head, body)) = read_request(&mut reader) else { return };
                    let lower = head.to_ascii_lowercase();
                    let hits = lower.contains(&format!("x-amz-target: {}", target.to_ascii_lowercase()));
                    if hits && !held.swap(true, Ordering::SeqCst) {
                        // Held: no answer until the test releases it (its caller is dead by then).
                        while !released.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        return;
                    }
                    relay(&head, &body, &upstream, &mut conn);
                });
            }
        });
        SqsGate { url, held, released }
    }

    /// Waits until the operation's first request is being held.
    pub fn wait_held(&self, within: Duration) {
        let started = Instant::now();
        while !self.held.load(Ordering::SeqCst) {
            assert!(started.elapsed() < within, "no request was held within {within:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
    }
}
