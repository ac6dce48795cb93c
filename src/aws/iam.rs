//! IAM calls: ListUsers.

use aws_sdk_iam::Client;
use aws_types::request_id::RequestId;

use super::{AwsResponse, CallError, respond, sdk_error, text, timestamp};
use crate::catalogue::{
    args::IamListUsersArgs,
    output::{ListUsersOutput, User},
};

pub(super) async fn list_users(
    iam: &Client,
    a: &IamListUsersArgs,
) -> Result<AwsResponse, CallError> {
    let out = iam
        .list_users()
        .set_path_prefix(a.path_prefix.clone())
        .set_max_items(a.max_items)
        .set_marker(a.marker.clone())
        .send()
        .await
        .map_err(sdk_error)?;
    let body = ListUsersOutput {
        users: out
            .users()
            .iter()
            .map(|u| User {
                user_name: u.user_name().to_owned(),
                user_id: u.user_id().to_owned(),
                arn: u.arn().to_owned(),
                path: u.path().to_owned(),
                create_date: timestamp(Some(u.create_date())),
            })
            .collect(),
        is_truncated: out.is_truncated(),
        marker: text(out.marker()),
    };
    respond(body, out.request_id())
}
