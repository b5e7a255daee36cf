//! The contract's model: resources as Terraform names them, declarations, snapshots
//! and findings. Attributes keep Terraform's names and shapes (`instance_type`,
//! `metadata_options[0].http_tokens`) so that state, live data and policies line up.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Which cloud a resource lives in (`provider` in the contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    Aws,
    Azure,
    /// A Terraform provider driftd does not read (google, kubernetes, ...).
    Other,
}

impl Cloud {
    /// The cloud of a Terraform resource type, from its prefix.
    pub fn of_type(tf_type: &str) -> Cloud {
        if tf_type.starts_with("aws_") {
            Cloud::Aws
        } else if tf_type.starts_with("azurerm_") {
            Cloud::Azure
        } else {
            Cloud::Other
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Azure => "azure",
            Cloud::Other => "other",
        }
    }

    /// The key live and declared resources are matched on. ARM ids are
    /// case-insensitive (`resourceGroups` vs `resourcegroups` both occur).
    pub fn match_key(self, id: &str) -> String {
        match self {
            Cloud::Azure => id.to_ascii_lowercase(),
            _ => id.to_string(),
        }
    }

    /// Account and region of a resource from its attributes: the ARN for AWS
    /// (falling back to the availability zone), the ARM id and `location` for Azure.
    pub fn locate(self, id: &str, attributes: &Value) -> (Option<String>, Option<String>) {
        match self {
            Cloud::Aws => {
                if let Some(arn) = attributes.get("arn").and_then(Value::as_str) {
                    // arn:partition:service:region:account:resource
                    let parts: Vec<&str> = arn.splitn(6, ':').collect();
                    if parts.len() == 6 {
                        let region = Some(parts[3]).filter(|s| !s.is_empty()).map(str::to_string);
                        let account = Some(parts[4]).filter(|s| !s.is_empty()).map(str::to_string);
                        if region.is_some() {
                            return (account, region);
                        }
                    }
                }
                let region = attributes
                    .get("availability_zone")
                    .and_then(Value::as_str)
                    .filter(|az| az.len() > 1)
                    .map(|az| az.trim_end_matches(|c: char| c.is_ascii_alphabetic()).to_string());
                (None, region)
            }
            Cloud::Azure => {
                let account = azure_subscription(id);
                let region = attributes.get("location").and_then(Value::as_str).map(azure_location);
                (account, region)
            }
            Cloud::Other => (None, None),
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `/subscriptions/<id>/...` -> `<id>`.
pub fn azure_subscription(arm_id: &str) -> Option<String> {
    let mut parts = arm_id.split('/').filter(|s| !s.is_empty());
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("subscriptions") {
            return parts.next().map(str::to_ascii_lowercase);
        }
    }
    None
}

/// Azure writes locations both as `eastus` and `East US`; compare the short form.
pub fn azure_location(location: &str) -> String {
    location.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase()
}

/// Severity of a finding, highest first in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|sev| sev.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: `{:<8}` in tables must pad.
        f.pad(self.as_str())
    }
}

/// The four kinds of finding, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    Changed,
    Missing,
    Unmanaged,
    Violation,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Changed => "changed",
            FindingKind::Missing => "missing",
            FindingKind::Unmanaged => "unmanaged",
            FindingKind::Violation => "violation",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A managed owner of a live resource (an auto scaling group, an EKS node group,
/// a scale set, an AKS node pool). Owned resources are never unmanaged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRef {
    #[serde(rename = "type")]
    pub tf_type: String,
    pub id: String,
}

/// One object of the cloud, named the way Terraform names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub tf_type: String,
    pub id: String,
    pub provider: Cloud,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Display name: the `Name` tag on AWS, the resource name on Azure.
    #[serde(default)]
    pub name: Option<String>,
    /// Set when a managed owner created this resource.
    #[serde(default)]
    pub owner: Option<OwnerRef>,
    /// GPU facts the provider read (DescribeInstanceTypes); when absent, policies get
    /// driftd's own table (`core/src/gpu.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<Value>,
    /// Terraform attribute names and shapes.
    pub attributes: Value,
}

impl Resource {
    pub fn match_key(&self) -> String {
        self.provider.match_key(&self.id)
    }
}

/// Where a declaration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclaredKind {
    /// Raw state (version 4) or `terraform show -json` of a state.
    Tfstate,
    /// `terraform show -json` of a plan.
    Plan,
    /// `.tf` sources.
    Tf,
}

impl DeclaredKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclaredKind::Tfstate => "tfstate",
            DeclaredKind::Plan => "plan",
            DeclaredKind::Tf => "tf",
        }
    }
}

/// A file and line in Terraform sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLoc {
    pub file: String,
    pub line: u32,
    /// The block's first column and last line, where known (code evaluated by driftd).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub end_line: Option<u32>,
}

/// Attributes as Terraform wrote them, kept as JSON text and parsed only when used:
/// a state of 100,000 resources then costs about its size in memory, not the 5-7x a
/// parsed tree of small maps and strings does.
#[derive(Debug, Clone)]
pub struct RawAttributes(Box<serde_json::value::RawValue>);

impl RawAttributes {
    pub fn new(raw: Box<serde_json::value::RawValue>) -> RawAttributes {
        RawAttributes(raw)
    }

    pub fn from_value(v: &Value) -> RawAttributes {
        RawAttributes(serde_json::value::to_raw_value(v).expect("a Value always serialises"))
    }

    /// Parse the attributes. The text was valid JSON when read, so this cannot fail
    /// short of a nesting deeper than serde_json's limit, which reads as no attributes.
    pub fn parse(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    pub fn raw(&self) -> &str {
        self.0.get()
    }

    pub fn is_object(&self) -> bool {
        self.0.get().trim_start().starts_with('{')
    }
}

impl PartialEq for RawAttributes {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

/// A resource as Terraform knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredResource {
    /// `module.gpu.aws_instance.trainer[0]`
    pub address: String,
    /// Which input (state file, plan) declared it, as given on the command line.
    pub source: String,
    pub tf_type: String,
    pub id: String,
    pub provider: Cloud,
    pub account: Option<String>,
    pub region: Option<String>,
    pub attributes: RawAttributes,
    /// Attribute paths (dotted, with list indexes) Terraform marks sensitive.
    pub sensitive: Vec<String>,
    /// A plan creates it: it is not expected to exist live yet.
    pub pending_create: bool,
    /// Attribute paths a plan leaves unknown until apply; never compared.
    pub unknown: Vec<String>,
    /// Block in `.tf` sources, when `--tf` was given.
    pub declared_at: Option<SourceLoc>,
    /// The root module that declares it, when found by `--discover` (`live/prod/training`).
    pub root_module: Option<String>,
    /// Evaluated from `.tf` code: its attributes are only what the code sets, so an
    /// attribute the code leaves out (a provider default, a computed value) is not compared.
    pub from_code: bool,
    /// `lifecycle { ignore_changes }` in its code: attribute paths (dotted) Terraform does
    /// not change, so never drift to revert; `*` for `all`.
    pub ignore_changes: Vec<String>,
    /// `lifecycle { prevent_destroy }`: a replacement is refused by Terraform.
    pub prevent_destroy: bool,
    /// `lifecycle { create_before_destroy }`: a replacement runs both for a while.
    pub create_before_destroy: bool,
}

impl DeclaredResource {
    pub fn match_key(&self) -> String {
        self.provider.match_key(&self.id)
    }

    /// The full resource, attributes parsed.
    pub fn to_resource(&self) -> Resource {
        Resource {
            tf_type: self.tf_type.clone(),
            id: self.id.clone(),
            provider: self.provider,
            account: self.account.clone(),
            region: self.region.clone(),
            name: None,
            owner: None,
            gpu: None,
            attributes: self.attributes.parse(),
        }
    }

    /// Is `path` (dotted) sensitive, or inside a sensitive attribute?
    pub fn is_sensitive(&self, path: &str) -> bool {
        self.sensitive.iter().any(|s| path_within(path, s))
    }

    /// Is `path` unknown until apply (plan, code), inside such an attribute, or holding
    /// one (`[module.net.sg_id]` is a list not known whole)?
    pub fn is_unknown(&self, path: &str) -> bool {
        self.unknown.iter().any(|u| path_within(path, u) || path_within(u, path))
    }

    /// Does the code tell Terraform to ignore changes of `path` (`lifecycle`)?
    pub fn ignores_changes(&self, path: &str) -> bool {
        self.ignore_changes.iter().any(|i| i == "*" || path_within(path, i))
    }
}

/// `path` equals `outer` or lies below it (`tags.owner` within `tags`).
pub fn path_within(path: &str, outer: &str) -> bool {
    path == outer || (path.starts_with(outer) && path[outer.len()..].starts_with('.'))
}

/// One difference between declared and live, at one leaf attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub path: String,
    pub declared: Value,
    pub live: Value,
}

/// Which side a policy looked at: what runs, or what Terraform declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    // Declared first: `sides` lists the code before what runs.
    Declared,
    Live,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Live => "live",
            Side::Declared => "declared",
        }
    }

    /// For per-side arrays: live 0, declared 1.
    pub fn index(self) -> usize {
        match self {
            Side::Live => 0,
            Side::Declared => 1,
        }
    }
}

/// The policy that produced a `violation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    pub id: String,
    pub title: String,
    /// Which sides the policy found wanting, `declared` before `live`: both when the code
    /// and the running resource break it alike; `live` only when the live resource does
    /// (drift introduced it, or the policy reads what only the cloud knows); `declared`
    /// only when the next apply would bring it.
    pub sides: Vec<Side>,
}

/// Hourly cost, in USD; `null` where the price is not known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub declared_per_hour_usd: Option<f64>,
    pub live_per_hour_usd: Option<f64>,
    pub delta_per_hour_usd: Option<f64>,
    /// The price behind the live cost (else the declared one): which source, region,
    /// date and purchase option; null when nothing was priced (an idle resource).
    #[serde(default)]
    pub price: Option<crate::cost::PriceBasis>,
}

/// What to do about a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    pub summary: String,
    pub commands: Vec<String>,
    /// Unified diff against the `.tf` file that accepts the live value.
    pub patch: Option<String>,
}

/// Why a change was made, as the audit record of its call shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A person: the console, the CLI, or an SDK under a person's identity.
    Manual,
    /// A role or service principal that is not Terraform's (a pipeline, a script).
    Automation,
    /// Terraform itself (its user agent): the code or the state is behind.
    Terraform,
    /// A cloud service on an owner's behalf (Auto Scaling, EKS node groups, AKS).
    Service,
}

impl Cause {
    pub const ALL: [Cause; 4] = [Cause::Manual, Cause::Automation, Cause::Terraform, Cause::Service];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Manual => "manual",
            Cause::Automation => "automation",
            Cause::Terraform => "terraform",
            Cause::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Who made the change behind a finding, from the cloud's audit record of the call
/// (CloudTrail, the Azure Activity Log). Never a credential: access key ids are dropped
/// when the record is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedBy {
    /// The identity's ARN (a user, a role session, the root user) or object id, else its
    /// principal id.
    pub principal: String,
    /// `IAMUser`, `AssumedRole`, `Root`, `AWSService`; `User`, `ServicePrincipal` on Azure.
    pub principal_type: String,
    /// A role session's or user's name, a service principal's display name: who, in words.
    pub display_name: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub event_time: String,
    pub event_id: String,
    /// The call: `RunInstances`, `Microsoft.Compute/virtualMachines/write`.
    pub event_name: String,
    /// The cloud service that made the call on someone's behalf (`autoscaling.amazonaws.com`).
    pub invoked_by: Option<String>,
    pub cause: Cause,
}

impl ChangedBy {
    /// Who, in words: the display name, else the principal.
    pub fn who(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.principal)
    }

    /// One line for reports and messages: `alice (manual, RunInstances at 2026-…)`.
    pub fn line(&self) -> String {
        let by = match &self.invoked_by {
            Some(service) => format!(" via {service}"),
            None => String::new(),
        };
        format!("{}{by} ({}, {} at {})", self.who(), self.cause.as_str(), self.event_name, self.event_time)
    }
}

/// The resource a finding is about, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingResource {
    #[serde(rename = "type")]
    pub tf_type: String,
    pub id: String,
    pub address: Option<String>,
    pub provider: Cloud,
    pub account: Option<String>,
    pub region: Option<String>,
    pub name: Option<String>,
    /// The discovered root module that declares it (`--discover`); else null.
    pub root_module: Option<String>,
    /// Its team: the first cost-allocation tag (`[cost_allocation] tags`), under any of
    /// its spellings; null when it carries none.
    #[serde(default)]
    pub team: Option<String>,
    /// Every cost-allocation tag it carries, by the configured name.
    #[serde(default)]
    pub cost_allocation: BTreeMap<String, String>,
    /// The resource's tags, for notifier filters (`tags = { team = "ml" }`); not part of
    /// the report schema.
    #[serde(skip)]
    pub tags: BTreeMap<String, String>,
}

/// The string-valued `tags` of Terraform-shaped attributes (AWS and Azure alike).
pub fn tags_of(attributes: &Value) -> BTreeMap<String, String> {
    match attributes.get("tags").and_then(Value::as_object) {
        Some(tags) => tags.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect(),
        None => BTreeMap::new(),
    }
}

/// One difference, of one of four kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub resource: FindingResource,
    pub changes: Option<Vec<Change>>,
    pub policy: Option<PolicyRef>,
    pub declared_at: Option<SourceLoc>,
    pub cost: Option<Cost>,
    pub message: String,
    pub remediation: Remediation,
    /// Who made the change, where an audit record of it was found; null otherwise (as
    /// every field that does not apply).
    #[serde(default)]
    pub changed_by: Option<ChangedBy>,
}

impl Finding {
    /// What the resource costs per hour: live, else declared; `None` when unpriced.
    pub fn cost_per_hour(&self) -> Option<f64> {
        let c = self.cost.as_ref()?;
        c.live_per_hour_usd.or(c.declared_per_hour_usd)
    }

    /// A stable fingerprint: the same drift of the same resource gets the same id
    /// in every run, whatever the values, so history can follow it.
    pub fn fingerprint(kind: FindingKind, provider: Cloud, tf_type: &str, id: &str, policy: Option<&str>) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [kind.as_str(), provider.as_str(), tf_type, &provider.match_key(id), policy.unwrap_or("")] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let digest = h.finalize();
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", kind.as_str())
    }

    /// The key reports sort by: severity (highest first), kind, then address or id, policy
    /// and message (one policy may deny one resource several times).
    pub fn sort_key(&self) -> (std::cmp::Reverse<Severity>, FindingKind, &str, &str, Option<&str>, &str) {
        (
            std::cmp::Reverse(self.severity),
            self.kind,
            self.resource.address.as_deref().unwrap_or(&self.resource.id),
            &self.resource.id,
            self.policy.as_ref().map(|p| p.id.as_str()),
            &self.message,
        )
    }
}

/// What a warning is about; `ScanError` decides exit 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Two inputs declare the same address; the first wins.
    DuplicateAddress,
    /// One cloud object is managed by two addresses.
    DuplicateId,
    /// A `.driftignore` line's `# until` date has passed.
    IgnoreExpired,
    /// A scope or a type of a live scan could not be read: the check exits 3.
    ScanError,
    /// A snapshot holds a type this driftd has no spec for.
    NotCompared,
    /// Declarations of a cloud that no provider of this run scans.
    NotScanned,
    /// The code (`--tf`) and the state disagree: a change not applied yet.
    CodeDiffers,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::DuplicateAddress => "duplicate_address",
            WarningKind::DuplicateId => "duplicate_id",
            WarningKind::IgnoreExpired => "ignore_expired",
            WarningKind::ScanError => "scan_error",
            WarningKind::NotCompared => "not_compared",
            WarningKind::NotScanned => "not_scanned",
            WarningKind::CodeDiffers => "code_differs",
        }
    }
}

/// Something a user should know that is not a finding: duplicate declarations,
/// expired ignores, a region that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
    /// File (and line) or endpoint the warning is about.
    pub location: Option<String>,
}

impl Warning {
    pub fn new(kind: WarningKind, message: impl Into<String>, location: Option<String>) -> Warning {
        Warning { kind, message: message.into(), location }
    }
}
