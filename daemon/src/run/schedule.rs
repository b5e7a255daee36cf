//! When each target is scanned. One loop per target: scans of a target never overlap
//! (the loop waits for its scan), a semaphore bounds scans across targets, each wait is
//! the interval plus a random part of the jitter, a failed scan is retried sooner (from
//! `retry_after_failure`, doubling, never later than the interval), and an on-demand
//! trigger starts a scan now (several triggers during a scan make one more scan).
//!
//! Only tokio time is used, so tests drive it (`start_paused`) and take no wall time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Semaphore};

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub interval: Duration,
    pub jitter: Duration,
    pub retry_after_failure: Duration,
}

impl Schedule {
    /// The wait before the next scan, after `failures` failed scans in a row.
    pub fn next_wait(&self, failures: u32) -> Duration {
        if failures == 0 {
            self.interval + self.jitter.mul_f64(fastrand::f64())
        } else {
            let backoff = self.retry_after_failure.saturating_mul(1u32 << (failures - 1).min(16));
            backoff.min(self.interval)
        }
    }

    /// The first scan: soon, spread over the jitter so that targets do not start at once.
    pub fn first_wait(&self) -> Duration {
        self.jitter.mul_f64(fastrand::f64())
    }
}

/// Runs one scan of the target; `true` when it succeeded.
pub type ScanFn = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// The loop of one target, until `stop` turns true. Returns after the scan in flight.
pub async fn target_loop(
    schedule: Schedule,
    scan: ScanFn,
    limit: Arc<Semaphore>,
    mut trigger: mpsc::Receiver<()>,
    mut stop: watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    let mut wait = schedule.first_wait();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            Some(()) = trigger.recv() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = stop.wait_for(|s| *s) => return,
        };
        let ok = scan().await;
        drop(permit);
        failures = if ok { 0 } else { failures.saturating_add(1) };
        wait = schedule.next_wait(failures);
        if *stop.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::time::Instant;

    #[derive(Default)]
    struct Log {
        /// (target, start, end)
        scans: Mutex<Vec<(usize, Instant, Instant)>>,
        running: Mutex<usize>,
        max_running: Mutex<usize>,
    }

    fn scanner(log: Arc<Log>, target: usize, takes: Duration, fail_first: u32) -> ScanFn {
        let count = Arc::new(Mutex::new(0u32));
        Arc::new(move || {
            let log = log.clone();
            let count = count.clone();
            Box::pin(async move {
                let start = Instant::now();
                {
                    let mut r = log.running.lock().unwrap();
                    *r += 1;
                    let mut m = log.max_running.lock().unwrap();
                    *m = (*m).max(*r);
                }
                tokio::time::sleep(takes).await;
                *log.running.lock().unwrap() -= 1;
                log.scans.lock().unwrap().push((target, start, Instant::now()));
                let mut c = count.lock().unwrap();
                *c += 1;
                *c > fail_first
            })
        })
    }

    fn schedule(interval: u64) -> Schedule {
        Schedule {
            interval: Duration::from_secs(interval),
            jitter: Duration::ZERO,
            retry_after_failure: Duration::from_secs(5),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn scans_on_interval_and_never_overlap() {
        let log = Arc::new(Log::default());
        let (_tx, rx) = mpsc::channel(1);
        let (stop_tx, stop) = watch::channel(false);
        let limit = Arc::new(Semaphore::new(4));
        // A scan that takes longer than the interval: the next one waits for it.
        let h = tokio::spawn(target_loop(
            schedule(60),
            scanner(log.clone(), 0, Duration::from_secs(90), 0),
            limit,
            rx,
            stop,
        ));
        let t0 = Instant::now();
        // Off the 600 s boundary where a fifth scan would start: no tie between two timers.
        tokio::time::sleep(Duration::from_secs(590)).await;
        stop_tx.send(true).unwrap();
        h.await.unwrap();
        let scans = log.scans.lock().unwrap().clone();
        assert_eq!(scans.len(), 4, "0-90, 150-240, 300-390, 450-540");
        for w in scans.windows(2) {
            assert!(w[1].1 >= w[0].2, "overlap");
            assert_eq!(w[1].1 - w[0].2, Duration::from_secs(60));
        }
        assert_eq!(scans[0].1 - t0, Duration::ZERO);
        assert!(t0.elapsed() >= Duration::from_secs(590));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded_across_targets() {
        let log = Arc::new(Log::default());
        let limit = Arc::new(Semaphore::new(2));
        let (stop_tx, stop) = watch::channel(false);
        let mut handles = Vec::new();
        let mut senders = Vec::new();
        for t in 0..5 {
            let (tx, rx) = mpsc::channel(1);
            senders.push(tx);
            handles.push(tokio::spawn(target_loop(
                schedule(30),
                scanner(log.clone(), t, Duration::from_secs(10), 0),
                limit.clone(),
                rx,
                stop.clone(),
            )));
        }
        tokio::time::sleep(Duration::from_secs(300)).await;
        stop_tx.send(true).unwrap();
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*log.max_running.lock().unwrap(), 2);
        let scans = log.scans.lock().unwrap().clone();
        for t in 0..5 {
            assert!(scans.iter().filter(|s| s.0 == t).count() >= 5, "target {t} starved");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failures_retry_with_backoff_then_back_to_interval() {
        let log = Arc::new(Log::default());
        let (_tx, rx) = mpsc::channel(1);
        let (stop_tx, stop) = watch::channel(false);
        let h = tokio::spawn(target_loop(
            schedule(600),
            scanner(log.clone(), 0, Duration::from_secs(1), 3),
            Arc::new(Semaphore::new(1)),
            rx,
            stop,
        ));
        tokio::time::sleep(Duration::from_secs(1300)).await;
        stop_tx.send(true).unwrap();
        h.await.unwrap();
        let starts: Vec<u64> = {
            let scans = log.scans.lock().unwrap();
            let t0 = scans[0].1;
            scans.iter().map(|s| (s.1 - t0).as_secs()).collect()
        };
        // Fails at 0, 6, 17, 38 (waits 5, 10, 20 after each 1 s scan); succeeds at 38;
        // then the interval: 639, 1240.
        assert_eq!(starts, [0, 6, 17, 38, 639, 1240]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trigger_scans_now_and_triggers_coalesce() {
        let log = Arc::new(Log::default());
        let (tx, rx) = mpsc::channel(1);
        let (stop_tx, stop) = watch::channel(false);
        let h = tokio::spawn(target_loop(
            schedule(3600),
            scanner(log.clone(), 0, Duration::from_secs(10), 0),
            Arc::new(Semaphore::new(1)),
            rx,
            stop,
        ));
        tokio::time::sleep(Duration::from_secs(100)).await;
        let _ = tx.try_send(());
        tokio::time::sleep(Duration::from_secs(1)).await;
        // During that scan: three triggers make one more scan.
        for _ in 0..3 {
            let _ = tx.try_send(());
        }
        tokio::time::sleep(Duration::from_secs(100)).await;
        stop_tx.send(true).unwrap();
        h.await.unwrap();
        let scans = log.scans.lock().unwrap().clone();
        assert_eq!(scans.len(), 3, "the first, the trigger, and one for the three");
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let s = Schedule {
            interval: Duration::from_secs(60),
            jitter: Duration::from_secs(10),
            retry_after_failure: Duration::from_secs(5),
        };
        for _ in 0..200 {
            let w = s.next_wait(0);
            assert!(w >= Duration::from_secs(60) && w <= Duration::from_secs(70));
        }
        assert_eq!(s.next_wait(20), Duration::from_secs(60), "backoff never past the interval");
    }
}
