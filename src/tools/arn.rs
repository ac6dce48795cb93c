//! The ARNs a call touches, in the partition of awsgate's region (`aws`, `aws-cn`,
//! `aws-us-gov`). An id awsgate does not know (the account, in most ARNs) is `*`, which in a
//! call's ARN stands for one unknown id and never contains `:`.

/// Where a call's ARNs live: awsgate's region, and so its partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnScope {
    /// The AWS region the call goes to, e.g. `eu-west-1`.
    pub region: String,
    /// The account the call goes to, when awsgate knows its id (an `[aws]` account).
    pub account: Option<String>,
}

impl ArnScope {
    /// The ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// A bucket: `arn:aws:s3:::BUCKET`.
    pub fn s3_bucket(&self, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}", self.partition())
    }

    /// An object: `arn:aws:s3:::BUCKET/KEY`.
    pub fn s3_object(&self, bucket: &str, key: &str) -> String {
        format!("arn:{}:s3:::{bucket}/{key}", self.partition())
    }

    /// The account in an ARN: its id when known, else `*` (one unknown id).
    fn account(&self) -> &str {
        self.account.as_deref().unwrap_or("*")
    }

    /// An EC2 resource in the call's region: `arn:aws:ec2:REGION:ACCOUNT:instance/ID`.
    pub fn ec2(&self, kind: &str, id: &str) -> String {
        format!(
            "arn:{}:ec2:{}:{}:{kind}/{id}",
            self.partition(),
            self.region,
            self.account()
        )
    }

    /// An EC2 resource with no account or region (AMIs, snapshots owned elsewhere, …):
    /// `arn:aws:ec2:REGION::image/ID`.
    pub fn ec2_public(&self, kind: &str, id: &str) -> String {
        format!("arn:{}:ec2:{}::{kind}/{id}", self.partition(), self.region)
    }

    /// An IAM resource (global): `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    pub fn iam(&self, resource: &str) -> String {
        format!(
            "arn:{}:iam::{}:{resource}",
            self.partition(),
            self.account()
        )
    }
}

/// A list of one ARN.
pub fn one(arn: String) -> Vec<String> {
    vec![arn]
}

/// The resource-less `*` (actions IAM does not scope to a resource).
pub fn none() -> Vec<String> {
    vec!["*".to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partition_shapes_its_arns() {
        for (region, partition) in [
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
        ] {
            let s = ArnScope {
                region: region.into(),
                account: None,
            };
            assert_eq!(s.s3_bucket("b"), format!("arn:{partition}:s3:::b"));
            assert_eq!(
                s.s3_object("b", "k/1"),
                format!("arn:{partition}:s3:::b/k/1")
            );
            assert_eq!(
                s.ec2("instance", "i-1"),
                format!("arn:{partition}:ec2:{region}:*:instance/i-1")
            );
            assert_eq!(s.iam("role/r"), format!("arn:{partition}:iam::*:role/r"));
            // With a known account, its real id.
            let known = ArnScope {
                account: Some("111111111111".into()),
                ..s
            };
            assert_eq!(
                known.ec2("instance", "i-1"),
                format!("arn:{partition}:ec2:{region}:111111111111:instance/i-1")
            );
            assert_eq!(
                known.iam("role/r"),
                format!("arn:{partition}:iam::111111111111:role/r")
            );
        }
    }
}
