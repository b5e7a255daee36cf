//! Sharding targets over replicas: replica `index` of `count` owns the targets whose
//! name hashes to it (SHA-256, so every replica agrees without talking). The shard comes
//! from `--shard I/N`, else `DRIFTD_SHARD=I/N`, else `DRIFTD_SHARD_COUNT=N` with the
//! index taken from a StatefulSet pod's name (`driftd-2` is index 2).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("shard {s:?} is not INDEX/COUNT, like 2/5"))?;
        let index: u32 = i.trim().parse().map_err(|_| format!("shard {s:?}: {i:?} is not a number"))?;
        let count: u32 = n.trim().parse().map_err(|_| format!("shard {s:?}: {n:?} is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {s:?}: the index counts from 0 and must be below the count"));
        }
        Ok(Shard { index, count })
    }

    /// `--shard`, then the environment (`DRIFTD_SHARD`, or `DRIFTD_SHARD_COUNT` with the
    /// pod's ordinal from `HOSTNAME`).
    pub fn from_env(flag: Option<&str>) -> Result<Shard, String> {
        if let Some(f) = flag {
            return Shard::parse(f);
        }
        if let Ok(s) = std::env::var("DRIFTD_SHARD") {
            return Shard::parse(&s);
        }
        if let Ok(n) = std::env::var("DRIFTD_SHARD_COUNT") {
            let host = std::env::var("HOSTNAME").unwrap_or_default();
            let ordinal = host.rsplit_once('-').and_then(|(_, o)| o.parse::<u32>().ok()).ok_or_else(|| {
                format!("DRIFTD_SHARD_COUNT is set but HOSTNAME {host:?} has no StatefulSet ordinal (name-N)")
            })?;
            return Shard::parse(&format!("{ordinal}/{n}"));
        }
        Ok(Shard::ALL)
    }

    pub fn owns(&self, target: &str) -> bool {
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(target.as_bytes());
        let n = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        n % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_exactly_one_owner() {
        let names: Vec<String> = (0..500).map(|i| format!("account-{i}")).collect();
        let shards: Vec<Shard> = (0..5).map(|i| Shard { index: i, count: 5 }).collect();
        let mut per = [0usize; 5];
        for n in &names {
            let owners: Vec<u32> = shards.iter().filter(|s| s.owns(n)).map(|s| s.index).collect();
            assert_eq!(owners.len(), 1, "{n}");
            per[owners[0] as usize] += 1;
        }
        assert!(per.iter().all(|c| *c > 60 && *c < 140), "uneven: {per:?}");
    }

    #[test]
    fn parse_checks_bounds() {
        assert_eq!(Shard::parse("2/5").unwrap(), Shard { index: 2, count: 5 });
        assert!(Shard::parse("5/5").is_err());
        assert!(Shard::parse("x").is_err());
        assert!(Shard::ALL.owns("anything"));
    }
}
