//! Leases: which replica works on what, when several share the store. A lease row names
//! a target (`target:NAME`), a notifier's queue (`notify:NAME`) or the fleet metrics
//! (`metrics`), its owner and when the owner's claim lapses. Claiming is one conditional
//! UPDATE, atomic on both backends (PostgreSQL re-checks the condition on the row a
//! concurrent claimer just changed, so exactly one of them gets it): the row must be
//! free, lapsed, or already the claimer's, and a target must be due. The holder renews
//! while it works and releases when done; one that dies loses the lease when it lapses.

use super::db::{args, DbResult, Row, Sql};
use super::Store;

/// One lease as stored (for tests and `driftd store leases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub owner: Option<String>,
    pub expires_ms: i64,
    pub due_ms: i64,
}

impl Store {
    /// Claims `name` for `owner` until `now_ms + ttl_ms` if it is free, lapsed or the
    /// owner's already, and due (`due_ms <= now_ms`; leases that are not targets are
    /// always due). `true` when the owner holds it now.
    pub fn claim(&self, name: &str, owner: &str, now_ms: i64, ttl_ms: i64) -> DbResult<bool> {
        self.claim_if(name, owner, now_ms, ttl_ms, true)
    }

    /// Claims `name` as [`Store::claim`] does, due or not: a re-read after events takes
    /// a target between its scheduled scans. Released with its due time unchanged.
    pub fn claim_now(&self, name: &str, owner: &str, now_ms: i64, ttl_ms: i64) -> DbResult<bool> {
        self.claim_if(name, owner, now_ms, ttl_ms, false)
    }

    fn claim_if(&self, name: &str, owner: &str, now_ms: i64, ttl_ms: i64, when_due: bool) -> DbResult<bool> {
        self.db.execute(
            "INSERT INTO leases (name, owner, expires_ms, due_ms) VALUES (?1, NULL, 0, 0) ON CONFLICT (name) DO NOTHING",
            args![name],
        )?;
        let claimed = self.db.execute(
            "UPDATE leases SET owner = ?2, expires_ms = ?4 WHERE name = ?1
             AND (owner IS NULL OR owner = ?2 OR expires_ms <= ?3) AND (?5 = 0 OR due_ms <= ?3)",
            args![name, owner, now_ms, now_ms + ttl_ms, when_due as i64],
        )?;
        Ok(claimed == 1)
    }

    /// Extends the owner's claim; `false` when it is no longer the owner's (it lapsed
    /// and another replica took it).
    pub fn renew(&self, name: &str, owner: &str, now_ms: i64, ttl_ms: i64) -> DbResult<bool> {
        renew(&self.db, name, owner, now_ms, ttl_ms)
    }

    /// Lets the lease go; a target is next due at `next_due_ms`.
    pub fn release(&self, name: &str, owner: &str, next_due_ms: Option<i64>) -> DbResult<bool> {
        let n = self.db.execute(
            "UPDATE leases SET owner = NULL, expires_ms = 0, due_ms = COALESCE(?3, due_ms)
             WHERE name = ?1 AND owner = ?2",
            args![name, owner, next_due_ms],
        )?;
        Ok(n == 1)
    }

    /// A target is due now (a scan asked for through the API, on any replica).
    pub fn make_due(&self, name: &str, now_ms: i64) -> DbResult<()> {
        self.db.execute(
            "INSERT INTO leases (name, owner, expires_ms, due_ms) VALUES (?1, NULL, 0, ?2)
             ON CONFLICT (name) DO UPDATE SET due_ms = excluded.due_ms",
            args![name, now_ms],
        )?;
        Ok(())
    }

    pub fn leases(&self) -> DbResult<Vec<Lease>> {
        self.db
            .query("SELECT name, owner, expires_ms, due_ms FROM leases ORDER BY name", &[])?
            .iter()
            .map(lease)
            .collect()
    }
}

fn lease(r: &Row) -> DbResult<Lease> {
    Ok(Lease { name: r.get(0)?, owner: r.get(1)?, expires_ms: r.get(2)?, due_ms: r.get(3)? })
}

/// [`Store::renew`] on a connection or inside a transaction: a scan's record renews its
/// target's lease in the transaction that writes it, so that a replica whose lease
/// lapsed writes nothing.
pub fn renew(db: &dyn Sql, name: &str, owner: &str, now_ms: i64, ttl_ms: i64) -> DbResult<bool> {
    let n = db.execute(
        "UPDATE leases SET expires_ms = ?3 WHERE name = ?1 AND owner = ?2",
        args![name, owner, now_ms + ttl_ms],
    )?;
    Ok(n == 1)
}

/// This process, as a lease owner: host name, process id and a random part (a restarted
/// replica is a new owner, whatever its pod name).
pub fn replica_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "driftd".into());
        format!("{host}/{}/{:08x}", std::process::id(), fastrand::u32(..))
    })
}

#[cfg(test)]
mod tests {
    use crate::store::testing::on_each_backend;
    use crate::store::Store;

    #[test]
    fn a_lease_has_one_holder_until_it_lapses_or_is_released_on_both_backends() {
        on_each_backend(|store| holder_rules(store));
    }

    fn holder_rules(store: &Store) {
        assert!(store.claim("target:a", "r1", 1_000, 60_000).unwrap(), "a free lease is claimed");
        assert!(!store.claim("target:a", "r2", 2_000, 60_000).unwrap(), "held: another replica waits");
        assert!(store.claim("target:a", "r1", 2_000, 60_000).unwrap(), "the holder may claim again");
        assert!(store.renew("target:a", "r1", 30_000, 60_000).unwrap());
        assert!(!store.claim("target:a", "r2", 89_999, 60_000).unwrap(), "renewed until 90,000");
        assert!(store.claim("target:a", "r2", 90_000, 60_000).unwrap(), "lapsed: another replica takes it");
        assert!(!store.renew("target:a", "r1", 90_001, 60_000).unwrap(), "the old holder learns it lost it");
        assert!(!store.release("target:a", "r1", Some(0)).unwrap(), "and cannot release it");
        assert!(store.release("target:a", "r2", Some(500_000)).unwrap());
        assert!(!store.claim("target:a", "r1", 400_000, 60_000).unwrap(), "not due before 500,000");
        store.make_due("target:a", 410_000).unwrap();
        assert!(store.claim("target:a", "r1", 410_000, 60_000).unwrap(), "due again when asked for");
        let leases = store.leases().unwrap();
        assert_eq!(leases.len(), 1);
        assert_eq!(leases[0].owner.as_deref(), Some("r1"));
    }

    /// A re-read after events takes a target between its scheduled scans (not due) but
    /// never while a scan holds it, and keeps it from the scan meanwhile; released, the
    /// target's due time is what the scan left.
    #[test]
    fn a_reread_claims_a_target_that_is_not_due_but_not_one_that_is_held_on_both_backends() {
        on_each_backend(|store| reread_rules(store));
    }

    fn reread_rules(store: &Store) {
        assert!(store.claim("target:a", "r1", 1_000, 60_000).unwrap());
        assert!(store.release("target:a", "r1", Some(50_000)).unwrap(), "next scan due at 50,000");
        assert!(store.claim_now("target:a", "r1/events", 40_000, 60_000).unwrap(), "not due, yet free: re-read");
        assert!(!store.claim("target:a", "r1", 60_000, 60_000).unwrap(), "due, but the re-read holds it");
        assert!(!store.claim_now("target:a", "r2/events", 61_000, 60_000).unwrap(), "one re-read at a time");
        assert!(store.release("target:a", "r1/events", None).unwrap());
        assert_eq!(store.leases().unwrap()[0].due_ms, 50_000, "the scan's due time stays");
        assert!(store.claim("target:a", "r1", 62_000, 60_000).unwrap(), "the scan that was due runs");
        assert!(!store.claim_now("target:a", "r1/events", 63_000, 60_000).unwrap(), "a scan holds it: wait");
    }

    /// Eight replicas claim one due target at the same moment, 50 times over: exactly
    /// one gets it each time.
    #[test]
    fn concurrent_claims_have_exactly_one_winner_on_postgres() {
        let url = crate::store::testing::server::Postgres::shared().fresh_database_url();
        let open = || Store::open(&crate::store::Location::Postgres(crate::secret::Secret::for_test(&url))).unwrap();
        let mut stores: Vec<Store> = (0..8).map(|_| open()).collect();
        for round in 0..50i64 {
            let name = format!("target:t{round}");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(stores.len()));
            let winners: usize = std::thread::scope(|s| {
                let handles: Vec<_> = stores
                    .iter_mut()
                    .enumerate()
                    .map(|(i, store)| {
                        let (barrier, name) = (barrier.clone(), name.clone());
                        s.spawn(move || {
                            barrier.wait();
                            store.claim(&name, &format!("r{i}"), 1_000, 60_000).unwrap() as usize
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).sum()
            });
            assert_eq!(winners, 1, "round {round}");
        }
    }
}
