//! IAM tools, and what they share: the shapes of users, groups, roles and policies.

pub mod list_users;
