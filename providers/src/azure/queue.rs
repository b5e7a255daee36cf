//! The Azure Storage queue an Event Grid subscription fills with the subscription's
//! resource events (`deploy/azure/events.tf`). Storage queues have no long poll: an empty
//! queue is asked again a second later. A message is deleted only once the daemon has
//! recorded what it re-read; one that is not comes back after its visibility timeout.
//!
//! Authenticates as the blob backend does (`storage.rs`): a SAS, the account key, or
//! Entra ID (`Storage Queue Data Message Processor` on the queue).

use super::storage::{auth, connection_string, entra_token, shared_key, Auth, STORAGE_VERSION};
use crate::events::QueueMessage;
use azure_core::Url;
use serde::Deserialize;
use std::time::Duration;

pub struct StorageQueue {
    url: Url,
    account: String,
    auth: Auth,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct MessagesList {
    #[serde(rename = "QueueMessage", default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Message {
    message_id: String,
    pop_receipt: String,
    dequeue_count: Option<u32>,
    message_text: Option<String>,
}

/// Event Grid writes each event Base64-encoded into the queue; a message written as plain
/// JSON is taken as it is.
fn text_of(message: &str) -> String {
    match azure_core::base64::decode(message.trim()) {
        Ok(bytes) => String::from_utf8(bytes).unwrap_or_else(|_| message.to_string()),
        Err(_) => message.to_string(),
    }
}

/// The storage account of a queue URL: `https://ACCOUNT.queue.core.windows.net/QUEUE`, or
/// the first path segment of a path-style URL (Azurite: `http://127.0.0.1:10001/ACCOUNT/QUEUE`).
fn account_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    match host.split_once(".queue.") {
        Some((account, _)) => Some(account.to_string()),
        None => url.path_segments()?.next().filter(|s| !s.is_empty()).map(str::to_string),
    }
}

impl StorageQueue {
    pub fn new(url: &str) -> Result<StorageQueue, String> {
        let url = Url::parse(url.trim_end_matches('/')).map_err(|e| format!("{url}: not a URL ({e})"))?;
        let account = account_of(&url).ok_or_else(|| format!("{url}: no storage account in the queue URL"))?;
        let auth = auth(&account, &connection_string())?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .read_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(StorageQueue { url, account, auth, client })
    }

    /// Where the queue is, for messages (never with a SAS).
    pub fn shown(&self) -> String {
        self.url.as_str().to_string()
    }

    async fn send(&self, method: reqwest::Method, mut url: Url) -> Result<reqwest::Response, String> {
        let date = azure_core::date::to_rfc1123(&time::OffsetDateTime::now_utc());
        let mut authorization = None;
        match &self.auth {
            Auth::Sas(sas) => {
                let query = match url.query() {
                    Some(q) => format!("{q}&{sas}"),
                    None => sas.clone(),
                };
                url.set_query(Some(&query));
            }
            Auth::SharedKey(key) => {
                let sig = shared_key(method.as_str(), &self.account, key, &url, &date);
                authorization = Some(format!("SharedKey {}:{sig}", self.account));
            }
            Auth::Entra => authorization = Some(format!("Bearer {}", entra_token().await?)),
        }
        let mut req =
            self.client.request(method, url).header("x-ms-date", &date).header("x-ms-version", STORAGE_VERSION);
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let shown = self.shown();
        let rsp = req.send().await.map_err(|e| {
            let why = if e.is_timeout() { "timed out" } else { "could not connect" };
            format!("{shown}: {why}")
        })?;
        let status = rsp.status().as_u16();
        if !(200..300).contains(&status) {
            let code = rsp.headers().get("x-ms-error-code").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let what = match status {
                401 | 403 => format!("access denied ({code}): the identity needs Storage Queue Data Message Processor on the queue, or a valid key/SAS"),
                404 => format!("no such queue ({code})"),
                s => format!("the queue service answered HTTP {s} {code}"),
            };
            return Err(format!("{shown}: {what}"));
        }
        Ok(rsp)
    }

    /// Up to `max` messages (at most 32), each hidden from other readers for `visibility`.
    pub async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<QueueMessage>, String> {
        let mut url = self.url.clone();
        url.path_segments_mut().map_err(|_| "the queue URL has no path".to_string())?.push("messages");
        url.query_pairs_mut()
            .append_pair("numofmessages", &max.clamp(1, 32).to_string())
            .append_pair("visibilitytimeout", &visibility.as_secs().clamp(1, 604_800).to_string());
        let body =
            self.send(reqwest::Method::GET, url).await?.text().await.map_err(|e| format!("{}: {e}", self.shown()))?;
        let list: MessagesList =
            quick_xml::de::from_str(&body).map_err(|e| format!("{}: unexpected answer ({e})", self.shown()))?;
        Ok(list
            .messages
            .into_iter()
            .map(|m| QueueMessage {
                id: m.message_id,
                receipt: m.pop_receipt,
                body: text_of(m.message_text.as_deref().unwrap_or("")),
                receive_count: m.dequeue_count.unwrap_or(1),
            })
            .collect())
    }

    /// Deletes handled messages; returns the ids the service did not delete (they come
    /// back and are handled again, which notifies nothing twice).
    pub async fn delete(&self, messages: &[&QueueMessage]) -> Result<Vec<String>, String> {
        let mut failed = Vec::new();
        for m in messages {
            let mut url = self.url.clone();
            url.path_segments_mut().map_err(|_| "the queue URL has no path".to_string())?.extend(["messages", &m.id]);
            url.query_pairs_mut().append_pair("popreceipt", &m.receipt);
            if self.send(reqwest::Method::DELETE, url).await.is_err() {
                failed.push(m.id.clone());
            }
        }
        Ok(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_comes_from_either_url_form_and_messages_decode() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(account_of(&u("https://driftdev.queue.core.windows.net/events")).as_deref(), Some("driftdev"));
        assert_eq!(
            account_of(&u("http://127.0.0.1:10001/devstoreaccount1/events")).as_deref(),
            Some("devstoreaccount1")
        );
        assert_eq!(text_of(&azure_core::base64::encode("{\"id\":1}")), "{\"id\":1}");
        assert_eq!(text_of("{\"id\":1}"), "{\"id\":1}");
        let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList><QueueMessage><MessageId>m1</MessageId>\
            <InsertionTime>Fri, 04 Dec 2026 10:00:00 GMT</InsertionTime><ExpirationTime>Fri, 11 Dec 2026 10:00:00 GMT</ExpirationTime>\
            <PopReceipt>AgAAAAMAAAAAAAAA</PopReceipt><TimeNextVisible>Fri, 04 Dec 2026 10:05:00 GMT</TimeNextVisible>\
            <DequeueCount>2</DequeueCount><MessageText>e30=</MessageText></QueueMessage></QueueMessagesList>";
        let list: MessagesList = quick_xml::de::from_str(xml).unwrap();
        assert_eq!(list.messages.len(), 1);
        assert_eq!((list.messages[0].message_id.as_str(), list.messages[0].dequeue_count), ("m1", Some(2)));
        let empty: MessagesList =
            quick_xml::de::from_str("<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList />").unwrap();
        assert!(empty.messages.is_empty());
    }
}
