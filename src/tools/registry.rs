//! The one list of tools. Adding a tool is one file under its service's folder and one line
//! here; the [`ToolId`]s, the [`ToolCall`] variants and every dispatch are generated from it.

use serde_json::{Map, Value};

use super::{ArnScope, Tool, ToolSpec, ec2, iam, parse_as, s3, spec, sts};
use crate::aws::{AwsResponse, CallError, Clients};

macro_rules! catalogue {
    ($($id:ident => $tool:ty,)+) => {
        /// Every tool awsgate knows, named `<service>_<operation>` after the AWS API operation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ToolId {
            $(
                #[doc = concat!("`", stringify!($tool), "`")]
                $id,
            )+
        }

        impl ToolId {
            /// All tools, in catalogue order.
            pub const ALL: &'static [ToolId] = &[$(ToolId::$id,)+];

            /// The tool name agents and policies use.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ToolId::$id => <$tool as Tool>::NAME,)+
                }
            }

            /// This tool's position in the catalogue.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        pub(super) fn spec_of(id: ToolId) -> ToolSpec {
            match id {
                $(ToolId::$id => spec::<$tool>(id),)+
            }
        }

        /// A tool call with typed, validated arguments.
        #[derive(Debug, Clone)]
        pub enum ToolCall {
            $(
                #[doc = concat!("`", stringify!($tool), "`")]
                $id(<$tool as Tool>::Args),
            )+
        }

        impl ToolCall {
            /// Parses and validates an agent's arguments for `tool`. Absent arguments mean
            /// `{}`.
            pub fn parse(tool: ToolId, args: Option<Map<String, Value>>) -> Result<Self, String> {
                let args = Value::Object(args.unwrap_or_default());
                Ok(match tool {
                    $(ToolId::$id => ToolCall::$id(parse_as::<$tool>(tool, &args)?),)+
                })
            }

            /// Which tool this is.
            pub fn tool(&self) -> ToolId {
                match self {
                    $(ToolCall::$id(_) => ToolId::$id,)+
                }
            }

            /// The ARNs this call touches.
            pub fn resources(&self, scope: &ArnScope) -> Vec<String> {
                match self {
                    $(ToolCall::$id(a) => <$tool as Tool>::resources(a, scope),)+
                }
            }

            /// The arguments as JSON, in the shape the agent sent them (for the audit log).
            pub fn args_json(&self) -> Value {
                match self {
                    $(ToolCall::$id(a) => serde_json::to_value(a).unwrap_or(Value::Null),)+
                }
            }

            /// Makes the call with the SDK clients.
            pub async fn execute(&self, aws: &Clients) -> Result<AwsResponse, CallError> {
                match self {
                    $(ToolCall::$id(a) => <$tool as Tool>::call(aws, a).await,)+
                }
            }
        }
    };
}

catalogue! {
    S3ListBuckets => s3::list_buckets::ListBuckets,
    S3ListObjects => s3::list_objects::ListObjects,
    S3GetObject => s3::get_object::GetObject,
    S3PutObject => s3::put_object::PutObject,
    S3DeleteObject => s3::delete_object::DeleteObject,
    Ec2DescribeInstances => ec2::describe_instances::DescribeInstances,
    IamListUsers => iam::list_users::ListUsers,
    StsGetCallerIdentity => sts::get_caller_identity::GetCallerIdentity,
}
