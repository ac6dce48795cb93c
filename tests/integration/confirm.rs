//! `confirm` rules ask the caller's own human through the MCP client: by elicitation on
//! protocol 2025-11-25, by an `InputRequiredResult` round trip on 2026-07-28; a client that
//! can do neither gets the configured fallback.

use std::sync::{Arc, Mutex};

use rmcp::{
    ClientHandler, ErrorData, RoleClient,
    model::{
        ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
        Implementation, ProtocolVersion,
    },
    service::RequestContext,
};
use serde_json::{Value, json};

use crate::support::{self, GateOptions, export, text};

const POLICY: &str = r#"[identity]
mode = "local"
groups = ["eng"]

[[rule]]
id = "eng-reads"
principals = ["group:eng"]
tools = ["s3_get_object"]
effect = "allow"

[[rule]]
id = "writes-are-confirmed"
principals = ["group:eng"]
tools = ["s3_put_object"]
effect = "confirm"
"#;

/// A client whose human answers every confirmation with `answer`, speaking `version`.
#[derive(Clone)]
pub struct Human {
    pub answer: Option<bool>,
    pub version: ProtocolVersion,
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Human {
    fn get_info(&self) -> ClientConfig {
        let capabilities = if self.answer.is_some() {
            ClientCapabilities::builder().enable_elicitation().build()
        } else {
            ClientCapabilities::default()
        };
        ClientConfig::new(capabilities, Implementation::new("confirm-test", "1"))
            .with_protocol_version(self.version.clone())
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.asked.lock().unwrap().push(message);
        }
        Ok(match self.answer {
            Some(true) => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"confirm": true}))
            }
            _ => ElicitResult::new(ElicitationAction::Decline),
        })
    }
}

async fn run(
    version: ProtocolVersion,
    answer: Option<bool>,
    policy: &str,
) -> (String, bool, Vec<String>, Vec<Value>) {
    let s3 = support::s3().await;
    let bucket = support::unique("confirm");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let discover = version == ProtocolVersion::V_2026_07_28;
    let human = Human {
        answer,
        version,
        asked: Arc::new(Mutex::new(Vec::new())),
    };
    let gate = support::start_with(
        GateOptions {
            policy,
            discover,
            ..GateOptions::default()
        },
        human.clone(),
    )
    .await;
    let result = gate
        .call(
            "s3_put_object",
            json!({"bucket": bucket, "key": "note.txt", "body": "hello"}),
        )
        .await;
    let said = if result.is_error == Some(true) {
        text(&result)
    } else {
        "ok".to_owned()
    };
    let written = support::object_exists(&s3, &bucket, "note.txt").await;
    let db = gate.db.clone();
    let _dir = gate.stop().await;
    let asked = human.asked.lock().unwrap().clone();
    (said, written, asked, export(&db, None))
}

#[tokio::test]
async fn confirmation_by_elicitation_on_2025_11_25() {
    let (said, written, asked, calls) =
        run(ProtocolVersion::V_2025_11_25, Some(true), POLICY).await;
    assert_eq!(said, "ok");
    assert!(written);
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].starts_with("user:alice wants to run s3_put_object with"),
        "{asked:?}"
    );
    assert_eq!(
        calls[0]["confirmation"],
        json!({"answer": "accepted", "via": "elicitation"})
    );

    let (said, written, _, calls) = run(ProtocolVersion::V_2025_11_25, Some(false), POLICY).await;
    assert_eq!(
        said,
        "`s3_put_object` was not made: your user did not confirm it"
    );
    assert!(!written);
    assert_eq!(calls[0]["confirmation"]["answer"], "declined");
    assert_eq!(calls[0]["status"], "denied");
}

#[tokio::test]
async fn confirmation_by_input_required_round_trip_on_2026_07_28() {
    let (said, written, asked, calls) =
        run(ProtocolVersion::V_2026_07_28, Some(true), POLICY).await;
    assert_eq!(said, "ok");
    assert!(written);
    assert_eq!(asked.len(), 1, "the client's user was asked once");
    let last = calls.last().unwrap();
    assert_eq!(
        last["confirmation"],
        json!({"answer": "accepted", "via": "input_required"})
    );
    assert_eq!(last["status"], "ok");

    let (said, written, _, _) = run(ProtocolVersion::V_2026_07_28, Some(false), POLICY).await;
    assert_eq!(
        said,
        "`s3_put_object` was not made: your user did not confirm it"
    );
    assert!(!written);
}

#[tokio::test]
async fn a_client_that_cannot_ask_gets_the_fallback() {
    for version in [ProtocolVersion::V_2025_11_25, ProtocolVersion::V_2026_07_28] {
        let (said, written, asked, calls) = run(version.clone(), None, POLICY).await;
        assert!(
            said.contains("your MCP client cannot ask"),
            "{version:?}: {said}"
        );
        assert!(!written);
        assert!(asked.is_empty());
        assert_eq!(calls[0]["status"], "needs_confirmation");
        assert_eq!(calls[0]["confirmation"]["answer"], "unsupported");
    }
    // With `confirm_fallback = "approve"` the call goes to the approval queue instead.
    let escalating = POLICY.replace(
        "effect = \"confirm\"\n",
        "effect = \"confirm\"\napprovers = [\"user:bob\"]\n",
    ) + "\n[approvals]\nwait = \"1s\"\nconfirm_fallback = \"approve\"\n";
    let (said, written, _, calls) = run(ProtocolVersion::V_2025_11_25, None, &escalating).await;
    assert_eq!(said, "ok", "pending is not an error");
    assert!(!written);
    assert_eq!(calls[0]["status"], "needs_approval");
    assert!(
        calls[0]["approval"]["id"]
            .as_str()
            .unwrap()
            .starts_with("apr_")
    );
}
