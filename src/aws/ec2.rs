//! EC2 calls: DescribeInstances.

use aws_sdk_ec2::{Client, types::Filter};
use aws_types::request_id::RequestId;

use super::{AwsResponse, CallError, respond, sdk_error, text, timestamp};
use crate::catalogue::{
    args::Ec2DescribeInstancesArgs,
    output::{DescribeInstancesOutput, Instance, InstanceState, Placement, Reservation, Tag},
};

pub(super) async fn describe_instances(
    ec2: &Client,
    a: &Ec2DescribeInstancesArgs,
) -> Result<AwsResponse, CallError> {
    let filters = a.filters.as_ref().map(|f| {
        f.iter()
            .map(|(name, values)| {
                Filter::builder()
                    .name(name)
                    .set_values(Some(values.clone()))
                    .build()
            })
            .collect()
    });
    let out = ec2
        .describe_instances()
        .set_instance_ids(a.instance_ids.clone())
        .set_filters(filters)
        .set_max_results(a.max_results)
        .set_next_token(a.next_token.clone())
        .send()
        .await
        .map_err(sdk_error)?;
    let body = DescribeInstancesOutput {
        reservations: out
            .reservations()
            .iter()
            .map(|r| Reservation {
                reservation_id: text(r.reservation_id()),
                owner_id: text(r.owner_id()),
                instances: r.instances().iter().map(instance).collect(),
            })
            .collect(),
        next_token: text(out.next_token()),
    };
    respond(body, out.request_id())
}

fn instance(i: &aws_sdk_ec2::types::Instance) -> Instance {
    Instance {
        instance_id: text(i.instance_id()),
        instance_type: i.instance_type().map(|t| t.as_str().to_owned()),
        image_id: text(i.image_id()),
        state: i.state().map(|s| InstanceState {
            code: s.code(),
            name: s.name().map(|n| n.as_str().to_owned()),
        }),
        launch_time: timestamp(i.launch_time()),
        private_ip_address: text(i.private_ip_address()),
        public_ip_address: text(i.public_ip_address()),
        subnet_id: text(i.subnet_id()),
        vpc_id: text(i.vpc_id()),
        placement: i.placement().map(|p| Placement {
            availability_zone: text(p.availability_zone()),
        }),
        tags: i
            .tags()
            .iter()
            .map(|t| Tag {
                key: t.key().unwrap_or_default().to_owned(),
                value: t.value().unwrap_or_default().to_owned(),
            })
            .collect(),
    }
}
