//! What the emulator is seeded with for the calls of every tool: buckets with objects, tags,
//! a policy, encryption and versions; instances, a volume, a key pair, an address and a
//! security group; IAM users, a group, a role, a managed policy and inline policies. Shared
//! by the schema checks and the official SDK clients' runs.

use serde_json::json;

use crate::support::{self, put, unique};

/// What the emulator is seeded with, for the calls below to find.
pub struct Seed {
    pub full: String,
    pub empty: String,
    pub versioned: String,
    pub doomed_bucket: String,
    pub new_bucket: String,
    pub instance: String,
    pub spare_instance: String,
    pub volume: String,
    pub group_id: String,
    pub user: String,
    pub doomed_user: String,
    pub new_user: String,
    pub access_key: String,
    pub group: String,
    pub role: String,
    pub policy_arn: String,
}

pub fn bucket_policy(bucket: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": format!("arn:aws:s3:::{bucket}")}]
    })
    .to_string()
}

pub const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
pub const READ_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

/// Seeds the emulator with what `cases` calls on.
pub async fn seed() -> Seed {
    let s3 = support::s3().await;
    let seed_names = |p: &str| unique(p);
    let (full, empty, versioned, doomed_bucket) = (
        seed_names("full"),
        seed_names("empty"),
        seed_names("versioned"),
        seed_names("doomed"),
    );
    for bucket in [&full, &empty, &versioned, &doomed_bucket] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    for key in ["a.txt", "b.txt", "c/d.txt"] {
        put(&s3, &full, key, "content").await;
    }
    seed_s3(&s3, &full, &versioned).await;
    let (instance, spare_instance, volume, group_id) = seed_ec2().await;
    let (user, access_key, group, role, policy_arn, doomed_user) = seed_iam().await;
    Seed {
        full,
        empty,
        versioned,
        doomed_bucket,
        new_bucket: unique("created"),
        instance,
        spare_instance,
        volume,
        group_id,
        user,
        doomed_user,
        new_user: unique("created-user"),
        access_key,
        group,
        role,
        policy_arn,
    }
}

/// Tags, a policy, default encryption and a public access block on `full`, and tags on its
/// object `a.txt` when it has one.
pub async fn configure_bucket(s3: &aws_sdk_s3::Client, full: &str) {
    use aws_sdk_s3::types::{
        PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    };
    let tagging = || {
        Tagging::builder()
            .tag_set(Tag::builder().key("team").value("data").build().unwrap())
            .build()
            .unwrap()
    };
    s3.put_bucket_tagging()
        .bucket(full)
        .tagging(tagging())
        .send()
        .await
        .unwrap();
    let _ = s3
        .put_object_tagging()
        .bucket(full)
        .key("a.txt")
        .tagging(tagging())
        .send()
        .await;
    s3.put_bucket_policy()
        .bucket(full)
        .policy(bucket_policy(full))
        .send()
        .await
        .unwrap();
    let sse = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(full)
        .server_side_encryption_configuration(sse)
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket(full)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .block_public_policy(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

pub async fn seed_s3(s3: &aws_sdk_s3::Client, full: &str, versioned: &str) {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    configure_bucket(s3, full).await;
    s3.put_bucket_versioning()
        .bucket(versioned)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for body in ["one", "two"] {
        put(s3, versioned, "v.txt", body).await;
    }
    s3.delete_object()
        .bucket(versioned)
        .key("v.txt")
        .send()
        .await
        .unwrap();
}

/// An instance to look at, one to start, stop and terminate, a volume, and the default
/// security group.
pub async fn seed_ec2() -> (String, String, String, String) {
    let ec2 = support::ec2().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let run = ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .unwrap();
        ids.push(run.instances()[0].instance_id().unwrap().to_owned());
    }
    let volume = ec2
        .create_volume()
        .availability_zone(format!("{}a", support::REGION))
        .size(1)
        .send()
        .await
        .unwrap()
        .volume_id()
        .unwrap()
        .to_owned();
    ec2.create_key_pair()
        .key_name(unique("schema-key"))
        .send()
        .await
        .unwrap();
    ec2.allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let group = ec2
        .create_security_group()
        .group_name(unique("schema-sg"))
        .description("schema checks")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();
    let spare = ids.pop().unwrap();
    (ids.pop().unwrap(), spare, volume, group)
}

/// A user with a key, an inline policy, a group and an attached policy; a role with an
/// inline and an attached policy; a managed policy; a user to delete.
pub async fn seed_iam() -> (String, String, String, String, String, String) {
    let iam = support::iam().await;
    let (user, group, role, doomed) = (
        unique("schema-user"),
        unique("schema-group"),
        unique("schema-role"),
        unique("doomed-user"),
    );
    for name in [&user, &doomed] {
        iam.create_user()
            .user_name(name)
            .path("/schemas/")
            .send()
            .await
            .unwrap();
    }
    let key = iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .unwrap()
        .access_key()
        .unwrap()
        .access_key_id()
        .to_owned();
    iam.create_group().group_name(&group).send().await.unwrap();
    iam.add_user_to_group()
        .group_name(&group)
        .user_name(&user)
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name(&role)
        .path("/schemas/")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let policy = iam
        .create_policy()
        .policy_name(unique("schema-policy"))
        .policy_document(READ_POLICY)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    iam.attach_group_policy()
        .group_name(&group)
        .policy_arn(&policy)
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("inline-read")
        .policy_document(READ_POLICY)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("inline-read")
        .policy_document(READ_POLICY)
        .send()
        .await
        .unwrap();
    (user, key, group, role, policy, doomed)
}
