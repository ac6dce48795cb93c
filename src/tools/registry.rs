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

            /// The same call with a smaller page, after `returned` items were too many.
            pub fn smaller_page(&self, returned: usize) -> Option<ToolCall> {
                match self {
                    $(ToolCall::$id(a) => <$tool as Tool>::smaller_page(a, returned).map(ToolCall::$id),)+
                }
            }

            /// Whether the tool keeps its own size cap (its answers are not cut to fit).
            pub fn has_own_size_cap(&self) -> bool {
                match self {
                    $(ToolCall::$id(_) => <$tool as Tool>::OWN_SIZE_CAP,)+
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
    S3ListObjectVersions => s3::list_object_versions::ListObjectVersions,
    S3HeadObject => s3::head_object::HeadObject,
    S3GetObject => s3::get_object::GetObject,
    S3GetObjectTagging => s3::get_object_tagging::GetObjectTagging,
    S3PutObject => s3::put_object::PutObject,
    S3PutObjectTagging => s3::put_object_tagging::PutObjectTagging,
    S3CopyObject => s3::copy_object::CopyObject,
    S3DeleteObject => s3::delete_object::DeleteObject,
    S3DeleteObjects => s3::delete_objects::DeleteObjects,
    S3GetBucketLocation => s3::get_bucket_location::GetBucketLocation,
    S3GetBucketPolicy => s3::get_bucket_policy::GetBucketPolicy,
    S3PutBucketPolicy => s3::put_bucket_policy::PutBucketPolicy,
    S3GetBucketVersioning => s3::get_bucket_versioning::GetBucketVersioning,
    S3PutBucketVersioning => s3::put_bucket_versioning::PutBucketVersioning,
    S3GetBucketEncryption => s3::get_bucket_encryption::GetBucketEncryption,
    S3GetPublicAccessBlock => s3::get_public_access_block::GetPublicAccessBlock,
    S3PutPublicAccessBlock => s3::put_public_access_block::PutPublicAccessBlock,
    S3GetBucketTagging => s3::get_bucket_tagging::GetBucketTagging,
    S3CreateBucket => s3::create_bucket::CreateBucket,
    S3DeleteBucket => s3::delete_bucket::DeleteBucket,
    Ec2DescribeInstances => ec2::describe_instances::DescribeInstances,
    Ec2DescribeInstanceStatus => ec2::describe_instance_status::DescribeInstanceStatus,
    Ec2DescribeImages => ec2::describe_images::DescribeImages,
    Ec2DescribeSecurityGroups => ec2::describe_security_groups::DescribeSecurityGroups,
    Ec2DescribeSecurityGroupRules => ec2::describe_security_group_rules::DescribeSecurityGroupRules,
    Ec2DescribeVpcs => ec2::describe_vpcs::DescribeVpcs,
    Ec2DescribeSubnets => ec2::describe_subnets::DescribeSubnets,
    Ec2DescribeRouteTables => ec2::describe_route_tables::DescribeRouteTables,
    Ec2DescribeVolumes => ec2::describe_volumes::DescribeVolumes,
    Ec2DescribeSnapshots => ec2::describe_snapshots::DescribeSnapshots,
    Ec2DescribeKeyPairs => ec2::describe_key_pairs::DescribeKeyPairs,
    Ec2DescribeAddresses => ec2::describe_addresses::DescribeAddresses,
    Ec2DescribeRegions => ec2::describe_regions::DescribeRegions,
    Ec2DescribeAvailabilityZones => ec2::describe_availability_zones::DescribeAvailabilityZones,
    Ec2GetConsoleOutput => ec2::get_console_output::GetConsoleOutput,
    Ec2StartInstances => ec2::start_instances::StartInstances,
    Ec2StopInstances => ec2::stop_instances::StopInstances,
    Ec2RebootInstances => ec2::reboot_instances::RebootInstances,
    Ec2TerminateInstances => ec2::terminate_instances::TerminateInstances,
    Ec2RunInstances => ec2::run_instances::RunInstances,
    Ec2CreateTags => ec2::create_tags::CreateTags,
    Ec2DeleteTags => ec2::delete_tags::DeleteTags,
    Ec2AuthorizeSecurityGroupIngress => ec2::authorize_security_group_ingress::AuthorizeSecurityGroupIngress,
    Ec2RevokeSecurityGroupIngress => ec2::revoke_security_group_ingress::RevokeSecurityGroupIngress,
    Ec2CreateSnapshot => ec2::create_snapshot::CreateSnapshot,
    IamListUsers => iam::list_users::ListUsers,
    IamGetUser => iam::get_user::GetUser,
    IamListGroups => iam::list_groups::ListGroups,
    IamListGroupsForUser => iam::list_groups_for_user::ListGroupsForUser,
    IamListRoles => iam::list_roles::ListRoles,
    IamGetRole => iam::get_role::GetRole,
    IamListPolicies => iam::list_policies::ListPolicies,
    IamGetPolicy => iam::get_policy::GetPolicy,
    IamGetPolicyVersion => iam::get_policy_version::GetPolicyVersion,
    IamListAttachedUserPolicies => iam::list_attached_user_policies::ListAttachedUserPolicies,
    IamListAttachedRolePolicies => iam::list_attached_role_policies::ListAttachedRolePolicies,
    IamListAttachedGroupPolicies => iam::list_attached_group_policies::ListAttachedGroupPolicies,
    IamListUserPolicies => iam::list_user_policies::ListUserPolicies,
    IamGetUserPolicy => iam::get_user_policy::GetUserPolicy,
    IamListRolePolicies => iam::list_role_policies::ListRolePolicies,
    IamGetRolePolicy => iam::get_role_policy::GetRolePolicy,
    IamListAccessKeys => iam::list_access_keys::ListAccessKeys,
    IamGetAccessKeyLastUsed => iam::get_access_key_last_used::GetAccessKeyLastUsed,
    IamSimulatePrincipalPolicy => iam::simulate_principal_policy::SimulatePrincipalPolicy,
    IamGetAccountSummary => iam::get_account_summary::GetAccountSummary,
    IamCreateUser => iam::create_user::CreateUser,
    IamDeleteUser => iam::delete_user::DeleteUser,
    IamAttachUserPolicy => iam::attach_user_policy::AttachUserPolicy,
    IamDetachUserPolicy => iam::detach_user_policy::DetachUserPolicy,
    IamAttachRolePolicy => iam::attach_role_policy::AttachRolePolicy,
    IamDetachRolePolicy => iam::detach_role_policy::DetachRolePolicy,
    IamUpdateAccessKey => iam::update_access_key::UpdateAccessKey,
    IamDeleteAccessKey => iam::delete_access_key::DeleteAccessKey,
    StsGetCallerIdentity => sts::get_caller_identity::GetCallerIdentity,
    StsGetAccessKeyInfo => sts::get_access_key_info::GetAccessKeyInfo,
    StsDecodeAuthorizationMessage => sts::decode_authorization_message::DecodeAuthorizationMessage,
}
