# driftd's event feed for one Azure subscription: an Event Grid system topic on the
# subscription, a subscription to its resource events (writes, deletes and actions, their
# failures and cancellations too: driftd counts those as changing nothing) on the types
# driftd covers, delivered to a Storage queue that `driftd run` reads
# ([azure.events] queue_url). Event Grid writes each event Base64-encoded into the queue,
# which driftd decodes. A message driftd cannot handle is retried by the queue's
# visibility timeout; Event Grid itself retries delivery to the queue for 24 hours.
#
# The reader (driftd's identity) gets `Storage Queue Data Message Processor` on the queue
# (read and delete messages) and `Microsoft.Insights/eventtypes/values/read` for poll-mode
# lookups ([azure] lookup_events), which the `Reader` role or the custom role in
# driftd-reader-role.json grants.

variable "subscription_id" {
  type = string
}

variable "resource_group_name" {
  description = "Where the queue's storage account lives."
  type        = string
}

variable "location" {
  type    = string
  default = "eastus"
}

variable "storage_account_name" {
  type    = string
  default = "driftdevents"
}

variable "reader_principal_id" {
  description = "The object id of the identity driftd runs as (managed identity, service principal)."
  type        = string
}

resource "azurerm_storage_account" "events" {
  name                            = var.storage_account_name
  resource_group_name             = var.resource_group_name
  location                        = var.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
}

resource "azurerm_storage_queue" "events" {
  name                 = "driftd-events"
  storage_account_name = azurerm_storage_account.events.name
}

resource "azurerm_eventgrid_system_topic" "subscription" {
  name                   = "driftd-subscription-events"
  resource_group_name    = var.resource_group_name
  location               = "Global"
  source_arm_resource_id = "/subscriptions/${var.subscription_id}"
  topic_type             = "Microsoft.Resources.Subscriptions"
}

resource "azurerm_eventgrid_system_topic_event_subscription" "driftd" {
  name                = "driftd"
  system_topic        = azurerm_eventgrid_system_topic.subscription.name
  resource_group_name = var.resource_group_name

  included_event_types = [
    "Microsoft.Resources.ResourceWriteSuccess",
    "Microsoft.Resources.ResourceWriteFailure",
    "Microsoft.Resources.ResourceDeleteSuccess",
    "Microsoft.Resources.ResourceActionSuccess",
  ]

  # The types driftd covers (docs/types.md lists each one's operations).
  advanced_filter {
    string_contains {
      key = "data.operationName"
      values = [
        "Microsoft.Compute/virtualMachines/",
        "Microsoft.Compute/virtualMachineScaleSets/",
        "Microsoft.Compute/capacityReservationGroups/",
        "Microsoft.ContainerService/managedClusters/",
      ]
    }
  }

  storage_queue_endpoint {
    storage_account_id = azurerm_storage_account.events.id
    queue_name         = azurerm_storage_queue.events.name
  }
}

resource "azurerm_role_assignment" "driftd_reads_events" {
  scope                = "${azurerm_storage_account.events.id}/queueServices/default/queues/${azurerm_storage_queue.events.name}"
  role_definition_name = "Storage Queue Data Message Processor"
  principal_id         = var.reader_principal_id
}

output "queue_url" {
  description = "[azure.events] queue_url in driftd.toml"
  value       = "https://${azurerm_storage_account.events.name}.queue.core.windows.net/${azurerm_storage_queue.events.name}"
}
