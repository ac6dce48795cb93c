//! What a policy rule or a mask rule applies to: principal patterns (`*`, `user:NAME`,
//! `group:NAME`, `client:NAME`) and sets of catalogue tools. Shared by [`crate::policy`] and
//! [`crate::masking`], which depend on it and not on each other.

use std::fmt;

use crate::{identity::Principal, tools::ToolId};

/// A principal pattern in a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalPattern {
    /// `*`: everybody.
    Any,
    /// `user:NAME`.
    User(String),
    /// `group:NAME`.
    Group(String),
    /// `client:NAME`.
    Client(String),
}

impl PrincipalPattern {
    /// Parses `*`, `user:NAME`, `group:NAME` or `client:NAME`.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "*" {
            return Some(Self::Any);
        }
        let (kind, name) = text.split_once(':')?;
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return None;
        }
        match kind {
            "user" => Some(Self::User(name.to_owned())),
            "group" => Some(Self::Group(name.to_owned())),
            "client" => Some(Self::Client(name.to_owned())),
            _ => None,
        }
    }

    /// Whether the principal matches.
    pub fn matches(&self, p: &Principal) -> bool {
        match self {
            Self::Any => true,
            Self::User(u) => *u == p.user,
            Self::Group(g) => p.groups.iter().any(|x| x == g),
            Self::Client(c) => p.client.as_deref() == Some(c.as_str()),
        }
    }

    /// Whether every principal this pattern matches is also matched by `other`.
    pub fn within(&self, other: &PrincipalPattern) -> bool {
        *other == PrincipalPattern::Any || self == other
    }
}

impl fmt::Display for PrincipalPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::User(n) => write!(f, "user:{n}"),
            Self::Group(n) => write!(f, "group:{n}"),
            Self::Client(n) => write!(f, "client:{n}"),
        }
    }
}

/// A set of catalogue tools: one bit per tool, as many words as the catalogue needs (it has
/// no fixed width, so a growing catalogue never makes two tools share a bit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolSet {
    words: Vec<u64>,
}

impl ToolSet {
    /// Adds a tool.
    pub fn insert(&mut self, tool: ToolId) {
        self.insert_index(tool.index());
    }

    /// Whether the tool is in the set.
    pub fn contains(&self, tool: ToolId) -> bool {
        self.contains_index(tool.index())
    }

    fn insert_index(&mut self, index: usize) {
        let (word, bit) = (index / 64, index % 64);
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        if let Some(w) = self.words.get_mut(word) {
            *w |= 1 << bit;
        }
    }

    fn contains_index(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    /// Whether every tool of `other` is in this set.
    pub fn covers(&self, other: &ToolSet) -> bool {
        other.words.iter().enumerate().all(|(i, theirs)| {
            let ours = self.words.get(i).copied().unwrap_or(0);
            ours & theirs == *theirs
        })
    }

    /// The tools, in catalogue order.
    pub fn iter(&self) -> impl Iterator<Item = ToolId> + '_ {
        ToolId::ALL.iter().copied().filter(|t| self.contains(*t))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
}

impl FromIterator<ToolId> for ToolSet {
    fn from_iter<I: IntoIterator<Item = ToolId>>(iter: I) -> Self {
        let mut set = ToolSet::default();
        for t in iter {
            set.insert(t);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(indices: impl IntoIterator<Item = usize>) -> ToolSet {
        let mut set = ToolSet::default();
        for i in indices {
            set.insert_index(i);
        }
        set
    }

    #[test]
    fn sets_over_two_hundred_ids_keep_every_id_apart() {
        for i in 0..200 {
            let one = set_of([i]);
            for j in 0..200 {
                assert_eq!(one.contains_index(j), i == j, "{i} vs {j}");
            }
        }
        let evens = set_of((0..200).step_by(2));
        let all = set_of(0..200);
        assert!(all.covers(&evens));
        assert!(!evens.covers(&all));
        assert!(evens.covers(&set_of([0, 64, 128, 198])));
        assert!(!evens.covers(&set_of([199])));
        assert!(ToolSet::default().is_empty());
        assert!(!set_of([199]).is_empty());
        assert!(set_of([199]).covers(&ToolSet::default()));
    }

    #[test]
    fn every_catalogue_tool_has_its_own_member() {
        let all: ToolSet = ToolId::ALL.iter().copied().collect();
        for &t in ToolId::ALL {
            assert!(all.contains(t));
            let one: ToolSet = [t].into_iter().collect();
            assert_eq!(one.iter().collect::<Vec<_>>(), vec![t]);
        }
    }
}
