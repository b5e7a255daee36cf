//! CloudTrail records of API calls (the `detail` of an EventBridge "AWS API Call via
//! CloudTrail" event, or one record of `LookupEvents`): which covered resources a call
//! touched (each type's `events` rules, next to its spec), whether it changed anything
//! (failed calls and dry runs did not), and who made it. An event is a reason to read the
//! resources again, never their new state.

use driftd_core::model::{Cause, ChangedBy};
use driftd_core::spec::TypeSpec;
use serde_json::Value;

pub use crate::events::ApiCall;

/// The services that record the calls (the `source` of each type's `EventRule`s).
pub const EC2: &str = "ec2.amazonaws.com";
pub const AUTOSCALING: &str = "autoscaling.amazonaws.com";
pub const EKS: &str = "eks.amazonaws.com";
/// `CreateTags` and `DeleteTags` name resources of any type here: each type's rule takes
/// the ids with its prefix.
pub const TAGGED: &str = "requestParameters.resourcesSet.items[].resourceId";

/// Consoles sign their calls as these: a person, not a service acting for one.
const CONSOLES: &[&str] = &["signin.amazonaws.com", "console.amazonaws.com", "AWS Internal"];

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

fn is_console(agent: &str) -> bool {
    CONSOLES.contains(&agent) || (agent.starts_with("console.") && agent.ends_with(".amazonaws.com"))
}

/// Why the call was made, from who made it and with what.
fn cause(identity: &Value, agent: Option<&str>, invoked_by: Option<&str>, session: Option<&str>) -> Cause {
    let agent = agent.unwrap_or("");
    if let Some(service) = invoked_by.filter(|s| !is_console(s)) {
        if service.ends_with(".amazonaws.com") {
            return Cause::Service;
        }
    }
    if identity.get("type").and_then(Value::as_str) == Some("AWSService") {
        return Cause::Service;
    }
    if agent.contains("Terraform/") || agent.contains("terraform-provider-aws") {
        return Cause::Terraform;
    }
    if is_console(agent) || invoked_by.is_some_and(is_console) || agent.starts_with("aws-cli/") {
        return Cause::Manual;
    }
    match identity.get("type").and_then(Value::as_str) {
        Some("IAMUser") | Some("Root") => Cause::Manual,
        // A role session named after a person (an e-mail, SSO's permission sets).
        Some("AssumedRole") | Some("FederatedUser")
            if session.is_some_and(|s| s.contains('@'))
                || identity
                    .pointer("/sessionContext/sessionIssuer/userName")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.starts_with("AWSReservedSSO_")) =>
        {
            Cause::Manual
        }
        _ => Cause::Automation,
    }
}

/// EventBridge's detail type of CloudTrail's management events.
pub const API_CALL: &str = "AWS API Call via CloudTrail";
/// EventBridge's detail type of EC2's instance state changes (no caller: spot
/// interruptions and retirements have none).
pub const STATE_CHANGE: &str = "EC2 Instance State-change Notification";

/// Reads a CloudTrail record, or an EventBridge event whose `detail` is one, or an EC2
/// instance state change. `None`: none of these (another detail type, no `eventName`).
pub fn parse(event: &Value, types: &[&TypeSpec]) -> Option<ApiCall> {
    let record = match event.get("detail") {
        Some(detail) if event.get("detail-type").and_then(Value::as_str) == Some(API_CALL) => detail,
        Some(detail) if event.get("detail-type").and_then(Value::as_str) == Some(STATE_CHANGE) => {
            return state_change(event, detail, types)
        }
        Some(_) => return None,
        None => event,
    };
    let name = text(record, "eventName")?;
    let source = text(record, "eventSource")?;
    let identity = record.get("userIdentity").cloned().unwrap_or(Value::Null);
    let agent = text(record, "userAgent");
    let invoked_by = text(&identity, "invokedBy");
    let arn = text(&identity, "arn");
    // The session name of `assumed-role/ROLE/SESSION`, or a user's name.
    let session = arn.as_deref().and_then(|a| a.split_once(":assumed-role/")).and_then(|(_, r)| r.split_once('/'));
    let display_name = session.map(|(_, s)| s.to_string()).or_else(|| text(&identity, "userName"));
    let cause = cause(&identity, agent.as_deref(), invoked_by.as_deref(), session.map(|(_, s)| s));
    let changed_by = Some(ChangedBy {
        principal: arn.or_else(|| text(&identity, "principalId")).unwrap_or_else(|| "unknown".into()),
        principal_type: text(&identity, "type").unwrap_or_else(|| "unknown".into()),
        display_name,
        source_ip: text(record, "sourceIPAddress"),
        user_agent: agent,
        event_time: text(record, "eventTime").unwrap_or_default(),
        event_id: text(record, "eventID").unwrap_or_default(),
        event_name: name.clone(),
        // The console signs a person's calls as `signin.amazonaws.com`: that is the
        // person's own change, not a service's on their behalf.
        invoked_by: invoked_by.filter(|s| !is_console(s)),
        cause,
    });
    let error = text(record, "errorCode");
    let dry_run = error.as_deref().is_some_and(|e| e.ends_with("DryRunOperation"))
        || record.pointer("/requestParameters/dryRun").and_then(Value::as_bool) == Some(true);
    let resources = crate::events::resources_named(types, &source, &name, record);
    Some(ApiCall {
        source,
        name,
        region: text(record, "awsRegion"),
        account: text(record, "recipientAccountId").or_else(|| text(&identity, "accountId")),
        changed_nothing: error.is_some() || dry_run,
        changed_by,
        resources,
    })
}

/// An instance's new state: a reason to read it again. `pending` changes nothing here:
/// the launch's own `RunInstances` record follows, saying who.
fn state_change(event: &Value, detail: &Value, types: &[&TypeSpec]) -> Option<ApiCall> {
    let state = text(detail, "state")?;
    let id = text(detail, "instance-id")?;
    let covered = types.iter().any(|t| t.tf_type == super::instance::SPEC.tf_type);
    Some(ApiCall {
        source: EC2.to_string(),
        name: format!("{STATE_CHANGE}: {state}"),
        region: text(event, "region"),
        account: text(event, "account"),
        changed_nothing: state == "pending",
        changed_by: None,
        resources: if covered { vec![(super::instance::SPEC.tf_type, id)] } else { Vec::new() },
    })
}

/// Every AWS type's spec, for [`parse`].
pub fn specs() -> Vec<&'static TypeSpec> {
    super::TYPES.iter().map(|t| t.spec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Who made a call that names someone.
    fn by(call: &ApiCall) -> &ChangedBy {
        call.changed_by.as_ref().unwrap_or_else(|| panic!("{}: names nobody", call.name))
    }

    /// A real record from `testdata/cloudtrail/` (see its README).
    fn record(file: &str) -> ApiCall {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cloudtrail").join(file);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        parse(&v, &specs()).unwrap_or_else(|| panic!("{file}: not an API call"))
    }

    /// Who, why and which resources, for real records of people, roles, Terraform and
    /// AWS services.
    #[test]
    fn real_cloudtrail_records_name_who_why_and_what() {
        // The console, by an IAM user: manual, although `invokedBy` names the sign-in service.
        let console = record("custodian-event-cloud-trail-run-instance-creator.json");
        assert_eq!(by(&console).cause, Cause::Manual);
        assert_eq!(by(&console).invoked_by, None, "the console is not a service acting for someone");
        assert_eq!(by(&console).display_name.as_deref(), Some("c7nbot"));
        assert_eq!(by(&console).principal, "arn:aws:iam::644160558196:user/c7nbot");
        assert_eq!(by(&console).source_ip.as_deref(), Some("204.63.44.142"));
        assert_eq!(console.resources.len(), 1, "{:?}", console.resources);
        assert_eq!(console.resources[0].0, "aws_instance");
        assert!(console.resources[0].1.starts_with("i-"));
        assert!(!console.changed_nothing);

        // Auto Scaling launching for its group: a service on an owner's behalf.
        let asg = record("custodian-event-cloud-trail-run-instances.json");
        assert_eq!(by(&asg).cause, Cause::Service);
        assert_eq!(by(&asg).invoked_by.as_deref(), Some("autoscaling.amazonaws.com"));
        let asg_term =
            record("panther-aws_modify_cloud_compute_infrastructure-terminate-instance-from-autoscaling.json");
        assert_eq!(by(&asg_term).cause, Cause::Service);
        assert_eq!(asg_term.resources.iter().filter(|(t, _)| *t == "aws_instance").count(), asg_term.resources.len());
        assert!(!asg_term.resources.is_empty());

        // Terraform's user agent, under a deployment role.
        let tf = record("panther-aws_ec2_manual_security_group_changes-terraform-security-group-authorize-egress.json");
        assert_eq!(by(&tf).cause, Cause::Terraform);
        assert_eq!(tf.resources, [("aws_security_group", "sg-03eee825d6bb78f54".to_string())]);

        // A script under a person's role session; the CLI by a user; the EC2 console.
        let script = record("panther-aws_ec2_manual_security_group_changes-go-script-authorize-ingress.json");
        assert_eq!(by(&script).cause, Cause::Manual, "a session named after a person");
        assert_eq!(by(&script).display_name.as_deref(), Some("ryan@example.com"));
        let cli = record("panther-aws_ec2_stopinstances-cloudtrail-instances-were-stopped.json");
        assert_eq!(by(&cli).cause, Cause::Manual);
        assert!(
            !cli.resources.is_empty()
                && cli.resources.iter().all(|(t, id)| *t == "aws_instance" && id.starts_with("i-"))
        );
        let ec2_console =
            record("panther-aws_ec2_manual_security_group_changes-aws-console-ingress-sg-authorization.json");
        assert_eq!(by(&ec2_console).cause, Cause::Manual);

        // A role session that is no person: automation.
        let role = record("panther-aws_modify_cloud_compute_infrastructure-terminate-instance-from-assumedrole.json");
        assert_eq!(by(&role).cause, Cause::Automation);
        assert_eq!(by(&role).display_name.as_deref(), Some("AThing"));
    }

    /// A failed call and a dry run changed nothing; they still say who tried.
    #[test]
    fn failed_calls_and_dry_runs_change_nothing() {
        let denied =
            record("panther-aws_ec2_manual_security_group_changes-aws-console-ingress-sg-authorization-error.json");
        assert!(denied.changed_nothing);
        let dry = record("panther-aws_ec2_monitoring-runinstance-dry-run.json");
        assert!(dry.changed_nothing);
        assert_eq!(by(&dry).invoked_by.as_deref(), Some("eks-nodegroup.amazonaws.com"));
        assert_eq!(by(&dry).cause, Cause::Service);
    }

    /// The EventBridge envelope is read through; another detail type is not an API call.
    #[test]
    fn eventbridge_envelopes_are_read_and_other_detail_types_are_not_calls() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cloudtrail");
        let detail: Value = serde_json::from_str(
            &std::fs::read_to_string(path.join("custodian-event-cloud-trail-run-instance-creator.json")).unwrap(),
        )
        .unwrap();
        let envelope = serde_json::json!({
            "version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
            "account": "644160558196", "region": "us-east-1", "detail": detail,
        });
        assert_eq!(parse(&envelope, &specs()), parse(&detail, &specs()));
        let other = serde_json::json!({
            "detail-type": "EBS Volume Notification", "source": "aws.ec2", "detail": {"event": "createVolume"},
        });
        assert_eq!(parse(&other, &specs()), None);
    }

    /// A real EC2 state change names its instance and nobody; `pending` changes nothing
    /// (the launch's own record says who), any later state is a reason to read it again.
    #[test]
    fn instance_state_changes_name_the_instance_and_nobody() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cloudtrail");
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(path.join("custodian-event-instance-state.json")).unwrap())
                .unwrap();
        let pending = parse(&event, &specs()).unwrap();
        assert_eq!(pending.resources, [("aws_instance", "i-a2d74f12".to_string())]);
        assert_eq!((pending.region.as_deref(), pending.account.as_deref()), (Some("us-east-1"), Some("101010101111")));
        assert!(pending.changed_nothing);
        assert_eq!(pending.changed_by, None);
        event["detail"]["state"] = "stopped".into();
        let stopped = parse(&event, &specs()).unwrap();
        assert!(!stopped.changed_nothing);
        assert_eq!(stopped.name, "EC2 Instance State-change Notification: stopped");
    }

    /// `CreateTags` names resources of any type: each type takes the ids of its own.
    #[test]
    fn tags_on_mixed_resources_go_to_each_type() {
        let record = serde_json::json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "CreateTags", "eventTime": "2026-12-05T06:00:00Z",
            "eventID": "e1", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/ana", "userName": "ana"},
            "userAgent": "aws-cli/2.15.0",
            "requestParameters": {"resourcesSet": {"items": [{"resourceId": "i-0abc"}, {"resourceId": "sg-0def"}, {"resourceId": "vol-1"}]}},
        });
        let call = parse(&record, &specs()).unwrap();
        assert_eq!(
            call.resources,
            [("aws_instance", "i-0abc".to_string()), ("aws_security_group", "sg-0def".to_string())]
        );
    }

    /// Auto Scaling's documented record names its group by name (its id); an EKS node
    /// group's id joins the cluster and node group named in the request's path, or in the
    /// created node group; EC2's wrapped calls name launch templates and capacity
    /// reservations inside `<Call>Request`/`<Call>Response`.
    #[test]
    fn groups_node_groups_templates_and_reservations_map_to_their_ids() {
        let asg = record("awsdocs-autoscaling-update-auto-scaling-group.json");
        assert_eq!(asg.resources, [("aws_autoscaling_group", "asg1".to_string())]);
        assert_eq!(by(&asg).cause, Cause::Manual);
        let call = |source: &str, name: &str, request: Value, response: Value| {
            let record = serde_json::json!({
                "eventSource": source, "eventName": name, "eventTime": "2026-12-05T06:00:00Z", "eventID": "e",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/ana", "userName": "ana"},
                "requestParameters": request, "responseElements": response,
            });
            parse(&record, &specs()).unwrap().resources
        };
        assert_eq!(
            call(
                "eks.amazonaws.com",
                "UpdateNodegroupConfig",
                json!({"name": "gpu", "nodegroupName": "trainers"}),
                Value::Null
            ),
            [("aws_eks_node_group", "gpu:trainers".to_string())]
        );
        assert_eq!(
            call(
                "eks.amazonaws.com",
                "CreateNodegroup",
                json!({"clusterName": "gpu", "nodegroupName": "trainers"}),
                json!({"nodegroup": {"clusterName": "gpu", "nodegroupName": "trainers"}})
            ),
            [("aws_eks_node_group", "gpu:trainers".to_string())]
        );
        assert_eq!(
            call(
                "ec2.amazonaws.com",
                "CreateLaunchTemplateVersion",
                json!({"CreateLaunchTemplateVersionRequest": {"LaunchTemplateName": "gpu"}}),
                json!({"CreateLaunchTemplateVersionResponse": {"launchTemplateVersion": {"launchTemplateId": "lt-0abc"}}})
            ),
            [("aws_launch_template", "lt-0abc".to_string())]
        );
        assert_eq!(
            call(
                "ec2.amazonaws.com",
                "ModifyCapacityReservation",
                json!({"ModifyCapacityReservationRequest": {"CapacityReservationId": "cr-0def"}}),
                Value::Null
            ),
            [("aws_ec2_capacity_reservation", "cr-0def".to_string())]
        );
        // A list on one side of a join pairs with nothing: no id is made up.
        assert_eq!(
            call(
                "eks.amazonaws.com",
                "DeleteNodegroup",
                json!({"name": ["a", "b"], "nodegroupName": "x"}),
                Value::Null
            ),
            Vec::<(&str, String)>::new()
        );
    }
}
