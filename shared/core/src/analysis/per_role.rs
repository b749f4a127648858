//! A value per speaker role, serialised as `{"agent": …, "customer": …, "other": …}`.

use serde::{Deserialize, Serialize};

use crate::domain::Role;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PerRole<T> {
    pub agent: T,
    pub customer: T,
    pub other: T,
}

impl<T> PerRole<T> {
    pub fn get(&self, role: Role) -> &T {
        match role {
            Role::Agent => &self.agent,
            Role::Customer => &self.customer,
            Role::Other => &self.other,
        }
    }

    pub fn get_mut(&mut self, role: Role) -> &mut T {
        match role {
            Role::Agent => &mut self.agent,
            Role::Customer => &mut self.customer,
            Role::Other => &mut self.other,
        }
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> PerRole<U> {
        PerRole {
            agent: f(self.agent),
            customer: f(self.customer),
            other: f(self.other),
        }
    }
}
