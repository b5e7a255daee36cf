//! Builtins OPA has and regorus lacks, added as extensions.

use regorus::{Engine, Value};
use std::net::IpAddr;

/// Register every extension on an engine.
pub fn register(engine: &mut Engine) -> anyhow::Result<()> {
    engine.add_extension("net.cidr_intersects".into(), 2, Box::new(|args: Vec<Value>| cidr_intersects(&args)))?;
    Ok(())
}

/// `net.cidr_intersects(a, b)`: do two CIDRs share any address (OPA semantics)?
fn cidr_intersects(args: &[Value]) -> anyhow::Result<Value> {
    let a = parse_cidr(args[0].as_string()?.as_ref())?;
    let b = parse_cidr(args[1].as_string()?.as_ref())?;
    Ok(Value::from(intersects(a, b)))
}

/// (network as u128, prefix length, is IPv6)
type Cidr = (u128, u8, bool);

pub(crate) fn parse_cidr(s: &str) -> anyhow::Result<Cidr> {
    let (addr, len) = s.split_once('/').ok_or_else(|| anyhow::anyhow!("{s:?} is not a CIDR"))?;
    let ip: IpAddr = addr.parse().map_err(|_| anyhow::anyhow!("{s:?} is not a CIDR"))?;
    let len: u8 = len.parse().map_err(|_| anyhow::anyhow!("{s:?} is not a CIDR"))?;
    let (bits, v6, max) = match ip {
        IpAddr::V4(v4) => (u32::from(v4) as u128, false, 32u8),
        IpAddr::V6(v6) => (u128::from(v6), true, 128u8),
    };
    if len > max {
        anyhow::bail!("{s:?} has a prefix longer than {max}");
    }
    let host_bits = max - len;
    let net = if host_bits >= 128 { 0 } else { (bits >> host_bits) << host_bits };
    Ok((net, len, v6))
}

fn intersects(a: Cidr, b: Cidr) -> bool {
    if a.2 != b.2 {
        return false;
    }
    let max = if a.2 { 128 } else { 32 };
    // Two prefixes intersect iff they agree on the shorter prefix.
    let shorter = a.1.min(b.1);
    let shift = max - shorter as u32;
    if shift >= 128 {
        return true;
    }
    (a.0 >> shift) == (b.0 >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(a: &str, b: &str) -> bool {
        intersects(parse_cidr(a).unwrap(), parse_cidr(b).unwrap())
    }

    #[test]
    fn cidr_intersects_like_opa() {
        assert!(t("10.0.0.0/8", "10.1.0.0/16"));
        assert!(t("10.1.0.0/16", "10.0.0.0/8"));
        assert!(!t("10.0.0.0/8", "192.168.0.0/16"));
        assert!(t("0.0.0.0/0", "203.0.113.7/32"));
        assert!(!t("::/0", "0.0.0.0/0"), "v4 and v6 never intersect");
        assert!(t("::/0", "2001:db8::/32"));
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("nonsense").is_err());
    }
}
