//! IP network functions, for IPv4 and IPv6 (addresses held as 128-bit numbers).

use super::{integer, string, Env};
use hcl::Value;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

struct Prefix {
    addr: u128,
    len: u32,
    /// 32 or 128.
    bits: u32,
}

impl Prefix {
    fn parse(s: &str, what: &str) -> Result<Prefix, String> {
        let (a, l) = s.split_once('/').ok_or_else(|| format!("{what}: {s:?} is not a CIDR prefix"))?;
        let len: u32 = l.parse().map_err(|_| format!("{what}: {s:?} has a bad prefix length"))?;
        let ip: IpAddr = a.parse().map_err(|_| format!("{what}: {s:?} has a bad address"))?;
        let (addr, bits) = match ip {
            IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        if len > bits {
            return Err(format!("{what}: {s:?} has a prefix length above {bits}"));
        }
        Ok(Prefix { addr: addr & mask(len, bits), len, bits })
    }

    fn text(&self, addr: u128) -> String {
        match self.bits {
            32 => Ipv4Addr::from(addr as u32).to_string(),
            _ => Ipv6Addr::from(addr).to_string(),
        }
    }
}

fn mask(len: u32, bits: u32) -> u128 {
    let all = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    if len == 0 {
        0
    } else {
        all & !((1u128 << (bits - len)) - 1).min(all)
    }
}

fn subnet(p: &Prefix, newbits: i64, netnum: i64, what: &str) -> Result<Prefix, String> {
    if newbits < 0 || p.len + newbits as u32 > p.bits {
        return Err(format!("{what}: {newbits} new bits do not fit a /{} prefix", p.len));
    }
    let len = p.len + newbits as u32;
    if netnum < 0 || (newbits < 64 && netnum as u128 >= (1u128 << newbits)) {
        return Err(format!("{what}: network number {netnum} does not fit {newbits} bits"));
    }
    let addr = p.addr | ((netnum as u128) << (p.bits - len));
    Ok(Prefix { addr, len, bits: p.bits })
}

pub fn cidrsubnet(a: &[Value], _: &Env) -> Result<Value, String> {
    let p = Prefix::parse(&string(&a[0], "cidrsubnet")?, "cidrsubnet")?;
    let s = subnet(&p, integer(&a[1], "cidrsubnet")?, integer(&a[2], "cidrsubnet")?, "cidrsubnet")?;
    Ok(Value::from(format!("{}/{}", s.text(s.addr), s.len)))
}

pub fn cidrhost(a: &[Value], _: &Env) -> Result<Value, String> {
    let p = Prefix::parse(&string(&a[0], "cidrhost")?, "cidrhost")?;
    let host = integer(&a[1], "cidrhost")?;
    let hostbits = p.bits - p.len;
    let size: u128 = if hostbits >= 127 { u128::MAX } else { 1u128 << hostbits };
    let n = if host < 0 { size.checked_sub(host.unsigned_abs() as u128) } else { Some(host as u128) };
    match n {
        Some(n) if n < size => Ok(Value::from(p.text(p.addr | n))),
        _ => Err(format!("cidrhost: host number {host} does not fit a /{} prefix", p.len)),
    }
}

pub fn cidrnetmask(a: &[Value], _: &Env) -> Result<Value, String> {
    let p = Prefix::parse(&string(&a[0], "cidrnetmask")?, "cidrnetmask")?;
    if p.bits != 32 {
        return Err("cidrnetmask: only IPv4 prefixes have a netmask".into());
    }
    Ok(Value::from(Ipv4Addr::from(mask(p.len, 32) as u32).to_string()))
}

/// Consecutive subnets of the given sizes, each aligned after the previous one, as
/// Terraform's `cidrsubnets` allocates them.
pub fn cidrsubnets(a: &[Value], _: &Env) -> Result<Value, String> {
    let p = Prefix::parse(&string(&a[0], "cidrsubnets")?, "cidrsubnets")?;
    let mut out = Vec::new();
    let mut next: u128 = p.addr;
    let end: u128 = p.addr + if p.bits - p.len >= 128 { u128::MAX } else { (1u128 << (p.bits - p.len)) - 1 };
    for v in &a[1..] {
        let newbits = integer(v, "cidrsubnets")?;
        if newbits < 1 || p.len + newbits as u32 > p.bits {
            return Err(format!("cidrsubnets: {newbits} new bits do not fit a /{} prefix", p.len));
        }
        let len = p.len + newbits as u32;
        let size: u128 = 1u128 << (p.bits - len);
        // Align up to the subnet's size.
        let start = next.div_ceil(size).checked_mul(size).ok_or("cidrsubnets: address space exhausted")?;
        if start > end || start + (size - 1) > end {
            return Err(format!("cidrsubnets: not enough addresses in {} for the subnets asked", a[0]));
        }
        out.push(Value::from(format!("{}/{}", p.text(start), len)));
        next = start + size;
    }
    Ok(Value::Array(out))
}
