//! S3 calls: ListBuckets, ListObjectsV2, GetObject (text, capped), PutObject, DeleteObject.

use aws_sdk_s3::{Client, primitives::ByteStream};
use aws_types::request_id::RequestId;

use super::{AwsResponse, CallError, respond, sdk_error, text, timestamp};
use crate::catalogue::{
    args::{
        MAX_GET_OBJECT_BYTES, S3DeleteObjectArgs, S3GetObjectArgs, S3ListObjectsArgs,
        S3PutObjectArgs,
    },
    output::{
        Bucket, DeleteObjectOutput, GetObjectOutput, ListBucketsOutput, ListObjectsOutput, Owner,
        PutObjectOutput, S3Object,
    },
};

pub(super) async fn list_buckets(s3: &Client) -> Result<AwsResponse, CallError> {
    let out = s3.list_buckets().send().await.map_err(sdk_error)?;
    let body = ListBucketsOutput {
        buckets: out
            .buckets()
            .iter()
            .map(|b| Bucket {
                name: b.name().unwrap_or_default().to_owned(),
                creation_date: timestamp(b.creation_date()),
            })
            .collect(),
        owner: out.owner().map(|o| Owner {
            display_name: text(o.display_name()),
            id: text(o.id()),
        }),
    };
    respond(body, out.request_id())
}

pub(super) async fn list_objects(
    s3: &Client,
    a: &S3ListObjectsArgs,
) -> Result<AwsResponse, CallError> {
    let out = s3
        .list_objects_v2()
        .bucket(&a.bucket)
        .set_prefix(a.prefix.clone())
        .set_max_keys(a.max_keys)
        .set_continuation_token(a.continuation_token.clone())
        .send()
        .await
        .map_err(sdk_error)?;
    let contents: Vec<S3Object> = out
        .contents()
        .iter()
        .map(|o| S3Object {
            key: o.key().unwrap_or_default().to_owned(),
            size: o.size().unwrap_or_default(),
            last_modified: timestamp(o.last_modified()),
            e_tag: text(o.e_tag()),
            storage_class: o.storage_class().map(|c| c.as_str().to_owned()),
        })
        .collect();
    let body = ListObjectsOutput {
        name: out.name().unwrap_or(&a.bucket).to_owned(),
        prefix: text(out.prefix()),
        key_count: out
            .key_count()
            .unwrap_or_else(|| i32::try_from(contents.len()).unwrap_or(i32::MAX)),
        max_keys: out.max_keys(),
        is_truncated: out.is_truncated().unwrap_or(false),
        contents,
        next_continuation_token: text(out.next_continuation_token()),
    };
    respond(body, out.request_id())
}

pub(super) async fn get_object(s3: &Client, a: &S3GetObjectArgs) -> Result<AwsResponse, CallError> {
    let out = s3
        .get_object()
        .bucket(&a.bucket)
        .key(&a.key)
        .send()
        .await
        .map_err(sdk_error)?;
    let request_id = out.request_id().map(str::to_owned);
    let length = out.content_length().unwrap_or_default();
    if length > MAX_GET_OBJECT_BYTES {
        return Err(CallError::Unsupported(format!(
            "object `{}` is {length} bytes; s3_get_object returns at most {MAX_GET_OBJECT_BYTES} bytes",
            a.key
        )));
    }
    let content_type = text(out.content_type());
    let e_tag = text(out.e_tag());
    let last_modified = timestamp(out.last_modified());
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|_| CallError::Unreachable("the object's body could not be read from S3".into()))?
        .into_bytes();
    if i64::try_from(bytes.len()).unwrap_or(i64::MAX) > MAX_GET_OBJECT_BYTES {
        return Err(CallError::Unsupported(format!(
            "object `{}` is over {MAX_GET_OBJECT_BYTES} bytes; s3_get_object returns at most that",
            a.key
        )));
    }
    let size = bytes.len();
    let body = String::from_utf8(bytes.to_vec()).map_err(|_| {
        CallError::Unsupported(format!(
            "object `{}` is not UTF-8 text ({size} bytes); s3_get_object returns text only",
            a.key
        ))
    })?;
    let body = GetObjectOutput {
        content_length: i64::try_from(size).unwrap_or(i64::MAX),
        body,
        content_type,
        e_tag,
        last_modified,
    };
    respond(body, request_id.as_deref())
}

pub(super) async fn put_object(s3: &Client, a: &S3PutObjectArgs) -> Result<AwsResponse, CallError> {
    let out = s3
        .put_object()
        .bucket(&a.bucket)
        .key(&a.key)
        .content_type(
            a.content_type
                .as_deref()
                .unwrap_or("text/plain; charset=utf-8"),
        )
        .body(ByteStream::from(a.body.clone().into_bytes()))
        .send()
        .await
        .map_err(sdk_error)?;
    let body = PutObjectOutput {
        e_tag: text(out.e_tag()),
        version_id: text(out.version_id()),
    };
    respond(body, out.request_id())
}

pub(super) async fn delete_object(
    s3: &Client,
    a: &S3DeleteObjectArgs,
) -> Result<AwsResponse, CallError> {
    let out = s3
        .delete_object()
        .bucket(&a.bucket)
        .key(&a.key)
        .send()
        .await
        .map_err(sdk_error)?;
    let body = DeleteObjectOutput {
        delete_marker: out.delete_marker(),
        version_id: text(out.version_id()),
    };
    respond(body, out.request_id())
}
