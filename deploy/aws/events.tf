# driftd's event feed, per account and region it watches: an EventBridge rule on CloudTrail
# management events (EventBridge receives the write calls only, never Describe/List/Get)
# and EC2 instance state changes, delivered to an SQS queue that `driftd run` long-polls
# ([aws.events] queue_url). A message driftd cannot handle goes to the dead-letter queue
# after five receives. CloudTrail must have a trail with management events on (the
# default trail of an organisation does); EventBridge needs nothing else.
#
# The same rule pattern, queue policy and reader policy as JSON: events-rule-pattern.json,
# events-queue-policy.json, events-iam-policy.json (replace REGION and ACCOUNT).
#
# Several accounts or regions: apply this in each and list the queues, or route the
# events of every account to one queue through an EventBridge event bus.

variable "name" {
  type    = string
  default = "driftd-events"
}

variable "reader_role_name" {
  description = "The IAM role driftd runs as (IRSA, instance profile); it is allowed to read and delete the queue's messages."
  type        = string
}

resource "aws_sqs_queue" "dead_letters" {
  name                      = "${var.name}-dead"
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "events" {
  name = var.name
  # Longer than driftd's [aws.events] visibility_timeout is not needed: driftd sets its own.
  visibility_timeout_seconds = 300
  message_retention_seconds  = 86400
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letters.arn
    maxReceiveCount     = 5
  })
}

resource "aws_cloudwatch_event_rule" "events" {
  name          = var.name
  description   = "CloudTrail API calls and EC2 state changes for driftd"
  event_pattern = file("${path.module}/events-rule-pattern.json")
}

resource "aws_cloudwatch_event_target" "events" {
  rule      = aws_cloudwatch_event_rule.events.name
  target_id = "driftd"
  arn       = aws_sqs_queue.events.arn
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeSendsDriftdEvents"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.events.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.events.arn } }
    }]
  })
}

resource "aws_iam_role_policy" "driftd_reads_events" {
  name = "${var.name}-reader"
  role = var.reader_role_name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DriftdReadEvents"
        Effect   = "Allow"
        Action   = ["sqs:DeleteMessage", "sqs:ReceiveMessage"]
        Resource = aws_sqs_queue.events.arn
      },
      {
        # Who made a change the scheduled scan found without an event ([aws] lookup_events).
        Sid      = "DriftdLooksUpWhoChangedIt"
        Effect   = "Allow"
        Action   = ["cloudtrail:LookupEvents"]
        Resource = "*"
      },
    ]
  })
}

output "queue_url" {
  description = "[aws.events] queue_url in driftd.toml"
  value       = aws_sqs_queue.events.id
}
