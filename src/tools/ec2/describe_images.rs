//! `ec2_describe_images`: DescribeImages, one page at a time.

use std::collections::BTreeMap;

use aws_types::request_id::RequestId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tag, filters, tags_of, validate_ids};
use crate::{
    aws::{AwsResponse, CallError, Clients, respond, sdk_error, text},
    tools::{Access, ArnScope, Tool, halved_page},
};

/// `ec2_describe_images`.
pub struct DescribeImages;

/// Describes AMIs; those the account owns unless `owners` or ids say otherwise.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ec2DescribeImagesArgs {
    /// Only these images (e.g. `ami-0123456789abcdef0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_ids: Option<Vec<String>>,
    /// Only images of these owners (account ids, `self`, `amazon`, `aws-marketplace`); `self` when neither this nor `image_ids` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub owners: Option<Vec<String>>,
    /// EC2 filters as name → accepted values, e.g. `{"name": ["al2023-ami-*"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<BTreeMap<String, Vec<String>>>,
    /// At most this many per page (1 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_results: Option<i32>,
    /// The `NextToken` of a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 8192))]
    pub next_token: Option<String>,
}

/// `ec2_describe_images`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeImagesOutput {
    /// The images.
    pub images: Vec<Image>,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Image {
    /// The image id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `available`, `pending`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `x86_64`, `arm64`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// The owning account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Whether anyone may launch it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Tool for DescribeImages {
    type Args = Ec2DescribeImagesArgs;
    type Output = DescribeImagesOutput;
    const NAME: &'static str = "ec2_describe_images";
    const OPERATION: &'static str = "DescribeImages";
    const TITLE: &'static str = "Describe AMIs";
    const DESCRIPTION: &'static str = "Describe machine images (the account's own unless `owners` says otherwise), optionally by id or filters; page with `next_token`.";
    const IAM_ACTIONS: &'static [&'static str] = &["ec2:DescribeImages"];
    const ACCESS: Access = Access::Read;
    const IDEMPOTENT: bool = true;

    fn validate(a: &Ec2DescribeImagesArgs) -> Result<(), String> {
        validate_ids("image_ids", "ami", a.image_ids.as_deref())
    }

    fn resources(a: &Ec2DescribeImagesArgs, scope: &ArnScope) -> Vec<String> {
        match &a.image_ids {
            Some(ids) if !ids.is_empty() => {
                ids.iter().map(|id| scope.ec2_public("image", id)).collect()
            }
            _ => vec![scope.ec2_public("image", "*")],
        }
    }

    fn smaller_page(a: &Ec2DescribeImagesArgs, returned: usize) -> Option<Ec2DescribeImagesArgs> {
        if a.image_ids.is_some() {
            // AWS does not take a page size beside ids.
            return None;
        }
        let max_results = halved_page(a.max_results, returned, 1)?;
        Some(Ec2DescribeImagesArgs {
            max_results: Some(max_results),
            ..a.clone()
        })
    }

    async fn call(aws: &Clients, a: &Ec2DescribeImagesArgs) -> Result<AwsResponse, CallError> {
        let out = aws
            .ec2
            .describe_images()
            .set_image_ids(a.image_ids.clone())
            .set_owners(
                a.owners
                    .clone()
                    .or_else(|| a.image_ids.is_none().then(|| vec!["self".to_owned()])),
            )
            .set_filters(filters(a.filters.as_ref()))
            .set_max_results(a.max_results)
            .set_next_token(a.next_token.clone())
            .send()
            .await
            .map_err(sdk_error)?;
        let body = DescribeImagesOutput {
            images: out.images().iter().map(image).collect(),
            next_token: text(out.next_token()),
        };
        respond(body, out.request_id())
    }
}

fn image(i: &aws_sdk_ec2::types::Image) -> Image {
    Image {
        image_id: text(i.image_id()),
        name: text(i.name()),
        description: text(i.description()),
        state: i.state().map(|s| s.as_str().to_owned()),
        architecture: i.architecture().map(|a| a.as_str().to_owned()),
        owner_id: text(i.owner_id()),
        public: i.public(),
        creation_date: text(i.creation_date()),
        tags: tags_of(i.tags()),
    }
}
