//! The SQS queue an EventBridge rule fills with CloudTrail API calls and EC2 state
//! changes (`deploy/aws/events.tf`): long-polled, and a message deleted only once the
//! daemon has recorded what it re-read. An unhandled message comes back after its
//! visibility timeout, so a crash re-delivers it.

use super::client::{endpoint_for, sdk_config, CallCounter};
use super::ListError;
pub use crate::events::QueueMessage;
use aws_config::Region;
use std::time::Duration;

/// One queue, with the SDK client that reads it.
pub struct EventQueue {
    client: aws_sdk_sqs::Client,
    pub url: String,
    region: String,
    endpoint: String,
    pub calls: CallCounter,
}

/// The region of an SQS queue URL (`https://sqs.eu-west-1.amazonaws.com/123456789012/q`);
/// `None` for a URL that does not say (a local endpoint).
pub fn region_of(url: &str) -> Option<String> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    let mut parts = host.split('.');
    match (parts.next(), parts.next()) {
        (Some("sqs"), Some(region)) if region.contains('-') => Some(region.to_string()),
        (Some(region), Some("queue")) if region.contains('-') => Some(region.to_string()),
        _ => None,
    }
}

impl EventQueue {
    /// A client for `url`, in the queue's region (from the URL, else the AWS config's).
    pub async fn new(url: &str) -> EventQueue {
        let base = sdk_config().await;
        let region =
            region_of(url).or_else(|| base.region().map(|r| r.to_string())).unwrap_or_else(|| "us-east-1".into());
        let calls = CallCounter::default();
        let config = aws_sdk_sqs::config::Builder::from(&base)
            .region(Region::new(region.clone()))
            .interceptor(calls.clone())
            .build();
        EventQueue {
            client: aws_sdk_sqs::Client::from_conf(config),
            url: url.to_string(),
            endpoint: endpoint_for("sqs", &region),
            region,
            calls,
        }
    }

    /// Up to `max` messages (at most 10, SQS's limit), waiting up to `wait` (at most 20 s)
    /// for the first; each hidden from other readers for `visibility`.
    pub async fn receive(
        &self,
        max: i32,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<QueueMessage>, ListError> {
        let resp = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .visibility_timeout(visibility.as_secs().clamp(1, 43_200) as i32)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| ListError::from_sdk("sqs:ReceiveMessage", &self.region, &self.endpoint, e))?;
        Ok(resp
            .messages()
            .iter()
            .filter_map(|m| {
                let count = m
                    .attributes()
                    .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                Some(QueueMessage {
                    id: m.message_id()?.to_string(),
                    receipt: m.receipt_handle()?.to_string(),
                    body: m.body().unwrap_or_default().to_string(),
                    receive_count: count,
                })
            })
            .collect())
    }

    /// Deletes handled messages, ten per call. Returns the ids SQS did not delete (they
    /// come back and are handled again, which notifies nothing twice).
    pub async fn delete(&self, messages: &[&QueueMessage]) -> Result<Vec<String>, ListError> {
        let mut failed = Vec::new();
        for chunk in messages.chunks(10) {
            let entries: Vec<_> = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(&m.receipt)
                        .build()
                        .ok()
                })
                .collect();
            let resp = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| ListError::from_sdk("sqs:DeleteMessageBatch", &self.region, &self.endpoint, e))?;
            for f in resp.failed() {
                if let Some(m) = f.id().parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    failed.push(m.id.clone());
                }
            }
        }
        Ok(failed)
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

#[cfg(test)]
mod tests {
    use super::region_of;

    #[test]
    fn the_region_is_read_from_both_queue_url_forms() {
        assert_eq!(region_of("https://sqs.eu-west-1.amazonaws.com/123456789012/driftd").as_deref(), Some("eu-west-1"));
        assert_eq!(
            region_of("https://us-east-2.queue.amazonaws.com/123456789012/driftd").as_deref(),
            Some("us-east-2")
        );
        assert_eq!(region_of("http://127.0.0.1:5000/123456789012/driftd"), None);
    }
}
