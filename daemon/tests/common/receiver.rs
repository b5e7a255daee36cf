//! Local HTTP receivers that play Slack, Teams, PagerDuty, GitHub and a webhook: they
//! record what they receive, answer as the real service does (including its refusals),
//! and fail on command (500, 429 with Retry-After, a hang past the client's timeout, a
//! reset connection, or accepting and then answering slowly).

use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Request {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// 429 with `Retry-After: N`.
    RateLimit(u64),
    /// This status (503, say) with `Retry-After: N`.
    RetryAfter(u16, u64),
    /// Read the request, answer nothing for this long (longer than the client waits).
    Hang(Duration),
    /// Read the request and reset the connection (a TCP RST) without an answer.
    Reset,
    /// Process the request (it counts as accepted), then answer 200 only after this long:
    /// a sender killed meanwhile never learns it was accepted.
    AcceptSlowly(Duration),
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Reply {
        Reply { status, headers: vec![], body: body.into() }
    }
    pub fn json(status: u16, v: Value) -> Reply {
        Reply { status, headers: vec![("content-type".into(), "application/json".into())], body: v.to_string() }
    }
}

type Handler = Box<dyn FnMut(&Request) -> Reply + Send>;

struct State {
    /// Every request read, whatever the answer.
    received: Vec<Request>,
    /// Requests the service processed and answered 2xx (or accepted slowly).
    accepted: Vec<Request>,
    /// Requests refused by the service's own rules (limits, shapes): must stay empty.
    rejected: Vec<(Request, String)>,
    faults: VecDeque<Fault>,
    handler: Handler,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    pub fn start(handler: impl FnMut(&Request) -> Reply + Send + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            received: vec![],
            accepted: vec![],
            rejected: vec![],
            faults: VecDeque::new(),
            handler: Box::new(handler),
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, state));
            }
        });
        Receiver { url, state }
    }

    /// The next requests meet these faults, in order, then the service is healthy again.
    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().unwrap().faults.extend(faults);
    }

    pub fn received(&self) -> Vec<Request> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn accepted(&self) -> Vec<Request> {
        self.state.lock().unwrap().accepted.clone()
    }

    pub fn rejected(&self) -> Vec<(Request, String)> {
        self.state.lock().unwrap().rejected.clone()
    }

    pub fn clear(&self) {
        let mut s = self.state.lock().unwrap();
        s.received.clear();
        s.accepted.clear();
        s.rejected.clear();
    }

    /// The faults not met yet are dropped: the service is healthy from now on.
    pub fn heal(&self) {
        self.state.lock().unwrap().faults.clear();
    }
}

fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut first = String::new();
    if stream.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut parts = first.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    stream.read_exact(&mut body).ok()?;
    Some(Request { method, path, headers, body, at: Instant::now() })
}

fn write_reply(stream: &mut TcpStream, reply: &Reply) {
    let reason = match reply.status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        400 => "Bad Request",
        404 => "Not Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let mut head =
        format!("HTTP/1.1 {} {reason}\r\ncontent-length: {}\r\nconnection: close\r\n", reply.status, reply.body.len());
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
    let _ = stream.flush();
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    let Some(req) = read_request(&mut reader) else { return };
    let fault = {
        let mut s = state.lock().unwrap();
        s.received.push(req.clone());
        s.faults.pop_front()
    };
    match fault {
        Some(Fault::Status(code)) => write_reply(&mut stream, &Reply::new(code, "injected failure")),
        Some(Fault::RateLimit(secs)) => write_reply(
            &mut stream,
            &Reply { status: 429, headers: vec![("retry-after".into(), secs.to_string())], body: "slow down".into() },
        ),
        Some(Fault::RetryAfter(code, secs)) => write_reply(
            &mut stream,
            &Reply { status: code, headers: vec![("retry-after".into(), secs.to_string())], body: "busy".into() },
        ),
        Some(Fault::Hang(d)) => std::thread::sleep(d),
        Some(Fault::Reset) => {
            // SO_LINGER 0: closing sends a TCP RST, not an orderly FIN.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
        }
        Some(Fault::AcceptSlowly(d)) => {
            let reply = handle(&state, &req);
            std::thread::sleep(d);
            write_reply(&mut stream, &reply);
        }
        None => {
            let reply = handle(&state, &req);
            write_reply(&mut stream, &reply);
        }
    }
}

fn handle(state: &Arc<Mutex<State>>, req: &Request) -> Reply {
    let mut s = state.lock().unwrap();
    let reply = (s.handler)(req);
    if (200..300).contains(&reply.status) && !reply.body.contains("\"ok\":false") {
        s.accepted.push(req.clone());
    } else {
        s.rejected.push((req.clone(), format!("{} {}", reply.status, reply.body)));
    }
    reply
}

// ---- The services ----

/// A webhook receiver: 200 for any POST.
pub fn webhook() -> Receiver {
    Receiver::start(|_| Reply::new(200, "ok"))
}

/// Slack's documented limits, checked the way Slack refuses a message (`invalid_blocks`).
pub fn slack_limits(payload: &Value) -> Result<(), String> {
    let blocks = payload["blocks"].as_array().ok_or("no blocks")?;
    if blocks.is_empty() || blocks.len() > 50 {
        return Err(format!("{} blocks", blocks.len()));
    }
    if payload["text"].as_str().is_some_and(|t| t.chars().count() > 40_000) {
        return Err("text over 40000".into());
    }
    let len = |v: &Value| v.as_str().map(|s| s.chars().count()).unwrap_or(0);
    for b in blocks {
        match b["type"].as_str() {
            Some("header") => {
                if b["text"]["type"] != "plain_text" || len(&b["text"]["text"]) > 150 || len(&b["text"]["text"]) == 0 {
                    return Err(format!("bad header {b}"));
                }
            }
            Some("section") => {
                if b.get("text").is_some() && (len(&b["text"]["text"]) > 3000 || len(&b["text"]["text"]) == 0) {
                    return Err(format!("section text of {} characters", len(&b["text"]["text"])));
                }
                if let Some(fields) = b["fields"].as_array() {
                    if fields.len() > 10 || fields.iter().any(|f| len(&f["text"]) > 2000) {
                        return Err("bad fields".into());
                    }
                }
                if b.get("text").is_none() && b.get("fields").is_none() {
                    return Err("section without text or fields".into());
                }
            }
            Some("context") => {
                let el = b["elements"].as_array().ok_or("context without elements")?;
                if el.is_empty() || el.len() > 10 || el.iter().any(|e| len(&e["text"]) > 3000) {
                    return Err("bad context".into());
                }
            }
            other => return Err(format!("unexpected block type {other:?}")),
        }
    }
    Ok(())
}

/// Slack's incoming webhook: `ok`, or 400 `invalid_blocks`.
pub fn slack_webhook() -> Receiver {
    Receiver::start(|req| match slack_limits(&req.json()) {
        Ok(()) => Reply::new(200, "ok"),
        Err(e) => Reply::new(400, format!("invalid_blocks: {e}")),
    })
}

/// Slack's Web API (`chat.postMessage`, `chat.update`) for one bot token: answers
/// `{"ok":true,"channel","ts"}` or `{"ok":false,"error"}` as Slack does.
pub fn slack_api(token: &'static str) -> Receiver {
    let mut next_ts = 1000u64;
    let mut posted: Vec<String> = Vec::new();
    Receiver::start(move |req| {
        if req.header("authorization") != Some(&format!("Bearer {token}")) {
            return Reply::json(200, json!({"ok": false, "error": "invalid_auth"}));
        }
        let body = req.json();
        if let Err(e) = slack_limits(&body) {
            return Reply::json(200, json!({"ok": false, "error": "invalid_blocks", "detail": e}));
        }
        match req.path.as_str() {
            "/api/chat.postMessage" => {
                let Some(channel) = body["channel"].as_str() else {
                    return Reply::json(200, json!({"ok": false, "error": "channel_not_found"}));
                };
                if let Some(parent) = body["thread_ts"].as_str() {
                    if !posted.contains(&parent.to_string()) {
                        return Reply::json(200, json!({"ok": false, "error": "thread_not_found"}));
                    }
                }
                next_ts += 1;
                let ts = format!("1700000000.{next_ts:06}");
                posted.push(ts.clone());
                Reply::json(200, json!({"ok": true, "channel": channel, "ts": ts}))
            }
            "/api/chat.update" => match body["ts"].as_str() {
                Some(ts) if posted.iter().any(|p| p == ts) => Reply::json(200, json!({"ok": true, "ts": ts})),
                _ => Reply::json(200, json!({"ok": false, "error": "message_not_found"})),
            },
            _ => Reply::json(200, json!({"ok": false, "error": "unknown_method"})),
        }
    })
}

/// A Teams workflow webhook: 202 for a message with one Adaptive Card, 400 otherwise.
pub fn teams() -> Receiver {
    Receiver::start(|req| {
        let b = req.json();
        let card = &b["attachments"][0];
        let ok = b["type"] == "message"
            && card["contentType"] == "application/vnd.microsoft.card.adaptive"
            && card["content"]["type"] == "AdaptiveCard"
            && card["content"]["body"].as_array().is_some_and(|a| !a.is_empty())
            && req.body.len() < 28 * 1024;
        if ok {
            Reply::new(202, "")
        } else {
            Reply::new(400, "BadRequest: not an adaptive card message")
        }
    })
}

/// PagerDuty's Events API v2 for one routing key.
pub fn pagerduty(routing_key: &'static str) -> Receiver {
    Receiver::start(move |req| {
        let e = req.json();
        let action = e["event_action"].as_str().unwrap_or("");
        let sev_ok =
            ["critical", "error", "warning", "info"].contains(&e["payload"]["severity"].as_str().unwrap_or(""));
        let valid = e["routing_key"] == routing_key
            && e["dedup_key"].as_str().is_some_and(|k| !k.is_empty() && k.len() <= 255)
            && match action {
                "trigger" => {
                    sev_ok
                        && e["payload"]["summary"].as_str().is_some_and(|s| !s.is_empty() && s.chars().count() <= 1024)
                        && e["payload"]["source"].is_string()
                }
                "resolve" | "acknowledge" => true,
                _ => false,
            };
        if valid {
            Reply::json(202, json!({"status": "success", "message": "Event processed", "dedup_key": e["dedup_key"]}))
        } else {
            Reply::json(400, json!({"status": "invalid event", "message": "Event object is invalid"}))
        }
    })
}

/// GitHub's issues API for one repository and token, with its issues in memory.
#[derive(Clone, Default)]
pub struct GithubRepo {
    pub issues: Arc<Mutex<Vec<Value>>>,
    pub comments: Arc<Mutex<Vec<(u64, String)>>>,
}

pub fn github(repo: &'static str, token: &'static str) -> (Receiver, GithubRepo) {
    let data = GithubRepo::default();
    let d = data.clone();
    let base = format!("/repos/{repo}");
    let recv = Receiver::start(move |req| {
        if req.header("authorization") != Some(&format!("Bearer {token}")) {
            return Reply::json(401, json!({"message": "Bad credentials"}));
        }
        let Some(rest) = req.path.strip_prefix(&base) else {
            return Reply::json(404, json!({"message": "Not Found"}));
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut issues = d.issues.lock().unwrap();
        match (req.method.as_str(), path.trim_end_matches('/').split('/').collect::<Vec<_>>().as_slice()) {
            ("GET", ["", "issues"]) => {
                let q: std::collections::HashMap<&str, &str> =
                    query.split('&').filter_map(|kv| kv.split_once('=')).collect();
                let per: usize = q.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(30);
                let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
                let label = q.get("labels").copied().unwrap_or("");
                let state = q.get("state").copied().unwrap_or("open");
                let all: Vec<Value> = issues
                    .iter()
                    .filter(|i| label.is_empty() || i["labels"].as_array().unwrap().iter().any(|l| l["name"] == label))
                    .filter(|i| state == "all" || i["state"] == state)
                    .cloned()
                    .collect();
                let page_items: Vec<Value> = all.into_iter().skip((page - 1) * per).take(per).collect();
                Reply::json(200, Value::Array(page_items))
            }
            ("POST", ["", "issues"]) => {
                let b = req.json();
                let Some(title) = b["title"].as_str().filter(|t| !t.is_empty() && t.chars().count() <= 256) else {
                    return Reply::json(422, json!({"message": "Validation Failed"}));
                };
                let number = issues.len() as u64 + 1;
                let labels: Vec<Value> = b["labels"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| json!({"name": l}))
                    .collect();
                let issue =
                    json!({"number": number, "title": title, "body": b["body"], "state": "open", "labels": labels});
                issues.push(issue.clone());
                Reply::json(201, issue)
            }
            ("GET", ["", "issues", n]) => {
                let n: u64 = n.parse().unwrap_or(0);
                match issues.iter().find(|i| i["number"] == n) {
                    Some(i) => Reply::json(200, i.clone()),
                    None => Reply::json(404, json!({"message": "Not Found"})),
                }
            }
            ("POST", ["", "issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap_or(0);
                if !issues.iter().any(|i| i["number"] == n) {
                    return Reply::json(404, json!({"message": "Not Found"}));
                }
                d.comments.lock().unwrap().push((n, req.json()["body"].as_str().unwrap_or("").to_string()));
                Reply::json(201, json!({"id": n * 1000}))
            }
            ("PATCH", ["", "issues", n]) => {
                let n: u64 = n.parse().unwrap_or(0);
                let b = req.json();
                match issues.iter_mut().find(|i| i["number"] == n) {
                    Some(i) => {
                        if let Some(s) = b["state"].as_str() {
                            i["state"] = json!(s);
                        }
                        Reply::json(200, i.clone())
                    }
                    None => Reply::json(404, json!({"message": "Not Found"})),
                }
            }
            _ => Reply::json(404, json!({"message": "Not Found"})),
        }
    });
    (recv, data)
}
