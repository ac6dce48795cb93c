//! The policy engine as agents and admins meet it: conditions on resources and arguments,
//! `approve`/`confirm` holds, `policy explain`, and hot reload with `tools/list_changed`.

use std::{sync::Arc, time::Duration};

use rmcp::{ClientHandler, RoleClient, service::NotificationContext};
use serde_json::json;
use tokio::sync::Notify;

use crate::support::{self, GateOptions, export, structured, text, unique};

fn policy(prefix: &str) -> String {
    format!(
        r#"
[identity]
mode = "local"
groups = ["eng"]

[approvals]
wait = "1s"

[[rule]]
id = "team-buckets"
principals = ["group:eng"]
tools = ["s3_list_objects", "s3_get_object", "s3_delete_object", "s3_put_object"]
resources = ["arn:aws:s3:::{prefix}-*"]
effect = "allow"

[[rule]]
id = "small-pages"
principals = ["group:eng"]
tools = ["s3_list_objects"]
when = "!has(args.max_keys) || args.max_keys <= 100"
effect = "allow"

[[rule]]
id = "big-pages-denied"
principals = ["*"]
tools = ["s3_list_objects"]
when = "args.max_keys > 100"
effect = "deny"
reason = "page through listings 100 keys at a time"

[[rule]]
id = "deletes-need-sre"
principals = ["group:eng"]
tools = ["s3_delete_object"]
effect = "approve"
approvers = ["group:sre"]

[[rule]]
id = "puts-need-confirmation"
principals = ["group:eng"]
tools = ["s3_put_object"]
resources = ["arn:aws:s3:::{prefix}-shared*"]
effect = "confirm"

[[rule]]
id = "hide-iam"
principals = ["*"]
tools = ["iam_*"]
effect = "deny"
reason = "IAM is for the security team"
"#
    )
}

#[tokio::test]
async fn conditions_on_resources_and_arguments_decide_calls() {
    let s3 = support::s3().await;
    let prefix = unique("team");
    let ours = format!("{prefix}-data");
    let shared = format!("{prefix}-shared");
    let theirs = unique("other");
    for b in [&ours, &shared, &theirs] {
        s3.create_bucket().bucket(b).send().await.unwrap();
        support::put(&s3, b, "a.txt", "alpha").await;
    }
    let text_policy = policy(&prefix);
    let gate = support::start(GateOptions {
        policy: &text_policy,
        ..Default::default()
    })
    .await;

    // Listing ignores conditions; an unconditional deny hides IAM.
    assert_eq!(
        gate.tool_names().await,
        [
            "s3_list_objects",
            "s3_get_object",
            "s3_put_object",
            "s3_delete_object"
        ]
    );
    let iam = gate.call("iam_list_users", json!({})).await;
    assert_eq!(
        text(&iam),
        "unknown tool `iam_list_users`: denied by policy rule `hide-iam`: IAM is for the security team"
    );

    let ok = gate
        .call("s3_get_object", json!({"bucket": ours, "key": "a.txt"}))
        .await;
    assert_eq!(structured(&ok)["Body"], "alpha");

    let elsewhere = gate
        .call("s3_get_object", json!({"bucket": theirs, "key": "a.txt"}))
        .await;
    assert_eq!(elsewhere.is_error, Some(true));
    assert_eq!(
        text(&elsewhere),
        format!(
            "no policy rule allows this call to `s3_get_object`: rule `team-buckets`: resource `arn:aws:s3:::{theirs}/a.txt` matches none of `arn:aws:s3:::{prefix}-*`"
        )
    );

    // Arguments: small listings anywhere, big ones nowhere (a deny rule with a reason).
    let small = gate
        .call("s3_list_objects", json!({"bucket": theirs, "max_keys": 10}))
        .await;
    assert_eq!(structured(&small)["KeyCount"], 1);
    let big = gate
        .call("s3_list_objects", json!({"bucket": ours, "max_keys": 500}))
        .await;
    assert_eq!(
        text(&big),
        "`s3_list_objects` denied by policy rule `big-pages-denied`: page through listings 100 keys at a time"
    );

    // approve and confirm hold the call: nothing reaches AWS.
    let delete = gate
        .call("s3_delete_object", json!({"bucket": ours, "key": "a.txt"}))
        .await;
    assert_ne!(delete.is_error, Some(true), "pending is not an error");
    assert!(
        text(&delete)
            .starts_with("`s3_delete_object` is waiting for a human approver: request apr_")
            && text(&delete).contains("needs 1 of group:sre"),
        "{}",
        text(&delete)
    );
    assert!(
        support::object_exists(&s3, &ours, "a.txt").await,
        "an approve decision must not reach AWS"
    );
    let put = gate
        .call(
            "s3_put_object",
            json!({"bucket": shared, "key": "a.txt", "body": "overwritten"}),
        )
        .await;
    assert!(
        text(&put).starts_with(
            "`s3_put_object` needs confirmation by your user (rule `puts-need-confirmation`), but your MCP client cannot ask"
        ),
        "{}",
        text(&put)
    );
    let body = support::object_body(&s3, &shared, "a.txt").await;
    assert_eq!(&body[..], b"alpha");

    let db = gate.db.clone();
    let dir = gate.stop().await;
    let rows = export(&db, None);
    let summary: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["tool"].as_str().unwrap().to_owned(),
                r["decision"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = |t: &str, d: &str, s: &str| (t.to_owned(), d.to_owned(), s.to_owned());
    assert_eq!(
        summary,
        [
            expect("iam_list_users", "deny", "denied"),
            expect("s3_get_object", "allow", "ok"),
            expect("s3_get_object", "deny", "denied"),
            expect("s3_list_objects", "allow", "ok"),
            expect("s3_list_objects", "deny", "denied"),
            expect("s3_delete_object", "approve", "needs_approval"),
            expect("s3_put_object", "confirm", "needs_confirmation"),
        ]
    );
    assert_eq!(rows[5]["rules"], json!(["deletes-need-sre"]));
    let version = rows[0]["policy_version"].as_str().unwrap();
    assert!(version.starts_with("sha256:") && rows.iter().all(|r| r["policy_version"] == version));
    drop(dir);
}

/// An MCP client that counts `notifications/tools/list_changed`.
#[derive(Clone, Default)]
struct ListWatcher {
    changed: Arc<Notify>,
}

impl ClientHandler for ListWatcher {
    async fn on_tool_list_changed(&self, _ctx: NotificationContext<RoleClient>) {
        self.changed.notify_one();
    }
}

const ONLY_BUCKETS: &str = "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"buckets\"\nprincipals = [\"*\"]\ntools = [\"s3_list_buckets\"]\neffect = \"allow\"\n";
const ALSO_USERS: &str = "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"buckets\"\nprincipals = [\"*\"]\ntools = [\"s3_list_buckets\", \"iam_list_users\"]\neffect = \"allow\"\n";

async fn changed(watcher: &ListWatcher, within: Duration) -> bool {
    tokio::time::timeout(within, watcher.changed.notified())
        .await
        .is_ok()
}

#[tokio::test]
async fn an_edited_policy_takes_effect_without_a_restart() {
    let watcher = ListWatcher::default();
    let gate = support::start_with(
        GateOptions {
            policy: ONLY_BUCKETS,
            ..Default::default()
        },
        watcher.clone(),
    )
    .await;
    assert_eq!(gate.tool_names().await, ["s3_list_buckets"]);
    assert_eq!(
        text(&gate.call("iam_list_users", json!({})).await),
        "unknown tool `iam_list_users`"
    );

    std::fs::write(gate.policy_path(), ALSO_USERS).unwrap();
    assert!(
        changed(&watcher, Duration::from_secs(10)).await,
        "no tools/list_changed after a valid edit"
    );
    assert_eq!(
        gate.tool_names().await,
        ["s3_list_buckets", "iam_list_users"]
    );
    let users = gate.call("iam_list_users", json!({})).await;
    assert!(users.is_error != Some(true), "{}", text(&users));

    // An invalid edit keeps the policy in force, says why on stderr, and notifies nobody.
    std::fs::write(gate.policy_path(), "[identity]\nmode = \"local\"\n\n[[rule]]\nid = \"x\"\nprincipals = [\"*\"]\ntools = [\"s3_lst_buckets\"]\neffect = \"allow\"\n").unwrap();
    assert!(
        !changed(&watcher, Duration::from_secs(2)).await,
        "an invalid edit must not change the tools"
    );
    assert_eq!(
        gate.tool_names().await,
        ["s3_list_buckets", "iam_list_users"]
    );
    assert!(
        gate.stderr().contains("did you mean `s3_list_buckets`?"),
        "{}",
        gate.stderr()
    );

    // A deleted policy file: the policy in force stays, and the failed read is recorded.
    std::fs::remove_file(gate.policy_path()).unwrap();
    let recorded = async {
        while support::events_of_kind(&gate.db, "policy.rejected").len() < 2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), recorded)
        .await
        .expect("the deleted policy was never recorded as rejected");
    assert_eq!(
        gate.tool_names().await,
        ["s3_list_buckets", "iam_list_users"]
    );
    let still = gate.call("iam_list_users", json!({})).await;
    assert!(still.is_error != Some(true), "{}", text(&still));

    let db = gate.db.clone();
    let dir = gate.stop().await;
    let reloaded = support::events_of_kind(&db, "policy.reloaded");
    assert_eq!(reloaded.len(), 1);
    let rows = export(&db, None);
    assert_ne!(
        rows[0]["policy_version"], rows[1]["policy_version"],
        "calls record the version in force"
    );
    assert_eq!(reloaded[0]["version"], rows[1]["policy_version"]);
    assert_eq!(reloaded[0]["previous_version"], rows[0]["policy_version"]);
    let rejected = support::events_of_kind(&db, "policy.rejected");
    assert_eq!(rejected.len(), 2);
    assert!(
        rejected[1]["errors"][0]
            .as_str()
            .unwrap()
            .contains("cannot read policy"),
        "{rejected:?}"
    );
    assert!(
        rejected[0]["errors"][0]
            .as_str()
            .unwrap()
            .contains("unknown tool `s3_lst_buckets`")
    );
    drop(dir);
}

#[tokio::test]
async fn sighup_reloads_when_polling_is_off() {
    let watcher = ListWatcher::default();
    let gate = support::start_with(
        GateOptions {
            policy: ONLY_BUCKETS,
            env: vec![("AWSGATE_POLICY_POLL", "0")],
            ..Default::default()
        },
        watcher.clone(),
    )
    .await;
    std::fs::write(gate.policy_path(), ALSO_USERS).unwrap();
    assert!(
        !changed(&watcher, Duration::from_millis(1500)).await,
        "polling was meant to be off"
    );
    assert_eq!(gate.tool_names().await, ["s3_list_buckets"]);
    std::process::Command::new("kill")
        .args(["-HUP", &gate.pid.to_string()])
        .status()
        .unwrap();
    assert!(
        changed(&watcher, Duration::from_secs(10)).await,
        "no tools/list_changed after SIGHUP"
    );
    assert_eq!(
        gate.tool_names().await,
        ["s3_list_buckets", "iam_list_users"]
    );
    gate.stop().await;
}
