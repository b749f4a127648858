//! The template's `Conditions`, evaluated against the parameters: `Fn::Equals`, `Fn::Not`,
//! `Fn::And`, `Fn::Or`, `Condition` references, and `!Ref` to parameters inside them; and
//! `!If` picking a branch by one of them.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use serde_norway::Value;

use super::{reference, scalar};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    definitions: BTreeMap<String, Value>,
}

impl Conditions {
    pub fn read(doc: &Value) -> Self {
        let mut definitions = BTreeMap::new();
        if let Some(Value::Mapping(conditions)) = doc.get("Conditions") {
            for (name, definition) in conditions {
                if let Some(name) = name.as_str() {
                    definitions.insert(name.to_owned(), definition.clone());
                }
            }
        }
        Self { definitions }
    }

    /// Whether the named condition holds for these parameters.
    pub fn holds(&self, name: &str, parameters: &BTreeMap<String, String>) -> anyhow::Result<bool> {
        let definition = self
            .definitions
            .get(name)
            .with_context(|| format!("condition {name} is not defined"))?;
        self.evaluate(definition, parameters)
            .with_context(|| format!("condition {name}"))
    }

    fn evaluate(
        &self,
        value: &Value,
        parameters: &BTreeMap<String, String>,
    ) -> anyhow::Result<bool> {
        let (function, arguments) = intrinsic(value).context("a condition must be a function")?;
        let list = |arguments: &Value| -> anyhow::Result<Vec<Value>> {
            arguments
                .as_sequence()
                .cloned()
                .with_context(|| format!("{function} takes a list"))
        };
        match function.as_str() {
            "Equals" => {
                let sides = list(arguments)?;
                let [a, b] = sides.as_slice() else {
                    bail!("Equals takes two values")
                };
                Ok(operand(a, parameters)? == operand(b, parameters)?)
            }
            "Not" => {
                let inner = list(arguments)?;
                let [inner] = inner.as_slice() else {
                    bail!("Not takes one condition")
                };
                Ok(!self.evaluate(inner, parameters)?)
            }
            "And" => {
                for inner in list(arguments)? {
                    if !self.evaluate(&inner, parameters)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "Or" => {
                for inner in list(arguments)? {
                    if self.evaluate(&inner, parameters)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            "Condition" => {
                let name = arguments.as_str().context("Condition takes a name")?;
                self.holds(name, parameters)
            }
            other => bail!("{other} is not a condition function the local reader knows"),
        }
    }

    /// For `!If [condition, a, b]`, the branch the parameters pick; `None` for anything else.
    pub fn branch<'v>(
        &self,
        value: &'v Value,
        parameters: &BTreeMap<String, String>,
    ) -> anyhow::Result<Option<&'v Value>> {
        let Some((function, arguments)) = intrinsic(value) else {
            return Ok(None);
        };
        if function != "If" {
            return Ok(None);
        }
        let Some([condition, when_true, when_false]) = arguments.as_sequence().map(Vec::as_slice)
        else {
            bail!("If takes [condition, value if true, value if false]")
        };
        let condition = condition.as_str().context("If names its condition")?;
        Ok(Some(if self.holds(condition, parameters)? {
            when_true
        } else {
            when_false
        }))
    }
}

/// `!Fn x` or `{Fn::Fn: x}` (and `{Condition: x}`) → (`Fn`, x).
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next()?;
            let key = key.as_str()?;
            let name = key.strip_prefix("Fn::").unwrap_or(key);
            Some((name.to_owned(), inner))
        }
        _ => None,
    }
}

/// An `Equals` operand: a literal or a `!Ref` to a parameter.
fn operand(value: &Value, parameters: &BTreeMap<String, String>) -> anyhow::Result<String> {
    if let Some(name) = reference(value) {
        return parameters
            .get(&name)
            .cloned()
            .with_context(|| format!("!Ref {name} is not a parameter with a value"));
    }
    scalar(value).context("an Equals operand must be a scalar or a !Ref to a parameter")
}
