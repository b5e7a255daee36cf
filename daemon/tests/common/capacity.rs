//! EC2's DescribeCapacityReservations, which moto does not serve: a relay in front of
//! moto that answers that action itself, in the documented EC2 query shape
//! (`capacityReservationSet` items with `reservationType` `default` or
//! `capacity-block`), for the request's region and `state` filter, and passes every
//! other request to moto.

use super::percent_decode;
use super::throttle::{read_request, relay};
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One reservation as the test sets it up.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub region: String,
    pub id: String,
    pub instance_type: String,
    pub zone: String,
    pub total: u32,
    pub available: u32,
    /// `open` or `targeted`.
    pub match_criteria: String,
    /// `active`, `scheduled`, `expired`...
    pub state: String,
    /// RFC 3339; empty: unlimited.
    pub end_date: String,
    pub capacity_block: bool,
    pub tags: Vec<(String, String)>,
}

impl Reservation {
    pub fn new(id: &str, instance_type: &str, zone: &str, total: u32, available: u32) -> Reservation {
        Reservation {
            region: zone[..zone.len() - 1].to_string(),
            id: id.into(),
            instance_type: instance_type.into(),
            zone: zone.into(),
            total,
            available,
            match_criteria: "open".into(),
            state: "active".into(),
            end_date: String::new(),
            capacity_block: false,
            tags: vec![],
        }
    }

    fn xml(&self) -> String {
        let end = match self.end_date.is_empty() {
            true => "<endDateType>unlimited</endDateType>".to_string(),
            false => format!("<endDate>{}</endDate><endDateType>limited</endDateType>", self.end_date),
        };
        let tags: String =
            self.tags.iter().map(|(k, v)| format!("<item><key>{k}</key><value>{v}</value></item>")).collect();
        format!(
            "<item><capacityReservationId>{id}</capacityReservationId><ownerId>123456789012</ownerId>\
             <capacityReservationArn>arn:aws:ec2:{region}:123456789012:capacity-reservation/{id}</capacityReservationArn>\
             <availabilityZoneId>use1-az1</availabilityZoneId><instanceType>{itype}</instanceType>\
             <instancePlatform>Linux/UNIX</instancePlatform><availabilityZone>{zone}</availabilityZone>\
             <tenancy>default</tenancy><totalInstanceCount>{total}</totalInstanceCount>\
             <availableInstanceCount>{available}</availableInstanceCount><ebsOptimized>true</ebsOptimized>\
             <ephemeralStorage>false</ephemeralStorage><state>{state}</state>\
             <startDate>2026-11-01T00:00:00.000Z</startDate>{end}\
             <instanceMatchCriteria>{criteria}</instanceMatchCriteria><createDate>2026-11-01T00:00:00.000Z</createDate>\
             <tagSet>{tags}</tagSet><reservationType>{kind}</reservationType></item>",
            id = self.id,
            region = self.region,
            itype = self.instance_type,
            zone = self.zone,
            total = self.total,
            available = self.available,
            state = self.state,
            criteria = if self.capacity_block { "targeted" } else { &self.match_criteria },
            kind = if self.capacity_block { "capacity-block" } else { "default" },
        )
    }
}

pub struct CapacityRelay {
    pub endpoint: String,
    reservations: Arc<Mutex<Vec<Reservation>>>,
}

/// `Credential=AKID/20261205/us-east-1/ec2/aws4_request` -> `us-east-1`.
fn signed_region(head: &str) -> String {
    head.lines()
        .find_map(|l| l.split_once("Credential=").map(|(_, c)| c.split('/').nth(2).unwrap_or("").to_string()))
        .unwrap_or_default()
}

impl CapacityRelay {
    pub fn start(moto: &str) -> CapacityRelay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = moto.trim_start_matches("http://").to_string();
        let reservations: Arc<Mutex<Vec<Reservation>>> = Default::default();
        let shared = reservations.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (upstream, shared) = (upstream.clone(), shared.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut conn = conn;
                    let Some((head, body)) = read_request(&mut reader) else { return };
                    let text = String::from_utf8_lossy(&body).to_string();
                    if !text.contains("Action=DescribeCapacityReservations") {
                        relay(&head, &body, &upstream, &mut conn);
                        return;
                    }
                    let params: Vec<(String, String)> = text
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
                        .collect();
                    let states: Vec<&str> = params
                        .iter()
                        .filter(|(k, _)| k.starts_with("Filter.1.Value."))
                        .map(|(_, v)| v.as_str())
                        .collect();
                    let region = signed_region(&head);
                    let items: String = shared
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|r| r.region == region && (states.is_empty() || states.contains(&r.state.as_str())))
                        .map(Reservation::xml)
                        .collect();
                    let xml = format!(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeCapacityReservationsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
                         <requestId>c0ffee00-0000-4000-8000-000000000001</requestId><capacityReservationSet>{items}</capacityReservationSet>\
                         </DescribeCapacityReservationsResponse>"
                    );
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                        xml.len()
                    );
                    let _ = conn.write_all(resp.as_bytes());
                });
            }
        });
        CapacityRelay { endpoint, reservations }
    }

    pub fn add(&self, r: Reservation) {
        self.reservations.lock().unwrap().push(r);
    }

    /// Environment for driftd: every AWS call through this relay.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("AWS_ENDPOINT_URL", self.endpoint.clone()), ("AWS_REGION", "us-east-1".to_string())]
    }
}
